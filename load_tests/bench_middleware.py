#!/usr/bin/env python3
"""The middleware as users mount it: a small Starlette app served by uvicorn, with and without
``WafMiddleware`` (the default web ACL), in the same run, rounds interleaved (issue 11 target:
with ≥ 0.6× the req/s of without).

    .venv/bin/python load_tests/bench_middleware.py [--rounds 3] [--duration 10]
                                                    [--baseline OTHER_TREE] [--events] [--pure-too]
                                                    [--layer-time]

Load: ``wrk -t1 -c50`` GET of bench_proxy's benign query with browser-like headers; the apps run
as ``uvicorn --factory load_tests.bench_middleware:with_waf|without_waf`` (uvloop, httptools).
``--baseline`` also serves another checkout's ``with_waf`` (its own code, e.g. a ``git archive`` of
the commit before a change) in the same interleaved rounds; ``--events`` also serves the app with
``WafMiddleware`` emitting its events to Prometheus metrics (``with_waf_metrics``), as users who
export metrics mount it; ``--pure-too`` also serves this tree's ``with_waf`` with
``WAFPROXY_PURE_PYTHON=1`` (``with_waf@pure``): in a tree built with ``hatch_build.py --inplace``,
the compiled and the pure middleware in the same rounds (run it without that variable in the
environment). Besides req/s, each app's CPU time per request (user+system, from /proc): on a
shared, loaded machine req/s move with who gets the cores; CPU per request moves less.
``--layer-time`` also times, inside each server, every request's app call minus its router's (the
middleware stack's own wall time: ServerErrorMiddleware, WafMiddleware, ExceptionMiddleware) and
prints the median: the figure that compares two builds of the middleware itself, where whole-process
CPU per request moves by more than the difference (``wrap_timed``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from load_tests.bench_proxy import cpu_seconds, free_port, run_wrk  # noqa: E402

LAYER_TIMES_ENV = "BENCH_MIDDLEWARE_LAYER_TIMES"  # where a timed server writes its figures
MAX_SAMPLES = 2_000_000  # per server: ~16 MB of floats at most


def without_waf() -> object:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def search(request: object) -> PlainTextResponse:
        return PlainTextResponse("results\n" * 16)

    return Starlette(routes=[Route("/search", search), Route("/", search)])


def with_waf() -> object:
    from wafproxy import WafMiddleware
    from wafproxy.settings import DEFAULT_ACL

    app = without_waf()
    app.add_middleware(WafMiddleware, acl=str(DEFAULT_ACL))  # type: ignore[attr-defined]
    return app


def with_waf_metrics() -> object:
    from wafproxy import WafMiddleware
    from wafproxy.observability import EventDispatcher, WafMetrics
    from wafproxy.settings import DEFAULT_ACL

    metrics = WafMetrics()
    app = without_waf()
    app.add_middleware(WafMiddleware, acl=str(DEFAULT_ACL),  # type: ignore[attr-defined]
                       event_sink=EventDispatcher([metrics], on_error=metrics.sink_error))
    return app


class _Timed:
    """An ASGI app (or the router inside it) timed per HTTP request; every other attribute is the
    wrapped object's, so Starlette keeps using its router as before."""

    def __init__(self, app: object, samples: list[float] | None, inner: list[float]) -> None:
        self.app, self.samples, self.inner = app, samples, inner

    def __getattr__(self, name: str) -> object:
        return getattr(self.app, name)

    async def __call__(self, scope: dict[str, object], receive: object, send: object) -> None:
        started = time.perf_counter()
        await self.app(scope, receive, send)  # type: ignore[operator]
        took = time.perf_counter() - started
        if self.samples is None:
            self.inner[0] = took
        elif scope["type"] == "http" and len(self.samples) < MAX_SAMPLES:
            self.samples.append(took - self.inner[0])


def wrap_timed(app: object) -> object:
    """``app`` (a Starlette app) noting its middleware stack's own time per HTTP request (the app
    call minus the router's); on SIGUSR1 the median, p10 and mean go to ``$LAYER_TIMES_ENV``."""
    samples: list[float] = []
    inner = [0.0]
    app.router = _Timed(app.router, None, inner)  # type: ignore[attr-defined]

    def dump(*_: object) -> None:
        ordered = sorted(samples)
        figures = {"n": len(ordered), "median_us": statistics.median(ordered) * 1e6,
                   "p10_us": ordered[len(ordered) // 10] * 1e6, "mean_us": statistics.mean(ordered) * 1e6}
        target = Path(os.environ[LAYER_TIMES_ENV])
        target.with_suffix(".tmp").write_text(json.dumps(figures))
        target.with_suffix(".tmp").replace(target)

    signal.signal(signal.SIGUSR1, dump)
    return _Timed(app, samples, inner)


def timed_without_waf() -> object:
    return wrap_timed(without_waf())


def timed_with_waf() -> object:
    return wrap_timed(with_waf())


def timed_with_waf_metrics() -> object:
    return wrap_timed(with_waf_metrics())


def layer_times(procs: dict[str, tuple[subprocess.Popen[bytes], int]], files: dict[str, Path]) -> None:
    """Ask each timed server for its figures (SIGUSR1) and print them."""
    for name, (proc, _) in procs.items():
        proc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 60
    for name, path in files.items():
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if not path.exists():
            print(f"{name}: no layer times written")
            continue
        got = json.loads(path.read_text())
        print(f"{name}: middleware stack's own time inside the server (app call minus router): median "
              f"{got['median_us']:.1f} µs, p10 {got['p10_us']:.1f} µs, mean {got['mean_us']:.1f} µs "
              f"({got['n']:,} requests)")


def serve(factory: str, tree: Path = REPO, pure: bool = False,
          layer_file: Path | None = None) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    if pure:
        env["WAFPROXY_PURE_PYTHON"] = "1"
    if layer_file is not None:
        env[LAYER_TIMES_ENV] = str(layer_file)
        factory = f"timed_{factory}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", f"load_tests.bench_middleware:{factory}",
         "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
         "--log-level", "warning"], cwd=tree, env=env)
    deadline = time.monotonic() + 300
    import socket

    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return proc, port
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{factory} did not start")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--baseline", type=Path, default=None, help="another checkout: its with_waf too")
    ap.add_argument("--events", action="store_true", help="also with_waf_metrics (events to metrics)")
    ap.add_argument("--pure-too", action="store_true",
                    help="also this tree's with_waf with WAFPROXY_PURE_PYTHON=1 (compiled vs pure)")
    ap.add_argument("--layer-time", action="store_true",
                    help="also the middleware stack's own time per request, measured inside each server")
    args = ap.parse_args()
    targets: dict[str, tuple[str, Path, bool]] = {
        "without_waf": ("without_waf", REPO, False), "with_waf": ("with_waf", REPO, False)}
    if args.events:
        targets["with_waf_metrics"] = ("with_waf_metrics", REPO, False)
    if args.pure_too:
        targets["with_waf@pure"] = ("with_waf", REPO, True)
    if args.baseline is not None:
        targets["with_waf@baseline"] = ("with_waf", args.baseline.resolve(), False)
    procs: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    results: dict[str, list[float]] = {name: [] for name in targets}
    cpu_us: dict[str, list[float]] = {name: [] for name in targets}
    layer_dir = Path(tempfile.mkdtemp(prefix="bench-mw-"))
    # A tree whose bench_middleware has no timed factories (a baseline from before them) is not timed.
    layer_files = {name: layer_dir / f"{i}.json" for i, (name, (_, tree, _)) in enumerate(targets.items())
                   if args.layer_time and "def timed_with_waf(" in
                   (tree / "load_tests" / "bench_middleware.py").read_text()}
    try:
        for name, (factory, tree, pure) in targets.items():
            procs[name] = serve(factory, tree, pure, layer_files.get(name))
        for _ in range(args.rounds):
            for name, (proc, port) in procs.items():
                cpu0 = cpu_seconds([proc.pid])
                run = run_wrk(f"http://127.0.0.1:{port}", args.duration, 50)
                results[name].append(run["rps"])
                used = cpu_seconds([proc.pid]) - cpu0
                cpu_us[name].append(round(used / max(run["requests"], 1) * 1e6, 1))
        if layer_files:
            layer_times(procs, layer_files)
    finally:
        for proc, _ in procs.values():
            proc.terminate()
            proc.wait(timeout=10)
    plain = statistics.median(results["without_waf"])
    plain_cpu = statistics.median(cpu_us["without_waf"])
    print(f"Starlette app without WafMiddleware: {plain:,.0f} req/s (rounds {results['without_waf']}), "
          f"{plain_cpu:.0f} CPU µs/request (rounds {cpu_us['without_waf']})")
    for name in targets:
        if name == "without_waf":
            continue
        rps, cpu = statistics.median(results[name]), statistics.median(cpu_us[name])
        print(f"{name} (default ACL): {rps:,.0f} req/s (rounds {results[name]}), {cpu:.0f} CPU µs/request "
              f"(rounds {cpu_us[name]}); with/without: {rps / plain:.2f}x req/s, {plain_cpu / cpu:.2f}x "
              "by CPU per request (target >= 0.6x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
