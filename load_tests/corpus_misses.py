#!/usr/bin/env python3
"""List what a ``waf_eval.py --details`` run got wrong: missed attacks and blocked benign cases.

    python3 ../shared/tools/waf_eval.py --target http://127.0.0.1:8080 --details /tmp/d.jsonl \\
        --where category=REQUEST-942-APPLICATION-ATTACK-SQLI ../shared/corpus/crs-attacks.jsonl
    .venv/bin/python load_tests/corpus_misses.py /tmp/d.jsonl [--pl 1] [--rule 942] [--limit 50]
    .venv/bin/python load_tests/corpus_misses.py --in-process [--category REQUEST-942] [--pl 1] [--rule 942]

``--in-process`` skips the sockets: it builds each case's request bytes with ``waf_eval``'s own
builder and evaluates them through the default web ACL (``tests/rules/corpuskit.py``), then also
runs ``benign-dev`` + ``evasion-dev`` and prints every blocked benign case with the rule that fired.
Seconds instead of minutes, but it does not see what the HTTP server in front of the engine
rejects or normalises: confirm with a real ``wafproxy serve`` run before quoting a number.

Prints one block per wrong case: id, CRS rule and paranoia level (when present), outcome, and the
payload (or the request line, headers and body for ``HTTP`` cases), so rules are written from what
was missed rather than guessed. A development aid; it scores nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

CORPUS = next((d / "shared" / "corpus" for d in Path(__file__).resolve().parents if (d / "shared").is_dir()), Path("../shared/corpus"))


def _index() -> dict[str, dict[str, object]]:
    cases: dict[str, dict[str, object]] = {}
    for path in CORPUS.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                cases[case["id"]] = case
    return cases


def _show(case: dict[str, object]) -> str:
    req = case.get("request")
    if isinstance(req, dict):
        head = f"{req.get('method')} {req.get('uri')} {req.get('version')}"
        hdrs = "\n".join(f"    {k}: {v}" for k, v in req.get("headers", []))
        body = req.get("body") or ""
        return f"  {head}\n{hdrs}" + (f"\n  body: {str(body)[:600]!r}" if body else "")
    return f"  [{case.get('placement')}] {str(case.get('payload'))[:600]!r}"


def _in_process(args: argparse.Namespace) -> int:
    import sys
    from collections import Counter

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.rules import corpuskit as ck
    from wafproxy.aclfiles import load_web_acl

    acl = load_web_acl(args.acl or ck.DEFAULT_ACL)
    crs = [c for c in ck.load("crs-attacks.jsonl") if str(c.get("category", "")).startswith(args.category)]
    crs = [c for c in crs if args.pl is None or c.get("crs_pl") == args.pl]
    crs = [c for c in crs if str(c.get("crs_rule", "")).startswith(args.rule)]
    missed, total = Counter[str](), Counter[str]()
    shown = 0
    for out in ck.run(acl, crs):
        rule = str(out.case.get("crs_rule", "-"))
        total[rule] += 1
        if not out.blocked:
            missed[rule] += 1
            if shown < args.limit:
                print(f"{out.case['id']}  rule={rule} pl={out.case.get('crs_pl')}")
                print(_show(out.case))
                shown += 1
    n, m = sum(total.values()), sum(missed.values())
    print(f"# crs-attacks selected: {n}, blocked {n - m} ({100 * (n - m) / max(n, 1):.1f}%)")
    print("# missed per CRS rule: " + ", ".join(f"{r} {missed[r]}/{total[r]}" for r, _ in missed.most_common()))
    for name in ("evasion-dev.jsonl", "benign-dev.jsonl"):
        cases = ck.load(name)
        wrong = [o for o in ck.run(acl, cases) if o.blocked != (o.case["expect"] == "block")]
        print(f"# {name}: {len(wrong)} wrong of {len(cases)}")
        for o in wrong:
            print(f"  {o.case['id']} {o.case.get('category')} rule={o.rule or '-'}: {str(o.case.get('payload'))[:160]!r}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("details", type=Path, nargs="?")
    ap.add_argument("--in-process", action="store_true", help="evaluate in-process instead of reading details")
    ap.add_argument("--category", default="", help="--in-process: crs-attacks categories starting with this")
    ap.add_argument("--acl", default=None, help="--in-process: web ACL file (default: the shipped one)")
    ap.add_argument("--pl", type=int, default=None, help="only cases of this CRS paranoia level")
    ap.add_argument("--rule", default="", help="only CRS rules starting with this (e.g. 9421)")
    ap.add_argument("--limit", type=int, default=1000)
    args = ap.parse_args()
    if args.in_process:
        return _in_process(args)
    if args.details is None:
        ap.error("a details file, or --in-process")
    cases = _index()
    shown = 0
    for line in args.details.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        case = cases[row["id"]]
        wrong = (row["expect"] == "block") != (row["outcome"] in ("blocked", "reset"))
        if not wrong or (args.pl is not None and case.get("crs_pl") != args.pl):
            continue
        if args.rule and not str(case.get("crs_rule", "")).startswith(args.rule):
            continue
        print(f"{row['id']}  rule={case.get('crs_rule', '-')} pl={case.get('crs_pl', '-')} "
              f"cat={case.get('category')} outcome={row['outcome']}({row.get('status')})")
        print(_show(case))
        shown += 1
        if shown >= args.limit:
            break
    print(f"# {shown} shown")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
