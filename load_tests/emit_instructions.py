#!/usr/bin/env python3
"""Machine instructions per ``RequestEvent`` through the event sink ``wafproxy serve`` builds.

    load_tests/emit_instructions.py [--detector on|off] [--waf-log FILE] [--event allow|block]
                                    [--calls 20000] [--wall]

Builds the sink chain as a ``wafproxy serve`` worker does (``build_event_sink``: metrics, the WAF
log when ``--waf-log`` is given; the threat detector subscribed as ``attach_to_data_path`` does)
and emits the bench's GET (``bench_proxy.GET_PATH``, its headers, an ALLOW by the default action;
``--event block``: a managed-group BLOCK with labels and evidence) ``--calls`` times from inside
a running uvloop loop, ten events per loop turn (what ``path_instructions.py --concurrency 10``
sends), so the metrics' batching runs as it does in the server. Timestamps advance ``--step``
seconds per event (default 20 ms: 50 requests/s from the one client, under the detector's flood
threshold; ``--step 0.001`` floods it, so every event is a finding).

Counted with callgrind: the script runs itself twice under ``valgrind --tool=callgrind``
(building ``--calls`` events both times, emitting them once) and prints the difference divided by
``--calls``: the set-up (imports, the detector's policy, the metrics registry) cancels out.
``--wall`` instead prints µs per emit measured in this process (noisy on a shared machine;
instructions are the figure).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from load_tests.bench_proxy import GET_PATH, UA  # noqa: E402


def make_event(kind: str, ts: float) -> Any:
    from wafproxy.engine.decision import Action, Decision, MatchDetail, RuleMatch, RuleType
    from wafproxy.engine.request import WafRequest
    from wafproxy.events import RequestEvent

    path, _, query = GET_PATH.partition("?")
    request = WafRequest("127.0.0.1", "GET", path, query,
                         (("Host", "localhost"), ("User-Agent", UA), ("Accept", "text/html,*/*;q=0.8")),
                         b"", 0, "1.1", "http", "", "req-1", "127.0.0.1")
    request.header_values("content-type")  # the engine reads one header by name on every request
    if kind == "allow":
        decision = Decision(Action.ALLOW)
        status = 200
    else:
        group = "AWS-AWSManagedRulesSQLiRuleSet"
        detail = MatchDetail("SQL_INJECTION", "QUERY_STRING", ("1' or '1'='1",))
        match = RuleMatch("SQLi_QUERYARGUMENTS", Action.BLOCK, group, RuleType.MANAGED_RULE_GROUP, (detail,))
        decision = Decision(Action.BLOCK, group, RuleType.MANAGED_RULE_GROUP, group, (detail,),
                            ("awswaf:managed:aws:sql-database:SQLi_QueryArguments",), (), (match,),
                            terminating_group_rule_id="SQLi_QUERYARGUMENTS")
        status = 403
    upstream = 0.0007 if status == 200 else None
    return RequestEvent(ts, "default-web-acl", request, decision, status, 4.2e-5, upstream)


def build_sink(args: argparse.Namespace) -> tuple[Any, list[Any]]:
    from wafproxy.asgi.app import build_event_sink
    from wafproxy.settings import Settings

    settings = Settings(detector=args.detector, waf_log=args.waf_log)
    sink, metrics, closeables = build_event_sink(settings)
    if args.detector != "off":
        from wafproxy.sidecars.detector.wiring import build_detector

        registry = metrics.registry if metrics is not None else None
        service = build_detector(settings, registry, "default-web-acl")
        if service is not None and sink is not None:
            sink.subscribe(service.detector)
    return sink, closeables


async def run(args: argparse.Namespace, calls: int) -> None:
    """Build ``args.calls`` events (in both callgrind runs), emit ``calls`` of them."""
    sink, closeables = build_sink(args)
    base = time.time()
    events = [make_event(args.event, base + i * args.step) for i in range(args.calls)]
    emit = sink.emit
    started = time.perf_counter()
    for i in range(args.calls):  # the loop turns run in both callgrind runs, the emits in one
        if i < calls:
            emit(events[i])
        if i % 10 == 9:
            await asyncio.sleep(0)
    await asyncio.sleep(0)
    elapsed = time.perf_counter() - started
    for c in closeables:
        c.close()
    if args.wall and calls:
        print(f"{elapsed / calls * 1e6:.2f} µs per emit ({calls} events)")


def _inner(args: argparse.Namespace) -> None:
    import uvloop

    uvloop.run(run(args, 0 if args.no_emit else args.calls))


def _callgrind_total(argv: list[str], out: Path) -> int:
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no",
           sys.executable, __file__, *argv, "--inner"]
    subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    events: list[str] = []
    for line in out.read_text().splitlines():
        if line.startswith("events:"):
            events = line.split()[1:]
        if line.startswith(("summary:", "totals:")):
            return dict(zip(events, map(int, line.split()[1:]), strict=False))["Ir"]
    raise ValueError(f"{out}: no totals")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--detector", choices=("on", "off"), default="off")
    ap.add_argument("--waf-log", default=None)
    ap.add_argument("--event", choices=("allow", "block"), default="allow")
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--step", type=float, default=0.02, help="seconds between two events' timestamps")
    ap.add_argument("--wall", action="store_true", help="µs per emit in this process, no callgrind")
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-emit", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner or args.wall:
        _inner(args)
        return 0
    base = ["--detector", args.detector, "--event", args.event, "--step", str(args.step),
            "--calls", str(args.calls)]
    with tempfile.TemporaryDirectory(prefix="emitinstr-") as tmp:
        logs = [None, None]
        if args.waf_log:
            logs = [os.path.join(tmp, "empty.log"), os.path.join(tmp, "full.log")]
        zero = _callgrind_total([*base, "--no-emit", *(["--waf-log", logs[0]] if logs[0] else [])],
                                Path(tmp) / "cg.zero")
        full = _callgrind_total([*base, *(["--waf-log", logs[1]] if logs[1] else [])],
                                Path(tmp) / "cg.full")
    print(f"emit detector={args.detector} waf_log={'yes' if args.waf_log else 'no'} event={args.event} "
          f"step={args.step}: "
          f"{(full - zero) / args.calls:,.0f} instructions/event ({args.calls} events)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
