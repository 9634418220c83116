#!/usr/bin/env python3
"""Machine instructions per request of the default web ACL, in-process, under callgrind.

    load_tests/acl_instructions.py [--calls 200] [--repo PATH] [--vary {query,path}]

Wall-clock figures on the shared 2-core machine move ±50 % with the other work on it; an
instruction count does not. This re-runs itself under ``valgrind --tool=callgrind`` with
``--dump-before=getppid``: the script calls ``os.getppid()`` between phases (compile, warm-up,
then ``--calls`` evaluations of each request of ``bench_acl_cost.py``), so each phase lands in its
own dump and its total is that phase's instruction count. Prints instructions per request.
``--repo`` measures another checkout's engine and rules (e.g. a ``git worktree`` of ``main``).
``--vary query`` gives every call its own request with new ``str`` objects (what an adapter builds
from the wire) and a query string never seen before (``&r=<method><n>`` appended): no cross-request memo
of the query string can hit, and the path's memo sees the same path each time. ``--vary path``
also appends ``/<n>`` to the path (every string new: the memos' worst case).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wafproxy.engine import WafRequest

NAMES = ("benign GET", "2 KB form POST", "JSON PUT")


def varied(request: WafRequest, calls: int, vary: str, tag: str = "") -> list[WafRequest]:
    """``calls`` copies of ``request``, each with new strings and its own query string (and
    path, if ``vary`` is "path"); a new ``tag`` gives query strings not used before."""
    out = []
    for i in range(calls):
        # the method in the value: the POST's and the PUT's (empty) query strings stay distinct
        query = "&".join(filter(None, (request.query_string, f"r={request.method}{tag}{i}")))
        path = "".join(list(request.uri_path)) + (f"/{i}" if vary == "path" else "")
        headers = tuple(("".join(list(n)), "".join(list(v))) for n, v in request.headers)
        out.append(replace(request, uri_path=path, query_string=query, headers=headers))
    return out


def _measured(repo: Path, calls: int, vary: str | None) -> None:
    """The child, under callgrind: one ``getppid()`` marker before each phase."""
    sys.path.insert(0, str(repo))
    from tests.engine.test_bench_default_acl import FORM_POST_2KB, JSON_API_PUT, SIMPLE_GET
    from wafproxy.aclfiles import load_web_acl
    from wafproxy.engine import evaluate

    acl = load_web_acl(repo / "rules" / "default-web-acl.json")
    requests = (SIMPLE_GET, FORM_POST_2KB, JSON_API_PUT)
    for request in requests:  # warm: per-ACL memos, lazy imports
        for _ in range(3):
            evaluate(acl, request)
    batches = [varied(r, calls, vary) if vary else [r] * calls for r in requests]
    for batch in batches:
        os.getppid()
        for request in batch:
            evaluate(acl, request)
    os.getppid()


def _total(dump: Path) -> int:
    for line in dump.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise ValueError(f"{dump}: no totals line")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    ap.add_argument("--vary", choices=("query", "path"), help="new strings, a new query (and path) per call")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    repo = args.repo.resolve()
    if args.child:
        _measured(repo, args.calls, args.vary)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cg.out"
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-before=getppid"]
        cmd += [sys.executable, __file__, "--child", "--calls", str(args.calls), "--repo", str(repo)]
        cmd += ["--vary", args.vary] if args.vary else []
        env = {**os.environ, "PYTHONPATH": str(repo)}
        subprocess.run(cmd, check=True, env=env, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        dumps = sorted(Path(tmp).glob("cg.out.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
        # dump 1: start-up, compile, warm-up; dumps 2-4: the measured requests
        totals = [_total(d) for d in dumps[1:4]]
    print(f"| {repo} | " + " | ".join(NAMES) + " |")
    print("|---|" + "---:|" * len(NAMES))
    print("| instructions/request | " + " | ".join(f"{t / args.calls / 1000:,.0f} k" for t in totals) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
