#!/usr/bin/env python3
"""A flood of distinct client addresses through a real ``wafproxy serve``: RSS before, during, after.

    .venv/bin/python load_tests/bench_address_flood.py                     # 1,000,000 addresses
    .venv/bin/python load_tests/bench_address_flood.py --requests 200000 --connections 8

Every request comes from a new address, through ``X-Forwarded-For`` from a trusted peer (loopback is
``--trusted-proxy``), so every per-client table of the process sees a new key: the rate store (a
rate-based rule keyed by IP matches every request), the flood guard (``--flood-mitigation``), the
shield's in-flight and per-client tables, and the threat detector's actors (on, as by default).
Each table is capped (docs/operations.md, "Bounded resources"); the proxy's RSS must level off at
their sum instead of growing with the flood. Requests are pipelined over a few keep-alive
connections (64 in flight each), answered by a built-in asyncio upstream (204, no body).

Prints the RSS of the proxy process every 10 % of the flood and the bound it is checked against.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httptools

REPO = Path(__file__).resolve().parents[1]
BATCH = 64
RSS_BOUND = 384 * 1024 * 1024  # docs/operations.md: the caps' sum with room (measured: 235 MiB)
_VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
ACL = {
    "Name": "flood", "Id": "flood", "DefaultAction": {"Allow": {}}, "VisibilityConfig": _VIS,
    "Rules": [{
        "Name": "PerIp", "Priority": 0, "Action": {"Block": {}}, "VisibilityConfig": _VIS,
        "Statement": {"RateBasedStatement": {"Limit": 100, "EvaluationWindowSec": 300,
                                             "AggregateKeyType": "IP"}},
    }],
}


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def upstream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """204 to every request head (no bodies are sent to it)."""
    buffer = b""
    try:
        while data := await reader.read(65536):
            buffer += data
            n = buffer.count(b"\r\n\r\n")
            if n:
                buffer = buffer[buffer.rfind(b"\r\n\r\n") + 4:]
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n" * n)
                await writer.drain()
    except (asyncio.CancelledError, ConnectionError):
        pass  # the proxy closed its pooled connection, or the run is over
    finally:
        writer.close()


class _Counter:
    def __init__(self) -> None:
        self.done = 0
        self.statuses: dict[int, int] = {}
        self.parser = httptools.HttpResponseParser(self)

    def on_message_complete(self) -> None:
        self.done += 1
        code = self.parser.get_status_code()
        self.statuses[code] = self.statuses.get(code, 0) + 1


def address(i: int) -> bytes:
    """The i-th address of 11.0.0.0 onwards: public (the detector does not spare it), distinct."""
    i += 11 << 24
    return b"%d.%d.%d.%d" % (i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255)


async def client(port: int, ids: range, totals: dict[int, int], progress: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    counter = _Counter()
    for start in range(ids.start, ids.stop, BATCH):
        batch = range(start, min(start + BATCH, ids.stop))
        writer.write(b"".join(b"GET /p HTTP/1.1\r\nHost: flood\r\nX-Forwarded-For: %s\r\n\r\n" % address(i)
                              for i in batch))
        want = counter.done + len(batch)
        while counter.done < want:
            data = await reader.read(65536)
            if not data:
                raise RuntimeError("the proxy closed a connection")
            counter.parser.feed_data(data)
        progress[0] += len(batch)
    writer.close()
    for code, n in counter.statuses.items():
        totals[code] = totals.get(code, 0) + n


async def flood(port: int, pid: int, requests: int, connections: int) -> dict[int, int]:
    totals: dict[int, int] = {}
    progress = [0]
    share = -(-requests // connections)
    tasks = [asyncio.create_task(client(port, range(c * share, min((c + 1) * share, requests)), totals,
                                        progress)) for c in range(connections)]
    step, mark, t0 = requests // 10, requests // 10, time.monotonic()
    while not all(t.done() for t in tasks):
        await asyncio.sleep(0.5)
        if progress[0] >= mark:
            print(f"  {progress[0]:>9,} addresses  RSS {rss(pid) / 2**20:7.1f} MiB  "
                  f"{progress[0] / (time.monotonic() - t0):7.0f} req/s", flush=True)
            mark += step
    for task in tasks:
        task.result()
    return totals


async def main(args: argparse.Namespace) -> int:
    up = await asyncio.start_server(upstream, "127.0.0.1", 0)
    up_port = up.sockets[0].getsockname()[1]
    port, admin = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        acl = Path(tmp) / "acl.json"
        acl.write_text(json.dumps(ACL))
        cmd = [sys.executable, "-m", "wafproxy", "serve", "--upstream", f"http://127.0.0.1:{up_port}",
               "--acl", str(acl), "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
               "--trusted-proxy", "127.0.0.1/32", "--flood-mitigation", "--log-level", "error"]
        proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "PYTHONUNBUFFERED": "1"})  # noqa: ASYNC220
        try:
            for _ in range(600):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    await asyncio.sleep(0.1)
            await flood(port, proc.pid, 1000, 1)  # warm: imports, pools, first allocations
            before = rss(proc.pid)
            print(f"wafproxy serve pid {proc.pid}: RSS before {before / 2**20:.1f} MiB; "
                  f"{args.requests:,} distinct addresses over {args.connections} connections", flush=True)
            t0 = time.monotonic()
            totals = await flood(port, proc.pid, args.requests, args.connections)
            after = rss(proc.pid)
            print(f"{args.requests:,} requests in {time.monotonic() - t0:.0f} s", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    up.close()
    print(f"statuses: {dict(sorted(totals.items()))}")
    print(f"RSS before {before / 2**20:.1f} MiB, after {after / 2**20:.1f} MiB "
          f"(+{(after - before) / 2**20:.1f}); bound {RSS_BOUND / 2**20:.0f} MiB: "
          f"{'OK' if after <= RSS_BOUND else 'OVER'}")
    return 0 if after <= RSS_BOUND else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--connections", type=int, default=4)
    sys.exit(asyncio.run(main(parser.parse_args())))
