#!/usr/bin/env python3
"""Score the default web ACL on this repository's own sets (issue 15): the attack families of
``tests/rules/attack_sets.py``, every placement x encoding of ``tests/rules/placed_sets.py`` and
the benign generator ``tests/rules/benign_sets.py``.

    .venv/bin/python load_tests/eval_sets.py                 # in-process, per family and shape
    .venv/bin/python load_tests/eval_sets.py --misses        # also list every wrong case
    .venv/bin/python load_tests/eval_sets.py --re2           # RE2 fallback: no hyperscan compile
    .venv/bin/python load_tests/eval_sets.py --write /tmp/s  # JSONL for ../shared/tools/waf_eval.py

In-process evaluation builds each request with ``waf_eval.py``'s own ``build_request`` (so it is
what the end-to-end run sends) and evaluates it through the engine. ``--re2`` is for iterating on
rules only: served numbers are hyperscan's (``test_engines_agree`` keeps the two alike).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--misses", action="store_true", help="print every missed attack and blocked benign case")
    ap.add_argument(
        "--re2", action="store_true", help="compile with RE2 instead of hyperscan (fast iteration)"
    )
    ap.add_argument("--family", default="", help="only families starting with this")
    ap.add_argument(
        "--write", type=Path, default=None, help="write own-attacks.jsonl and own-benign.jsonl here"
    )
    args = ap.parse_args()
    if args.re2:
        import wafproxy.engine.matchers as matchers

        matchers.HAVE_HYPERSCAN = False
    from tests.rules import corpuskit as ck
    from tests.rules.attack_sets import all_cases
    from tests.rules.benign_sets import benign_cases
    from tests.rules.placed_sets import placed_cases
    from tests.rules.setkit import write_jsonl
    from wafproxy.aclfiles import load_web_acl

    attacks = [c for c in all_cases() + placed_cases() if c["family"].startswith(args.family)]
    benign = [c for c in benign_cases() if c["family"].startswith(args.family)]
    if args.write is not None:
        args.write.mkdir(parents=True, exist_ok=True)
        write_jsonl(str(args.write / "own-attacks.jsonl"), attacks)
        write_jsonl(str(args.write / "own-benign.jsonl"), benign)
        print(f"wrote {len(attacks)} attack and {len(benign)} benign cases to {args.write}")
    if not ck.available():
        print("skipped: ../shared/tools/waf_eval.py not present")
        return 0
    acl = load_web_acl(ck.DEFAULT_ACL)
    for title, rows, expect_block in (("attacks", attacks, True), ("benign", benign, False)):
        total, right = Counter[tuple[str, str]](), Counter[tuple[str, str]]()
        wrong = []
        for out in ck.run(acl, rows):
            key = (out.case["family"], out.case["shape"])
            total[key] += 1
            if out.blocked == expect_block:
                right[key] += 1
            else:
                wrong.append(out)
        _table(title, total, right, expect_block)
        if args.misses:
            for out in wrong:
                c = out.case
                shown = c.get("payload") or c.get("request", {}).get("uri", "") + " " + c.get(
                    "request", {}
                ).get("body", "")
                print(f"  {c['id']} rule={out.rule or '-'}: {shown[:200]!r}")
    return 0


def _table(title: str, total: Counter[tuple[str, str]], right: Counter[tuple[str, str]], block: bool) -> None:
    verb = "blocked" if block else "blocked (false positives)"
    print(f"\n## {title}: {verb}\n")
    print("| family | cases | " + verb + " | rate |\n|---|---:|---:|---:|")
    for family in sorted({f for f, _ in total}):
        n = sum(v for (f, _), v in total.items() if f == family)
        r = sum(v for (f, _), v in right.items() if f == family)
        hit = r if block else n - r
        shapes = ", ".join(
            f"{s} {(right[(f, s)] if block else total[(f, s)] - right[(f, s)])}/{total[(f, s)]}"
            for (f, s) in sorted(total)
            if f == family
        )
        print(f"| {family} | {n} | {hit} | {100 * hit / n:.1f} % |  <!-- {shapes} -->")
    n, r = sum(total.values()), sum(right.values())
    hit = r if block else n - r
    print(f"| **all** | {n} | {hit} | {100 * hit / max(n, 1):.1f} % |")


if __name__ == "__main__":
    raise SystemExit(main())
