#!/usr/bin/env python3
"""Detection scores of ``wafproxy serve`` with the default web ACL on the shared dev corpora.

    .venv/bin/python load_tests/eval_corpus.py                 # all three corpora
    .venv/bin/python load_tests/eval_corpus.py --acl my-acl.json --details /tmp/cases.jsonl

Starts a 200-answering upstream (a tiny uvicorn app) and ``wafproxy serve`` in front of it on
free loopback ports, then runs ``../shared/tools/waf_eval.py`` (the shared black-box scorer, raw
sockets, 403 = blocked) on ``evasion-dev`` + ``benign-dev`` together and on ``crs-attacks`` (all
cases, and the ``crs_pl=1`` subset), and prints the scores against the issue 4 targets. Exits 0
with a "skipped" line when ``../shared`` is not there (a checkout outside the team workspace).
The in-process sample test is ``tests/rules/test_corpus.py``; this is the full, end-to-end run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# ../shared next to the checkout, or next to the worktree directory (/work/wt/<name>).
SHARED = next((d / "shared" for d in REPO.parents if (d / "shared").is_dir()), REPO.parent / "shared")
CORPUS = SHARED / "corpus"
WAF_EVAL = SHARED / "tools" / "waf_eval.py"
sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGETS = {  # issue 4
    "evasion TPR": (">=", 95.0),
    "benign FP": ("<=", 1.0),
    "crs pl1": (">=", 85.0),
    "crs all": (">=", 70.0),
}


def _score(target: str, files: list[Path], extra: list[str], details: Path | None) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [sys.executable, str(WAF_EVAL), "--target", target, "--json", out.name, "--concurrency", "4"]
        cmd += extra + (["--details", str(details)] if details else []) + [str(f) for f in files]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        return json.loads(Path(out.name).read_text())  # type: ignore[no-any-return]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--acl", default=None, help="web ACL file (default: the shipped default web ACL)")
    ap.add_argument("--details", type=Path, default=None, help="per-case JSONL of the evasion+benign run")
    args = ap.parse_args()
    if not (CORPUS.is_dir() and WAF_EVAL.is_file()):
        print(f"skipped: {SHARED} (corpora and waf_eval.py) not present")
        return 0

    from bench_proxy import python_upstream, wafproxy

    with contextlib.ExitStack() as stack:
        upstream = stack.enter_context(python_upstream(16))
        proxy = stack.enter_context(wafproxy(upstream.url, 1, args.acl))
        # The CRS regression set sends deliberately malformed requests; uvicorn logs each one.
        dev = _score(proxy.url, [CORPUS / "evasion-dev.jsonl", CORPUS / "benign-dev.jsonl"], [], args.details)
        crs_all = _score(proxy.url, [CORPUS / "crs-attacks.jsonl"], [], None)
        crs_pl1 = _score(proxy.url, [CORPUS / "crs-attacks.jsonl"], ["--where", "crs_pl=1"], None)

    scores = {
        "evasion TPR": dev["detection_pct"],
        "benign FP": dev["fp_pct"],
        "crs pl1": crs_pl1["detection_pct"],
        "crs all": crs_all["detection_pct"],
    }
    print("| measure | wafproxy | target | met |")
    print("|---|---:|---:|:---:|")
    for name, value in scores.items():
        op, goal = TARGETS[name]
        met = value >= goal if op == ">=" else value <= goal
        print(f"| {name} | {value:.1f}% | {op} {goal:.0f}% | {'yes' if met else 'no'} |")
    print(f"\nbalanced (evasion+benign): {dev['balanced_pct']}%")
    print("\nevasion-dev by category (TPR):")
    for row in dev["per_category_attacks"]:
        print(f"  {row['key']:12s} {row['blocked']:4d}/{row['n']:4d}  {row['rate']}%")
    print("\ncrs-attacks by CRS file (TPR, all paranoia levels):")
    for row in crs_all["per_category_attacks"]:
        print(f"  {row['key']:48s} {row['blocked']:4d}/{row['n']:4d}  {row['rate']}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
