#!/usr/bin/env python3
"""Rate-limiting benchmark (issue 5, "Measured"): the latency rate limiting adds at 100,000 tracked
keys, in memory and through Redis, and the over-admission of 3 processes sharing one redis-server.

    .venv/bin/python load_tests/bench_ratelimit.py                # ~3.5 minutes
    .venv/bin/python load_tests/bench_ratelimit.py --keys 5000 --rounds 1 --duration 2 --windows 0.1  # smoke

Everything runs on loopback ports picked by the OS and every process started here is stopped at
the end. One run, rounds interleaved in time so the shared machine's noise hits all targets alike:

1. ``wafproxy serve`` with one rate-based rule keyed on the ``x-api-key`` header (CUSTOM_KEYS, a
   limit no key reaches) vs the same web ACL without that rule, with the counts in memory and in
   Redis. Each rate target is first sent ``--keys`` requests with distinct keys, so the rule
   tracks that many keys, then loaded with a fixed key set (every key of it, in a stride order).
   Load: ``wrk`` with a Lua script rotating the keys, else a built-in asyncio client.
2. The per-hit cost inside one process: ``MemoryRateStore.hit`` and ``RedisRateStore.hit`` at 100
   and at ``--keys`` tracked keys.
3. Over-admission: 3 ``wafproxy serve --redis --hosts 3`` processes, one rule of limit L per W
   seconds on one key (two rules: L = 10, the sliding log; L = 50, the bucket ring), every process
   warmed on another key, then clients hammering all three for 1.25 W (ACLs accept W >= 60 s only).
   Allowed (2xx) requests are counted in every sliding window of length W, by the client's answer
   and send times, with bounds: "certain" (send..answer spans inside one window) <= the true worst
   window <= "possible" (spans meeting it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from load_tests.bench_proxy import free_port, nginx_upstream, parse_wrk, python_upstream, wait_port  # noqa: E402

PATH = "/api/item"
VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}


# --- web ACLs --------------------------------------------------------------------------------


def rate_rule(
    limit: int, window: int, name: str = "RatePerApiKey", scope: str | None = None
) -> dict[str, Any]:
    """Block (429) over ``limit`` per ``window`` s per value of ``x-api-key`` (under path ``scope``)."""
    statement: dict[str, Any] = {
        "Limit": limit,
        "EvaluationWindowSec": window,
        "AggregateKeyType": "CUSTOM_KEYS",
        "CustomKeys": [
            {"Header": {"Name": "x-api-key", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}
        ],
    }
    if scope:
        statement["ScopeDownStatement"] = {
            "ByteMatchStatement": {
                "FieldToMatch": {"UriPath": {}},
                "SearchString": scope,
                "PositionalConstraint": "STARTS_WITH",
                "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
            }
        }
    return {
        "Name": name,
        "Priority": 10 + limit % 1000,
        "Action": {"Block": {}},
        "VisibilityConfig": VIS,
        "Statement": {"RateBasedStatement": statement},
    }


def write_acl(path: Path, rules: list[dict[str, Any]]) -> str:
    """A small ACL: one cheap byte-match rule in both variants, so the base case still evaluates."""
    admin = {
        "Name": "BlockAdmin",
        "Priority": 0,
        "Action": {"Block": {}},
        "VisibilityConfig": VIS,
        "Statement": {
            "ByteMatchStatement": {
                "FieldToMatch": {"UriPath": {}},
                "SearchString": "/admin",
                "PositionalConstraint": "STARTS_WITH",
                "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}],
            }
        },
    }
    path.write_text(
        json.dumps(
            {
                "Name": "bench",
                "DefaultAction": {"Allow": {}},
                "VisibilityConfig": VIS,
                "Rules": [admin, *rules],
            }
        )
    )
    return str(path)


# --- processes -------------------------------------------------------------------------------


def _redis_cmd(port: int, *words: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall((f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)).encode())
        return sock.recv(4096)


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        deadline = time.monotonic() + 10
        while not _redis_cmd(port, "PING").startswith(b"+PONG"):
            if time.monotonic() > deadline:
                raise TimeoutError("redis-server did not answer PING")
            time.sleep(0.05)
        yield port
    finally:
        proc.kill()
        proc.wait()


def redis_dbsize(port: int) -> int:
    return int(_redis_cmd(port, "DBSIZE").strip()[1:])


USE_WRK = bool(shutil.which("wrk"))  # else the built-in asyncio client (--no-wrk forces it)
RATE_TARGETS = ("rate rule, memory", "rate rule, --redis")
ADMIN: dict[int, int] = {}  # data port -> admin port of the serve processes started here


def redis_fallbacks(port: int) -> str:
    """The store's own account of Redis trouble (/metrics): outages and hits answered locally."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{ADMIN[port]}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    found = {}
    for line in text.splitlines():
        for name in ("wafproxy_rate_store_fallbacks_total", "wafproxy_rate_store_fallback_hits_total"):
            if line.startswith(name + " "):
                found[name.split("_")[-2]] = int(float(line.split()[1]))
    return f"outages {found.get('fallbacks', '?')}, hits answered locally {found.get('hits', '?')}"


@contextlib.contextmanager
def serve(upstream: str, acl: str, *extra: str) -> Iterator[int]:
    port, admin = free_port(), free_port()
    ADMIN[port] = admin
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wafproxy",
            "serve",
            "--upstream",
            upstream,
            "--acl",
            acl,
            "--listen",
            f"127.0.0.1:{port}",
            "--admin-listen",
            f"127.0.0.1:{admin}",
            "--log-level",
            "warning",
            "--detector",  # a rate-limit bench is a flood from one address: not the detector's to ban
            "off",
            *extra,
        ],
        cwd=REPO,
    )
    try:
        wait_port(port)
        wait_port(admin)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- load through the proxy ------------------------------------------------------------------

_LUA_KEYS = """
local n, stride, i, done = {keys}, {stride}, 0, 0
request = function()
  local key = string.format("k%07d", (i * stride) % n)
  local r = wrk.format("GET", "{path}", {{["Host"] = "localhost", ["x-api-key"] = key}})
  i = i + 1
  return r
end
{stop}
"""
# wrk.thread:stop() ends the requests but not wrk's sleep until -d: exit once n have answered.
_LUA_STOP = """local bad = 0
response = function(status, headers, body)
  done = done + 1
  if status < 200 or status > 399 then bad = bad + 1 end
  if done >= n then
    io.write(string.format("populated %d %d\\n", done, bad)); io.stdout:flush(); os.exit(0)
  end
end"""


def run_wrk(
    port: int, keys: int, stride: int, duration: float, connections: int, stop: bool
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_LUA_KEYS.format(keys=keys, stride=stride, path=PATH, stop=_LUA_STOP if stop else ""))
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{int(duration)}s",
                "--latency",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    import re  # wrk's own output, not attacker input

    if m := re.search(r"^populated (\d+) (\d+)$", out, re.M):
        return {"requests": float(m.group(1)), "non2xx": float(m.group(2))}
    return parse_wrk(out)


def load(
    port: int, keys: int, stride: int, duration: float, connections: int, stop: bool = False
) -> dict[str, float]:
    """``stop``: end after ``keys`` responses (the pre-population), else after ``duration``."""
    if USE_WRK:
        return run_wrk(port, keys, stride, duration, connections, stop)
    return asyncio.run(load_async(port, keys, stride, duration, connections, keys if stop else None))


def status_of(port: int, key: str) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(_get(key).replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        return int(sock.recv(64)[9:12])


def enforces(port: int, limit: int) -> bool:
    """Sanity: the rule is live (limit + 1 requests on a fresh key, the last one refused)."""
    codes = [status_of(port, "sanity-check") for _ in range(limit + 1)]
    return codes[:-1] == [200] * limit and codes[-1] == 429


# --- built-in asyncio client (no wrk; and the timestamps of the over-admission test) -----------


async def _exchange(conn: list[Any], port: int, request: bytes) -> int:
    """One request on a kept-alive connection (``conn`` = [reader, writer], reopened when closed)."""
    if not conn:
        conn.extend(await asyncio.open_connection("127.0.0.1", port))
    reader, writer = conn
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length, close = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
    await reader.readexactly(length)
    if close:
        writer.close()
        conn.clear()
    return int(head[9:12])


def _get(key: str, path: str = PATH) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: localhost\r\nx-api-key: {key}\r\n\r\n".encode()


async def load_async(
    port: int, keys: int, stride: int, duration: float, connections: int, stop_after: int | None
) -> dict[str, float]:
    latencies: list[float] = []
    non2xx, counter = 0, iter(range(10**12))
    deadline = time.monotonic() + duration

    async def one() -> None:
        nonlocal non2xx
        conn: list[Any] = []
        while time.monotonic() < deadline:
            i = next(counter)
            if stop_after is not None and i >= stop_after:
                break
            t0 = time.perf_counter()
            status = await _exchange(conn, port, _get(f"k{(i * stride) % keys:07d}"))
            latencies.append(time.perf_counter() - t0)
            non2xx += not 200 <= status < 400
        if conn:
            conn[1].close()

    t0 = time.monotonic()
    await asyncio.gather(*(one() for _ in range(connections)))
    elapsed = time.monotonic() - t0
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 100 else [float("nan")] * 99
    return {
        "rps": len(latencies) / elapsed,
        "p50": q[49] * 1000,
        "p99": q[98] * 1000,
        "requests": float(len(latencies)),
        "non2xx": float(non2xx),
    }


async def hammer(
    ports: list[int], paths: list[str], key: str, duration: float, per_port: int, pause: float = 0.002
) -> list[tuple[str, float, float, int]]:
    """(path, sent, answered, status) of every request: ``per_port`` connections to each proxy at once,
    each on one of ``paths`` in turn, ``pause`` s between its requests (a flood, not a CPU hog)."""
    out: list[tuple[str, float, float, int]] = []
    deadline = time.monotonic() + duration

    async def one(port: int, path: str) -> None:
        conn: list[Any] = []
        request = _get(key, path)
        while (sent := time.monotonic()) < deadline:
            status = await _exchange(conn, port, request)
            out.append((path, sent, time.monotonic(), status))
            await asyncio.sleep(pause)
        if conn:
            conn[1].close()

    n = 0
    tasks = []
    for port in ports:
        for _ in range(per_port):
            tasks.append(one(port, paths[n % len(paths)]))
            n += 1
    await asyncio.gather(*tasks)
    return out


def most_in_window(times: list[float], window: float) -> int:
    """The most of ``times`` inside any half-open interval of length ``window`` (two pointers)."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def most_certainly_in_window(spans: list[tuple[float, float]], window: float) -> int:
    """The most requests whose whole (sent, answered) span fits in one interval of length ``window``:
    each was admitted inside it, whatever the delays: a lower bound of the true worst window."""
    spans = sorted(spans)
    best = 0
    for i, (start, _) in enumerate(spans):
        best = max(best, sum(1 for s, a in spans[i:] if s >= start and a < start + window))
    return best


def most_possibly_in_window(spans: list[tuple[float, float]], window: float) -> int:
    """The most requests whose span meets one interval of length ``window`` (an upper bound of the
    true worst window: a request is admitted somewhere between being sent and being answered)."""
    return max((sum(1 for s, a in spans if a >= x and s < x + window) for _, x in spans), default=0)


# --- in-process cost per hit -----------------------------------------------------------------


def memory_hit_us(keys: int, limit: int, window: int, hits: int = 100_000) -> float:
    from wafproxy.engine.ratecheck import RateCheck
    from wafproxy.stores.memory import MemoryRateStore

    store = MemoryRateStore(max_keys=4 * keys)
    checks = [RateCheck("bench/rate", f"k{i:07d}", limit, window) for i in range(keys)]
    t0 = 1_764_000_000.0
    for c in checks:
        store.hit(c, t0)
    order = [checks[(i * 7) % keys] for i in range(min(keys, hits))]
    runs = []
    for r in range(5):
        now = t0 + 1 + r
        start = time.perf_counter()
        for i in range(hits):
            store.hit(order[i % len(order)], now)
        runs.append((time.perf_counter() - start) / hits * 1e6)
    assert store.tracked_keys() == keys
    return statistics.median(runs)


async def _redis_hits(url: str, keys: int, limit: int, window: int, hits: int) -> tuple[float, float]:
    from wafproxy.engine.ratecheck import RateCheck
    from wafproxy.stores.redis import RedisRateStore

    store = RedisRateStore(url, timeout=1.0)
    rule = f"bench/k{keys}"
    checks = [RateCheck(rule, f"k{i:07d}", limit, window) for i in range(keys)]
    for i in range(0, keys, 64):  # 64 at a time: the store's pool holds 100 connections
        await asyncio.gather(*(store.hit(c, time.time()) for c in checks[i : i + 64]))
    samples = []
    for i in range(hits):
        start = time.perf_counter()
        await store.hit(checks[(i * 7) % keys], time.time())
        samples.append(time.perf_counter() - start)
    assert store.fallbacks == 0
    await store.aclose()
    samples.sort()
    return samples[len(samples) // 2] * 1e6, samples[int(len(samples) * 0.99)] * 1e6


# --- main ------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=100_000, help="tracked keys (default 100,000)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=4, help="seconds per measured round (c1: half)")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--limit", type=int, default=50, help="over-admission test: L of the ring rule")
    ap.add_argument("--small-limit", type=int, default=10, help="over-admission test: L of the log rule")
    ap.add_argument("--window", type=int, default=60, help="over-admission test: W, one of 60/120/300/600 s")
    ap.add_argument("--windows", type=float, default=1.25, help="over-admission test: run length in W")
    ap.add_argument("--per-port", type=int, default=4, help="over-admission test: connections per process")
    ap.add_argument(
        "--no-wrk", action="store_true", help="use the built-in asyncio client even if wrk is here"
    )
    args = ap.parse_args()
    global USE_WRK
    USE_WRK = USE_WRK and not args.no_wrk
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanups on `timeout`/kill
    keys, stride = args.keys, 7 if args.keys % 7 else 11
    rate = rate_rule(100, 600)  # limit never reached; window longer than the run: no key ages out

    print(
        f"machine: nproc={os.cpu_count()} loadavg={' '.join(os.getloadavg().__repr__()[1:-1].split(', '))} "
        f"load={'wrk -t1' if USE_WRK else 'asyncio client'} -c{args.connections}",
        flush=True,
    )
    with contextlib.ExitStack() as stack:
        run = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wafrate-")))
        os.chmod(run, 0o755)
        upstream = stack.enter_context(
            nginx_upstream(run, 64) if shutil.which("nginx") else python_upstream(64)
        )
        rport = stack.enter_context(redis_server(run))
        rurl = f"redis://127.0.0.1:{rport}"

        # 2. in-process first, on an empty redis db 1 (the proxies use db 0)
        print("\n## per hit, in process (median of 5 x 100,000 hits; Redis: 2,000 sequential round trips)")
        print(f"| store | 100 keys | {keys:,} keys |")
        print("|---|---:|---:|")
        for limit in (10, 100):
            a, b = memory_hit_us(100, limit, 600), memory_hit_us(keys, limit, 600)
            print(f"| MemoryRateStore L={limit} | {a:.2f} µs | {b:.2f} µs |", flush=True)
        # Redis: L = 100 only (the ring, as the proxy's rule below); populating 100,000 keys costs ~15 s
        (a50, a99), (b50, b99) = (
            asyncio.run(_redis_hits(f"{rurl}/1", k, 100, 600, 2000)) for k in (100, keys)
        )
        print(
            f"| RedisRateStore L=100, p50 / p99 | {a50:.0f} / {a99:.0f} µs | {b50:.0f} / {b99:.0f} µs |",
            flush=True,
        )

        # 1. through the proxy
        base_acl = write_acl(run / "base.json", [])
        rate_acl = write_acl(run / "rate.json", [rate])
        targets = {
            "no rate rule": stack.enter_context(serve(upstream.url, base_acl)),
            "rate rule, memory": stack.enter_context(serve(upstream.url, rate_acl)),
            "rate rule, --redis": stack.enter_context(serve(upstream.url, rate_acl, "--redis", f"{rurl}/0")),
        }
        print(f"\n## through wafproxy serve (1 worker), {keys:,} tracked keys", flush=True)
        start = time.monotonic()
        warm = load(targets["no rate rule"], keys, 1, 1, args.connections)  # nothing to track: warm-up only
        with ThreadPoolExecutor(2) as pool:  # both rate targets at once: two single-process proxies
            filled = dict(
                zip(
                    RATE_TARGETS,
                    pool.map(
                        lambda n: load(targets[n], keys, 1, 600, args.connections, stop=True), RATE_TARGETS
                    ),
                )
            )
        print(
            f"warm-up no rate rule: {warm['requests']:.0f} requests; pre-populated with distinct keys "
            f"(both at once, {time.monotonic() - start:.0f} s): "
            + ", ".join(
                f"{n} {r['requests']:.0f} requests, non-2xx {r['non2xx']:.0f}" for n, r in filled.items()
            ),
            flush=True,
        )
        print(f"redis keys after pre-population: {redis_dbsize(rport):,} (db 0)")
        results: dict[tuple[str, int], list[dict[str, float]]] = {}
        loads = ((args.connections, args.duration), (1, max(1.0, args.duration / 2)))
        for rnd in range(1, args.rounds + 1):
            for conns, seconds in loads:
                for name, port in targets.items():
                    res = load(port, keys, stride, seconds, conns)
                    results.setdefault((name, conns), []).append(res)
                    print(
                        f"round {rnd} c{conns:<3d} {name:20s} {res['rps']:7.0f} req/s "
                        f"p50 {res['p50']:6.2f} ms "
                        f"p99 {res['p99']:6.2f} ms non-2xx {res['non2xx']:.0f}",
                        flush=True,
                    )
        live = {n: enforces(targets[n], 100) for n in RATE_TARGETS}
        print(f"rule enforced after the run (101st request on a fresh key is 429): {live}")
        time.sleep(2.5)  # the hit counts reach /metrics every 2 s
        print(f"redis target: {redis_fallbacks(targets['rate rule, --redis'])}")

        med = {k: {f: statistics.median(r[f] for r in rs) for f in rs[0]} for k, rs in results.items()}
        c = args.connections
        print(
            f"\n| target | req/s (c{c}) | p50 / p99 ms (c{c}) | p50 / p99 ms (c1) | "
            f"added p50 (c1) | added p50 (c{c}) | non-2xx |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name in targets:
            hi, lo = med[(name, c)], med[(name, 1)]
            base_hi, base_lo = med[("no rate rule", c)], med[("no rate rule", 1)]
            print(
                f"| {name} | {hi['rps']:.0f} | {hi['p50']:.2f} / {hi['p99']:.2f} | "
                f"{lo['p50']:.2f} / {lo['p99']:.2f} | "
                f"{(lo['p50'] - base_lo['p50']) * 1000:+.0f} µs | {hi['p50'] - base_hi['p50']:+.2f} ms | "
                f"{hi['non2xx'] + lo['non2xx']:.0f} |"
            )

    with contextlib.ExitStack() as stack:
        run = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wafrate-")))
        os.chmod(run, 0o755)
        upstream = stack.enter_context(
            nginx_upstream(run, 64) if shutil.which("nginx") else python_upstream(64)
        )
        rport = stack.enter_context(redis_server(run))
        limits = {"/api/log": args.small_limit, "/api/ring": args.limit}  # both algorithms (EXACT_MAX 16)
        acl = write_acl(
            run / "shared.json",
            [rate_rule(lim, args.window, f"Rate{lim}", scope) for scope, lim in limits.items()],
        )
        ports = [
            stack.enter_context(
                serve(upstream.url, acl, "--redis", f"redis://127.0.0.1:{rport}/0", "--hosts", "3")
            )
            for _ in range(3)
        ]
        duration = args.window * args.windows
        print(
            f"\n## over-admission: 3 wafproxy serve processes, one redis-server, W={args.window} s, one key, "
            f"{duration:.0f} s, {args.per_port} connections per process",
            flush=True,
        )
        # Warm every process (upstream and Redis connections) on other keys of the same rules, so cold
        # starts do not stretch the first answers: a long answer blurs when the request was admitted.
        asyncio.run(hammer(ports, list(limits), "warm-up", 1.0, args.per_port))
        stamps = asyncio.run(hammer(ports, list(limits), "shared", duration, args.per_port))
        time.sleep(2.5)
        for i, port in enumerate(ports):
            print(f"process {i + 1}: {redis_fallbacks(port)}")
        print(
            "| rule | L | requests | allowed | statuses | most allowed in any W, by answer time (÷ L) | "
            "by send time (÷ L) | certain ≤ true ≤ possible | slowest allowed answer |"
        )
        print("|---|---:|---:|---:|---|---:|---:|---:|---:|")
        for scope, lim in limits.items():
            mine = [(s, a, st) for p, s, a, st in stamps if p == scope]
            allowed = [(s, a) for s, a, st in mine if 200 <= st < 300]
            by_answer = most_in_window([a for _, a in allowed], args.window)
            by_send = most_in_window([s for s, _ in allowed], args.window)
            certain = most_certainly_in_window(allowed, args.window)
            possible = most_possibly_in_window(allowed, args.window)
            slowest = max((a - s for s, a in allowed), default=0.0) * 1000
            print(
                f"| {scope} | {lim} | {len(mine):,} | {len(allowed)} | {sorted({st for *_, st in mine})} | "
                f"{by_answer} ({by_answer / lim:.2f}) | {by_send} ({by_send / lim:.2f}) | "
                f"{certain} ≤ · ≤ {possible} | {slowest:.0f} ms |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
