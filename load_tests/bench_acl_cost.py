#!/usr/bin/env python3
"""What each rule of the default web ACL costs a request, measured in one process, same run.

    .venv/bin/python load_tests/bench_acl_cost.py [--calls 1000] [--rounds 5] [--whole] [--vary {query,path}]

Times ``evaluate()`` on the requests of ``tests/engine/test_bench_default_acl.py`` (a benign
browser GET, a 2 KB form POST, a JSON API PUT) for the whole default ACL and for the ACL with one
top-level rule (a managed group, usually) left out, so the cost of each group is a difference
measured minutes apart on the same load, not two numbers from different days. Min of ``--rounds``
rounds of ``--calls`` calls (the minimum is the least disturbed by other work on shared cores).
Reports µs per request, and this process's resident memory once the whole default ACL is
compiled and has evaluated the requests (issue 11: ≤ 150 MB per worker); asserts nothing.
Repeating one request flatters the cross-request memos (the path's and the query string's):
``--vary query`` times requests built with new strings and a query string never seen before,
``--vary path`` a new path too (``acl_instructions.varied``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from load_tests.acl_instructions import varied  # noqa: E402
from tests.engine.test_bench_default_acl import FORM_POST_2KB, JSON_API_PUT, SIMPLE_GET  # noqa: E402
from wafproxy.aclfiles import MANAGED_DIR, FileResolver, read_document  # noqa: E402
from wafproxy.engine import CompiledWebACL, WafRequest, compile_web_acl, evaluate  # noqa: E402

DEFAULT_ACL = REPO / "rules" / "default-web-acl.json"
REQUESTS = (("benign GET", SIMPLE_GET), ("2 KB form POST", FORM_POST_2KB), ("JSON PUT", JSON_API_PUT))


def _best(
    acl: CompiledWebACL, request: WafRequest, calls: int, rounds: int, vary: str | None = None
) -> float:
    best = float("inf")
    for n in range(rounds):
        batch = varied(request, calls, vary, tag=f"{id(acl)}x{n}") if vary else [request] * calls
        start = time.perf_counter()
        for each in batch:
            evaluate(acl, each)
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def rss_mb() -> float:
    """This process's resident set size (Linux ``/proc``; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--whole", action="store_true", help="only the whole default ACL (no leave-one-out rows)")
    ap.add_argument("--vary", choices=("query", "path"), help="new strings, a new query (and path) per call")
    args = ap.parse_args()
    document = read_document(DEFAULT_ACL)
    assert isinstance(document, dict)
    resolver = FileResolver(DEFAULT_ACL, MANAGED_DIR)
    variants: list[tuple[str, dict[str, object]]] = [("whole default ACL", document)]
    for rule in [] if args.whole else document["Rules"]:
        rest = [r for r in document["Rules"] if r is not rule]
        variants.append((f"without {rule['Name']}", {**document, "Rules": rest}))
    print("| web ACL | " + " | ".join(name for name, _ in REQUESTS) + " |")
    print("|---|" + "---:|" * len(REQUESTS))
    for label, doc in variants:
        acl = compile_web_acl(doc, resolver=resolver, source=str(DEFAULT_ACL))
        cells = [f"{_best(acl, req, args.calls, args.rounds, args.vary):.0f} µs" for _, req in REQUESTS]
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
        if label == "whole default ACL":
            whole_rss = rss_mb()
    print(f"\nRSS with the whole default ACL compiled and evaluated: {whole_rss:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
