#!/usr/bin/env python3
"""Every decision of the default web ACL, written out in full, so an engine change can be diffed.

    .venv/bin/python load_tests/decision_identity.py --write /tmp/before.txt
    .venv/bin/python load_tests/decision_identity.py --check /tmp/before.txt   # exit 1 on any diff
    .venv/bin/python load_tests/decision_identity.py --repo ../engine-base --write /tmp/base.txt

An engine speed pass must not change a single decision. This evaluates, in-process, every case of
``../shared/corpus/*.jsonl`` (the request bytes the shared scorer sends, as ``tests/rules/corpuskit``
builds them), every should-block / should-pass payload of ``tests/rules`` in every placement, our
own benign inputs and the three bench requests, against two ACLs: the shipped default web ACL and
the same ACL with every managed rule overridden to Count (so each request collects the label and
evidence of *every* rule it matches, not only of the first that blocks). One line per (ACL, case):
the case id and ``repr(Decision)`` (action, terminating rule, labels, every ``MatchDetail``).

Not a pytest golden file on purpose: the managed groups change often (issue 15), and a golden
file would have to be regenerated with every rule edit. Compare two engines on the *same* rules:
``--repo`` runs another checkout's engine, tests and rules (e.g. a ``git worktree`` of ``main``).
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def _cases(shared: Path | None) -> Iterator[tuple[str, object]]:
    """(case id, WafRequest) for everything we know how to send."""
    from tests.engine.test_bench_default_acl import TRAFFIC
    from tests.rules import corpuskit
    from tests.rules.benign import BENIGN
    from tests.rules.cases import CASES
    from tests.rules.test_managed_rules import PLACEMENTS, request_with

    if shared is not None:  # a worktree whose ../shared is not the team's
        corpuskit.CORPUS_DIR, corpuskit.WAF_EVAL = shared / "corpus", shared / "tools" / "waf_eval.py"
    yield from ((f"bench:{name}", request) for name, request in TRAFFIC.items())
    for case in CASES:
        for kind, payloads in (("block", case.block), ("allow", case.allow)):
            for i, payload in enumerate(payloads):
                for placement in PLACEMENTS:
                    yield f"rules:{case.rule_class}:{kind}{i}:{placement}", request_with(
                        payload, placement, case.rule_class
                    )
    for i, text in enumerate(BENIGN):
        for placement in PLACEMENTS:
            yield f"benign:{i}:{placement}", request_with(text, placement, "benign")
    if not corpuskit.available():
        print(f"warning: {corpuskit.CORPUS_DIR} not present; corpora skipped", file=sys.stderr)
        return
    waf_eval = corpuskit._waf_eval()
    target = waf_eval.Target("http://127.0.0.1:8080", None)
    for path in sorted(corpuskit.CORPUS_DIR.glob("*.jsonl")):
        for n, case in enumerate(corpuskit.load(path.name)):
            raw = waf_eval.build_request(case, target, True)
            yield f"corpus:{path.stem}:{n}:{case.get('id', '')}", corpuskit.parse_raw(raw)


def decisions(shared: Path | None) -> Iterator[str]:
    from tests.rules.test_managed_rules import DEFAULT_ACL, counting_acl
    from wafproxy.aclfiles import load_web_acl
    from wafproxy.engine import evaluate

    with tempfile.TemporaryDirectory() as tmp:
        acls = (("default", load_web_acl(DEFAULT_ACL)), ("counting", counting_acl(Path(tmp))))
    cases = list(_cases(shared))
    for name, acl in acls:
        for case_id, request in cases:
            yield f"{name} {case_id} {evaluate(acl, request)!r}"  # type: ignore[arg-type]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    ap.add_argument("--shared", type=Path, default=None, help="the shared dir (default: ../shared)")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", type=Path, help="write the decisions here")
    mode.add_argument("--check", type=Path, help="compare with a file written by --write")
    args = ap.parse_args()
    sys.path.insert(0, str(args.repo.resolve()))
    start = time.perf_counter()
    lines = [line + "\n" for line in decisions(args.shared)]
    elapsed = time.perf_counter() - start
    if args.write:
        args.write.write_text("".join(lines), encoding="utf-8")
        print(f"{len(lines)} decisions written to {args.write} in {elapsed:.1f} s")
        return 0
    want = args.check.read_text(encoding="utf-8").splitlines(keepends=True)
    diff = list(difflib.unified_diff(want, lines, str(args.check), "now", n=0))
    if diff:
        sys.stdout.writelines(diff[:200])
        changed = sum(1 for d in diff if d.startswith("+") and not d.startswith("+++"))
        print(f"\n{changed} of {len(lines)} decisions differ")
        return 1
    print(f"{len(lines)} decisions identical ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
