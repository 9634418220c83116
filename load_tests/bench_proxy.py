#!/usr/bin/env python3
"""Side-by-side proxy benchmark: wafproxy vs nginx (plain reverse proxy) vs nginx + ModSecurity + CRS.

    .venv/bin/python load_tests/bench_proxy.py                  # 2 rounds x 10 s per target
    .venv/bin/python load_tests/bench_proxy.py --rounds 3 --duration 15 --workers 2

Every target proxies to the same upstream (an nginx answering a 1 KB body; a built-in asyncio
server when nginx is not installed), rounds are interleaved in time so the machine's noise hits all
targets alike, and the ratios are computed from numbers measured in this one run. Load comes from
``wrk`` (one thread, 50 connections) when installed, else from a built-in asyncio keep-alive load
generator. CPU per request is the server processes' user+system CPU time (from /proc) divided by
the requests they answered.

``--loop-lag DIR``: the one-worker wafproxy runs the event-loop lag probe
(``wafproxy/observability/looplag.py``); each round prints wrk's p50/p75/p90/p99 and the probe's
lag histogram with every stall over 2 ms split by where its time went (the kernel's run queue,
GC, off CPU, our own CPU), and saves the round's report as JSON in DIR.

The anchors (nginx and nginx + ModSecurity + OWASP CRS 3.3.4) are started with
``../shared/tools/anchors/start_nginx_anchor.sh`` when that directory exists.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# A git worktree sits one level deeper than the main checkout: WAFPROXY_ANCHORS names the directory.
ANCHORS = Path(os.environ.get("WAFPROXY_ANCHORS", REPO.parent / "shared" / "tools" / "anchors"))
GET_PATH = "/search?q=running+shoes&category=sport&page=2&sort=price_asc&lang=en"
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36"
CLK_TCK = os.sysconf("SC_CLK_TCK")

_UPSTREAM_CONF = """
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {run}/tmp; proxy_temp_path {run}/tmp; fastcgi_temp_path {run}/tmp;
    uwsgi_temp_path {run}/tmp; scgi_temp_path {run}/tmp;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port} default_server;
        location / {{ default_type text/plain; return 200 "{body}"; }}
    }}
}}
"""


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} not listening")


def wait_served(port: int, connections: int, timeout: float = 600.0) -> None:
    """Until ``connections`` GETs, each on a new connection, are answered. ``--workers``: the
    parent listens before its workers serve, and a connection waits in the queue of the worker
    its hash picked: with eight per worker, one that none reaches is unlikely (2 x 2^-16 of two)."""
    request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    for _ in range(connections):
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(request)
            if not sock.recv(16).startswith(b"HTTP/1.1 "):
                raise RuntimeError(f"port {port}: not an HTTP answer")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def cpu_seconds(root_pids: list[int]) -> float:
    """User+system CPU of these processes and all their descendants."""
    tree = _children()
    total = 0.0
    stack = list(root_pids)
    seen: set[int] = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        stack.extend(tree.get(pid, []))
    return total


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores (from /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields) - idle) / CLK_TCK, sum(fields) / CLK_TCK


def rss_mb(root_pids: list[int]) -> list[tuple[int, float]]:
    """(pid, resident MB) of these processes and all their descendants (parent, then workers)."""
    tree = _children()
    out: list[tuple[int, float]] = []
    stack = list(root_pids)
    while stack:
        pid = stack.pop(0)
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append((pid, int(line.split()[1]) / 1024))
        stack.extend(tree.get(pid, []))
    return out


@dataclass
class Target:
    name: str
    url: str
    pids: list[int]
    results: list[dict[str, float]] = field(default_factory=list)
    workers: int = 1  # wafproxy --workers N: the parent's worker processes (worker_share)
    loop_lag: Path | None = None  # --loop-lag: the one-worker wafproxy's probe report


# --- load generators -------------------------------------------------------------------------


def _to_ms(value: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)$", value)
    if not m:
        return float("nan")
    n, unit = float(m.group(1)), m.group(2)
    return {"us": n / 1000, "ms": n, "s": n * 1000, "m": n * 60000}[unit]


def parse_wrk(out: str) -> dict[str, float]:
    """req/s, p50/p99 (ms), request and non-2xx counts from ``wrk --latency`` output."""
    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for p in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{p}%\s+(\S+)", out, re.M)
        res[f"p{p}"] = _to_ms(m.group(1)) if m else float("nan")
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non2xx"] = float(m.group(1)) if m else 0.0
    return res


# ``--post``: the in-process bench's 2 KB form POST (tests/engine/test_bench_default_acl.py), sent
# to every target instead of the GET; None = the GET.
POST_BODY: bytes | None = None
POST_PATH = "/checkout"


def _lua_string(data: bytes) -> str:
    return '"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}" for b in data) + '"'


def run_wrk(url: str, duration: int, connections: int) -> dict[str, float]:
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    if POST_BODY is None:
        script.write(f'wrk.method = "GET"\nwrk.path = "{GET_PATH}"\n')
    else:
        script.write(f'wrk.method = "POST"\nwrk.path = "{POST_PATH}"\nwrk.body = {_lua_string(POST_BODY)}\n'
                     'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
    script.write(
        f'wrk.headers["Host"] = "localhost"\n'
        f'wrk.headers["User-Agent"] = "{UA}"\nwrk.headers["Accept"] = "text/html,*/*;q=0.8"\n'
    )
    script.close()
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script.name, url],
        capture_output=True, text=True, check=True,
    ).stdout
    os.unlink(script.name)
    return parse_wrk(out)


async def _async_load(host: str, port: int, duration: float, connections: int) -> dict[str, float]:
    request = (
        f"GET {GET_PATH} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: {UA}\r\nAccept: */*\r\n\r\n"
    ).encode()
    if POST_BODY is not None:
        request = (f"POST {POST_PATH} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: {UA}\r\nAccept: */*\r\n"
                   f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(POST_BODY)}"
                   "\r\n\r\n").encode() + POST_BODY
    latencies: list[float] = []
    non2xx = 0
    stop = time.monotonic() + duration

    async def one() -> None:
        nonlocal non2xx
        reader, writer = await asyncio.open_connection(host, port)
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            m = re.search(rb"(?i)content-length:\s*(\d+)", head)
            await reader.readexactly(int(m.group(1)) if m else 0)
            latencies.append(time.perf_counter() - t0)
            if not 200 <= status < 400:
                non2xx += 1
        writer.close()

    t0 = time.monotonic()
    await asyncio.gather(*(one() for _ in range(connections)))
    elapsed = time.monotonic() - t0
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 100 else [float("nan")] * 99
    return {"rps": len(latencies) / elapsed, "p50": q[49] * 1000, "p99": q[98] * 1000,
            "requests": float(len(latencies)), "non2xx": float(non2xx)}


def run_load(url: str, duration: int, connections: int) -> dict[str, float]:
    if shutil.which("wrk"):
        return run_wrk(url, duration, connections)
    host, port = url.split("//", 1)[1].split(":")
    return asyncio.run(_async_load(host, int(port), duration, connections))


# --- loop-lag probe (--loop-lag DIR) --------------------------------------------------------


def lag_report(target: Target, timeout: float = 10.0) -> dict | None:
    """Ask the one-worker wafproxy for its probe's report since the last one (SIGUSR2)."""
    if target.loop_lag is None:
        return None
    with contextlib.suppress(FileNotFoundError):
        target.loop_lag.unlink()
    os.kill(target.pids[0], signal.SIGUSR2)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError, ValueError):
            return json.loads(target.loop_lag.read_text())
        time.sleep(0.02)
    return None


def lag_line(report: dict) -> str:
    """One line: the lag histogram and every stall over 2 ms split by where its time went."""
    stalls = report["stalls"]
    # Each stall counted once, by the first of these that took half its time (a GC pass the
    # kernel preempted is the kernel's: its CPU time is small).
    kernel = sum(1 for s in stalls if s["runqueue_ms"] >= s["late_ms"] / 2)
    off = sum(1 for s in stalls if s["runqueue_ms"] < s["late_ms"] / 2 <= s.get("off_cpu_ms", 0))
    gcs = sum(1 for s in stalls
              if max(s["runqueue_ms"], s.get("off_cpu_ms", 0)) < s["late_ms"] / 2 <= s["gc_ms"])
    hist = " ".join(f"{k}:{v}" for k, v in report["lag_ms"].items() if v)
    gc_line = ", ".join(f"gen{g} {v['n']}x max {v['max_ms']} ms ({v.get('max_cpu_ms', '?')} ms CPU)"
                        for g, v in report["gc"].items())
    worst = max((s["late_ms"] for s in stalls), default=0.0)
    return (f"    loop lag ms [{hist}] ticks {report['ticks']}; {len(stalls)} stalls > 2 ms (worst "
            f"{worst:.1f} ms): {kernel} mostly run-queue wait, {gcs} mostly GC, {off} mostly off CPU "
            f"(GIL, blocking calls), {len(stalls) - kernel - gcs - off} our CPU; GC {gc_line or 'none'}; "
            f"loop thread CPU {report['cpu_s']:.2f} s (process {report.get('process_cpu_s', 0):.2f} s), "
            f"run-queue wait {report['runqueue_s']:.2f} s in {report['seconds']:.1f} s")


# --- servers ---------------------------------------------------------------------------------


@contextlib.contextmanager
def nginx_upstream(run: Path, body_size: int) -> Iterator[Target]:
    port = free_port()
    (run / "upstream" / "tmp").mkdir(parents=True, exist_ok=True)
    conf = run / "upstream" / "nginx.conf"
    conf.write_text(_UPSTREAM_CONF.format(run=run / "upstream", port=port, body="x" * body_size))
    if os.getuid() == 0:  # nginx workers drop privileges; name a user that exists here
        user = "www-data" if _user_exists("www-data") else "nobody nogroup"
        conf.write_text(f"user {user};\n" + conf.read_text())
        shutil.chown(run / "upstream" / "tmp", user.split()[0])
    subprocess.run(["nginx", "-p", str(run / "upstream"), "-c", str(conf), "-e", str(run / "upstream/error.log")],
                   check=True)
    wait_port(port)
    pid = int((run / "upstream" / "nginx.pid").read_text())
    try:
        yield Target("upstream (direct)", f"http://127.0.0.1:{port}", [pid])
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT)


@contextlib.contextmanager
def python_upstream(body_size: int) -> Iterator[Target]:
    port = free_port()
    code = (
        "import uvicorn\n"
        f"BODY=b'x'*{body_size}\n"
        "async def app(s,r,send):\n"
        "    if s['type']!='http': return\n"
        "    await send({'type':'http.response.start','status':200,'headers':[(b'content-type',b'text/plain')]})\n"
        "    await send({'type':'http.response.body','body':BODY})\n"
        f"uvicorn.run(app,host='127.0.0.1',port={port},log_level='warning',access_log=False,"
        "loop='uvloop',http='httptools')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    wait_port(port)
    try:
        yield Target("upstream (direct)", f"http://127.0.0.1:{port}", [proc.pid])
    finally:
        proc.terminate()
        proc.wait()


@contextlib.contextmanager
def anchors(run: Path, upstream_port: int) -> Iterator[list[Target]]:
    script = ANCHORS / "start_nginx_anchor.sh"
    if not script.exists() or not shutil.which("nginx"):
        print("anchors not available: nginx rows skipped", file=sys.stderr)
        yield []
        return
    env = {**os.environ, "ANCHOR_RUN": str(run / "anchors"), "ANCHOR_UPSTREAM_PORT": str(upstream_port)}
    try:
        # Inside the try: when one anchor cannot start (its fixed port is taken by another run),
        # the ones that did start are stopped too.
        subprocess.run(["bash", str(script), "proxy", "crs-pl1"], check=True, env=env, stdout=subprocess.DEVNULL)
        targets = []
        for name, inst, port in (("nginx proxy", "proxy", 18081), ("nginx+ModSecurity+CRS PL1", "crs-pl1", 18082)):
            wait_port(port)
            pid = int((run / "anchors" / inst / "nginx.pid").read_text())
            targets.append(Target(name, f"http://127.0.0.1:{port}", [pid]))
        yield targets
    finally:
        subprocess.run(["bash", str(ANCHORS / "stop_nginx_anchor.sh")], env=env, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextlib.contextmanager
def wafproxy(upstream: str, workers: int, acl: str | None, repo: Path = REPO,
             loop_lag: Path | None = None) -> Iterator[Target]:
    """``wafproxy serve`` from ``repo``'s code (another checkout: a same-run before/after)."""
    port, admin = free_port(), free_port()
    cmd = [sys.executable, "-m", "wafproxy", "serve", "--upstream", upstream,
           "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
           "--workers", str(workers), "--log-level", "warning"]
    if acl:
        cmd += ["--acl", acl]
    # The threat detector (on by default) would ban a load generator as a flood from one address:
    # these benches measure the WAF, so it is off unless WAFPROXY_DETECTOR says otherwise.
    env = {**os.environ, "WAFPROXY_DETECTOR": os.environ.get("WAFPROXY_DETECTOR", "off")}
    if repo != REPO:
        env["PYTHONPATH"] = str(repo)
    if loop_lag is not None and workers == 1:  # the probe runs in the serving process (serve_in_process)
        env["WAFPROXY_LOOP_LAG"] = str(loop_lag)
    else:
        loop_lag = None
    proc = subprocess.Popen(cmd, cwd=repo, env=env)
    try:
        wait_port(port)
        wait_served(port, 8 * workers)
        acl_name = f"ACL {Path(acl).name}" if acl else "default ACL"
        tree = "" if repo == REPO else f", {repo.name}"
        yield Target(f"wafproxy ({workers} worker{'s' if workers > 1 else ''}, {acl_name}{tree})",
                     f"http://127.0.0.1:{port}", [proc.pid], workers=workers, loop_lag=loop_lag)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


# --- main ------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--workers", default="1",
                    help="wafproxy worker counts, comma-separated: one wafproxy target each (e.g. 1,2)")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="also run wafproxy from this checkout (each --workers count): a same-run "
                         "before/after")
    ap.add_argument("--no-anchors", action="store_true", help="skip the nginx(+CRS) anchors")
    ap.add_argument("--acl", default=None, help="web ACL file (default: wafproxy's default web ACL)")
    ap.add_argument("--body-size", type=int, default=1024, help="the upstream's response body size")
    ap.add_argument("--post", action="store_true",
                    help="send the in-process bench's 2 KB form POST instead of the GET")
    ap.add_argument("--loop-lag", type=Path, default=None, metavar="DIR",
                    help="measure the one-worker wafproxy's event-loop lag (WAFPROXY_LOOP_LAG): one "
                         "report per round in DIR, a summary line per round, the p75/p90 latencies")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from worker_share import ShareSampler, ceiling_rps  # beside this script

    if args.post:
        global POST_BODY
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.engine.test_bench_default_acl import FORM_POST_2KB

        POST_BODY = FORM_POST_2KB.body

    with contextlib.ExitStack() as stack:
        run = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wafbench-")))
        os.chmod(run, 0o755)
        upstream = stack.enter_context(
            nginx_upstream(run, args.body_size) if shutil.which("nginx") else python_upstream(args.body_size)
        )
        upstream_port = int(upstream.url.rsplit(":", 1)[1])
        targets = [upstream, *([] if args.no_anchors else stack.enter_context(anchors(run, upstream_port)))]
        counts = [int(n) for n in str(args.workers).split(",")]
        if args.loop_lag is not None:
            args.loop_lag.mkdir(parents=True, exist_ok=True)
        lag_files = {"": None, "base": None} if args.loop_lag is None else {
            "": args.loop_lag / "probe-this.json", "base": args.loop_lag / "probe-base.json"}
        wafs = [stack.enter_context(wafproxy(upstream.url, n, args.acl, loop_lag=lag_files[""]))
                for n in counts]
        if args.baseline is not None:
            wafs += [stack.enter_context(wafproxy(upstream.url, n, args.acl, args.baseline.resolve(),
                                                  loop_lag=lag_files["base"]))
                     for n in counts]
        targets += wafs
        loadgen = "wrk -t1" if shutil.which("wrk") else "built-in asyncio client"
        what = f"GET {GET_PATH}" if POST_BODY is None else f"POST {POST_PATH} ({len(POST_BODY)} B form)"
        print(f"load: {loadgen} -c{args.connections} -d{args.duration}s, {what}, "
              f"{args.body_size} B response, {args.rounds} interleaved rounds, nproc={os.cpu_count()}")
        for _ in range(2):  # warm-up: connection pools, caches
            for t in targets:
                run_load(t.url, 1, args.connections)
        for rnd in range(1, args.rounds + 1):
            for t in targets:
                cpu0 = cpu_seconds(t.pids)
                up0 = cpu_seconds(upstream.pids) if t is not upstream else 0.0
                gen0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                busy0, total0 = machine_cpu()
                lag_report(t)  # starts the probe's count afresh
                with ShareSampler(t.pids[0] if t.workers > 1 else -1, int(t.url.rsplit(":", 1)[1]),
                                  args.duration / 2) as share:
                    res = run_load(t.url, args.duration, args.connections)
                lag = lag_report(t)
                cpu = cpu_seconds(t.pids) - cpu0
                gen1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                busy1, total1 = machine_cpu()
                res["cpu_us"] = cpu / res["requests"] * 1e6 if res["requests"] else float("nan")
                # What else ran meanwhile: the load generator (wrk is our child), the upstream,
                # and the whole machine's busy share (other users' work is the rest).
                gen = (gen1.ru_utime + gen1.ru_stime) - (gen0.ru_utime + gen0.ru_stime)
                up = cpu_seconds(upstream.pids) - up0 if t is not upstream else 0.0
                n = res["requests"] or float("nan")
                res["ceiling"] = ceiling_rps(res["cpu_us"], gen / n * 1e6, up / n * 1e6, t.workers,
                                             os.cpu_count() or 1) if t is not upstream else float("nan")
                extra = (f"  [loadgen {gen / n * 1e6:.0f} us/req, upstream {up / n * 1e6:.0f} us/req, "
                         f"machine busy {(busy1 - busy0) / (total1 - total0) * 100:.0f}% of "
                         f"{os.cpu_count()} cores, CPU ceiling {res['ceiling']:.0f} req/s]{share.line()}")
                t.results.append(res)
                print(f"round {rnd}  {t.name:42s} {res['rps']:9.0f} req/s  p50 {res['p50']:7.2f} ms  "
                      f"p99 {res['p99']:7.2f} ms  cpu/req {res['cpu_us']:7.1f} us  non-2xx {res['non2xx']:.0f}"
                      + extra, flush=True)
                if args.loop_lag is not None:
                    nan = float("nan")
                    print(f"    latency p50/p75/p90/p99 ms: {res['p50']:.2f} / {res.get('p75', nan):.2f}"
                          f" / {res.get('p90', nan):.2f} / {res['p99']:.2f}", flush=True)
                if lag is not None:
                    assert args.loop_lag is not None and t.loop_lag is not None
                    report = args.loop_lag / f"{t.loop_lag.stem}-round{rnd}.json"
                    report.write_text(json.dumps(lag, indent=1))
                    print(lag_line(lag), flush=True)
                time.sleep(0.5)

        for waf in wafs:  # after the load, before the processes stop
            memory = rss_mb(waf.pids)
            print(f"{waf.name} RSS: " + ", ".join(f"pid {pid} {mb:.0f} MB" for pid, mb in memory)
                  + " (parent first; with --workers the others are the workers)")

    med = {t.name: {k: statistics.median(r[k] for r in t.results) for k in t.results[0]} for t in targets}
    print("\n| target | req/s | p50 ms | p99 ms | CPU µs/req | non-2xx | CPU ceiling req/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, m in med.items():
        print(f"| {name} | {m['rps']:.0f} | {m['p50']:.2f} | {m['p99']:.2f} | {m['cpu_us']:.0f} "
              f"| {m['non2xx']:.0f} | {m['ceiling']:.0f} |")
    print()
    names = {w.name for w in wafs}
    for waf_target in wafs:
        waf = med[waf_target.name]["rps"]
        for name, m in med.items():
            if name != waf_target.name and (name not in names or len(wafs) > 1):
                print(f"{waf_target.name} / {name}: {waf / m['rps']:.3f}x")
    for many in wafs:  # each round's N workers against the same tree's one worker, measured next to it
        one = next((w for w in wafs if w.workers == 1 and w.pids != many.pids
                    and w.name.split(",", 1)[1:] == many.name.split(",", 1)[1:]), None)
        if many.workers > 1 and one is not None:
            paired = [a["rps"] / b["rps"] for a, b in zip(many.results, one.results, strict=True)]
            print(f"{many.name} / {one.name}, round by round: "
                  + ", ".join(f"{r:.2f}x" for r in paired) + f" (median {statistics.median(paired):.3f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
