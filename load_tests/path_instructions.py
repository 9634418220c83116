#!/usr/bin/env python3
"""Machine instructions per request of the served path (proxy or middleware), under callgrind.

    load_tests/path_instructions.py [--target proxy|middleware|bare] [--acl FILE] [--requests 2000]
                                    [--detector on|off] [--waf-log FILE] [--concurrency 10] [--annotate]

The shared 2-core machine moves wall-clock figures by ±50 %; an instruction count moves by ±1–2 %.
This starts the server under ``valgrind --tool=callgrind --instr-atstart=no``, warms it up
(connections, memos, lazy imports), switches instrumentation on with ``callgrind_control -i on``,
sends ``--requests`` keep-alive GETs (bench_proxy's request, ``--concurrency`` connections, one
request in flight on each), dumps, and prints the instructions per request. ``--annotate`` also
prints callgrind_annotate's top C functions (hyperscan, the allocator, the GC, the eval loop).

Targets: ``proxy`` = ``wafproxy serve`` (one worker) in front of an nginx upstream; ``middleware`` /
``bare`` = bench_middleware's Starlette app with / without ``WafMiddleware`` under uvicorn.
The instrumented process runs the code on ``PYTHONPATH`` (run it from the tree to measure).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from load_tests.bench_proxy import GET_PATH, UA, free_port, nginx_upstream  # noqa: E402

REQUEST = (f"GET {GET_PATH} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: {UA}\r\n"
           "Accept: text/html,*/*;q=0.8\r\n\r\n").encode()


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}) before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.5)
    raise TimeoutError(f"port {port} not listening after {timeout:.0f} s")


def _read_response(sock: socket.socket, buf: bytearray) -> int:
    """Read one response (Content-Length framed) from ``sock``; returns its status."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buf += chunk
    head, _, _ = bytes(buf).partition(b"\r\n\r\n")
    m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    total = len(head) + 4 + (int(m.group(1)) if m else 0)
    while len(buf) < total:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buf += chunk
    del buf[:total]
    return int(head[9:12])


def post_request() -> bytes:
    """bench_proxy's ``--post``: the in-process bench's 2 KB form POST."""
    from load_tests.bench_proxy import POST_PATH
    from tests.engine.test_bench_default_acl import FORM_POST_2KB

    body = FORM_POST_2KB.body
    return (f"POST {POST_PATH} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: {UA}\r\nAccept: */*\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}"
            "\r\n\r\n").encode() + body


def send_requests(port: int, n: int, concurrency: int) -> int:
    """``n`` requests (``REQUEST``) over ``concurrency`` keep-alive connections; returns how many
    were not 2xx."""
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(concurrency)]
    bufs = [bytearray() for _ in socks]
    bad = 0
    try:
        sent = 0
        while sent < n:
            batch = min(concurrency, n - sent)
            for s in socks[:batch]:
                s.sendall(REQUEST)
            for s, buf in zip(socks[:batch], bufs, strict=False):
                bad += not 200 <= _read_response(s, buf) < 300
            sent += batch
    finally:
        for s in socks:
            s.close()
    return bad


def _totals(dump: Path) -> dict[str, int]:
    """The dump's totals by event name (Ir, and with --cache-sim D1mr, DLmr, ...)."""
    events: list[str] = []
    for line in dump.read_text().splitlines():
        if line.startswith("events:"):
            events = line.split()[1:]
        if line.startswith(("summary:", "totals:")):
            return dict(zip(events, map(int, line.split()[1:]), strict=False))
    raise ValueError(f"{dump}: no totals line")


@contextlib.contextmanager
def _server(args: argparse.Namespace, out: Path, upstream: str | None) -> Iterator[tuple[int, int]]:
    port = free_port()
    if args.target == "proxy":
        cmd = [sys.executable, "-m", "wafproxy", "serve", "--upstream", str(upstream),
               "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{free_port()}",
               "--log-level", "warning"]
        if args.acl:
            cmd += ["--acl", args.acl]
        if args.waf_log:
            cmd += ["--waf-log", args.waf_log]
    else:
        factory = "with_waf" if args.target == "middleware" else "without_waf"
        cmd = [sys.executable, "-m", "uvicorn", "--factory", f"load_tests.bench_middleware:{factory}",
               "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
               "--log-level", "warning"]
    # Under valgrind a loaded machine runs the server 50x slower: the 5 s keep-alive and header
    # timeouts would close the measuring connections mid-run (the counts are per request anyway).
    # The assessor's first run starts with the server and, 50x slower under valgrind, lasted into
    # the measured requests: ~27 k instructions a request (empty ACL) that are not per-request work.
    env = {**os.environ, "WAFPROXY_DETECTOR": args.detector, "WAFPROXY_KEEP_ALIVE_TIMEOUT": "3600",
           "WAFPROXY_HEADER_TIMEOUT": "3600",
           "WAFPROXY_ASSESS_INTERVAL": os.environ.get("WAFPROXY_ASSESS_INTERVAL", "0")}
    vg = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}/cg.%p",
          "--dump-instr=no", "--trace-children=no", *(["--cache-sim=yes"] if args.cache_sim else []),
          *(args.valgrind_arg or [])]
    proc = subprocess.Popen([*vg, *cmd], cwd=REPO, env=env, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, proc, args.start_timeout)
        yield proc.pid, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _control(*argv: str) -> None:
    subprocess.run(["callgrind_control", *argv], check=True, stdout=subprocess.DEVNULL)


def measure(args: argparse.Namespace, upstream: str | None) -> tuple[dict[str, int], Path]:
    with (tempfile.TemporaryDirectory(prefix="pathinstr-") as tmp,
          _server(args, Path(tmp), upstream) as (pid, port)):
        bad = send_requests(port, args.warmup, args.concurrency)
        _control("-i", "on", str(pid))
        bad += send_requests(port, args.requests, args.concurrency)
        _control("-d", str(pid))
        _control("-i", "off", str(pid))
        if bad:
            print(f"warning: {bad} answers were not 2xx", file=sys.stderr)
        dumps = sorted(Path(tmp).glob(f"cg.{pid}.*"), key=lambda p: p.stat().st_mtime)
        if not dumps:
            raise RuntimeError("callgrind wrote no dump")
        keep = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="pathinstr-dump-")) / "cg.out"
        keep.write_bytes(dumps[-1].read_bytes())
        return _totals(dumps[-1]), keep


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", choices=("proxy", "middleware", "bare"), default="proxy")
    ap.add_argument("--acl", default=None, help="web ACL file (proxy; default: the default web ACL)")
    ap.add_argument("--detector", choices=("on", "off"), default="off")
    ap.add_argument("--waf-log", default=None, help="proxy: --waf-log FILE")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=10)
    ap.add_argument("--start-timeout", type=float, default=900.0)
    ap.add_argument("--cache-sim", action="store_true", help="also simulate the caches (misses per request)")
    ap.add_argument("--valgrind-arg", action="append", metavar="ARG",
                    help="one more valgrind option, e.g. --valgrind-arg=--LL=1048576,16,64 (repeatable)")
    ap.add_argument("--keep", default=None, help="where to keep the callgrind dump")
    ap.add_argument("--annotate", action="store_true", help="print the top C functions (inclusive)")
    ap.add_argument("--post", action="store_true", help="bench_proxy's 2 KB form POST, not the GET")
    args = ap.parse_args()
    if args.post:
        global REQUEST
        REQUEST = post_request()
    with contextlib.ExitStack() as stack:
        upstream = None
        if args.target == "proxy":
            run = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pathinstr-up-")))
            os.chmod(run, 0o755)
            upstream = stack.enter_context(nginx_upstream(run, 1024)).url
        totals, dump = measure(args, upstream)
    per = ", ".join(f"{name} {n / args.requests:,.0f}" for name, n in totals.items() if name != "Ir")
    what = f"{args.target}{' POST' if args.post else ''}"
    print(f"{what} acl={args.acl or 'default'} detector={args.detector}: "
          f"{totals['Ir'] / args.requests:,.0f} instructions/request ({args.requests} requests, dump {dump})"
          + (f"\nper request: {per}" if per else ""))
    if args.annotate:
        out = subprocess.run(["callgrind_annotate", "--inclusive=yes", str(dump)],
                             capture_output=True, text=True, check=False).stdout
        print("\n".join(out.splitlines()[:60]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
