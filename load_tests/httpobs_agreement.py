"""How often our Observatory grader agrees with httpobs' own on the same recorded responses.

    PYTHONPATH=. python load_tests/httpobs_agreement.py [--cases 500] [--venv /tmp/httpobs-venv]

The cases (``httpobs_cases.py``) are graded here by ``wafproxy.sidecars.assessor.observatory``
and, in httpobs' own virtualenv, by httpobs 0.9.3 (``httpobs_grade.py``); prints the share of
identical grades, scores and per-test results, and every disagreement.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
from pathlib import Path
from typing import Any

from load_tests.httpobs_cases import make_cases
from wafproxy.sidecars.assessor import observatory
from wafproxy.sidecars.assessor.obs_base import Retrieval
from wafproxy.sidecars.assessor.probe import Recorded


def recorded(rec: dict[str, Any] | None) -> Recorded | None:
    if rec is None:
        return None
    return Recorded(
        rec["url"],
        rec["status"],
        tuple((k, v) for k, v in rec["headers"]),
        rec["body"].encode(),
        tuple((u, s) for u, s in rec["history"]),
        True,
        None,
        tuple((k, v) for k, v in rec.get("request_headers", [])),
    )


def ours(case: dict[str, Any]) -> observatory.Grade:
    auto = recorded(case["auto"])
    assert auto is not None
    return observatory.grade(
        Retrieval(auto, recorded(case["http"]), recorded(case["https"]), recorded(case["cors"]))
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--venv", type=Path, default=Path("/tmp/httpobs-venv"))
    args = parser.parse_args()
    cases = make_cases(args.cases)
    here = Path(__file__).resolve().parent
    done = subprocess.run(
        [str(args.venv / "bin" / "python"), str(here / "httpobs_grade.py")],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = {g["id"]: g for g in json.loads(done.stdout)}
    same_grade = same_score = 0
    per_test: collections.Counter[str] = collections.Counter()
    diffs = []
    for case in cases:
        g, t = ours(case), theirs[case["id"]]
        same_grade += g.grade == t["grade"]
        same_score += g.score == t["score"]
        for name, result in t["tests"].items():
            per_test[name] += g.results[name] == result
            if g.results[name] != result:
                diffs.append((case["id"], name, g.results[name], result))
    n = len(cases)
    print(f"cases: {n}")
    print(f"same grade: {same_grade}/{n} = {100 * same_grade / n:.1f}%")
    print(f"same score: {same_score}/{n} = {100 * same_score / n:.1f}%")
    print("httpobs' grades:", dict(sorted(collections.Counter(t["grade"] for t in theirs.values()).items())))
    for name in sorted(per_test):
        print(f"  {name}: {per_test[name]}/{n}")
    for d in diffs[:10]:
        print("  differs:", d)


if __name__ == "__main__":
    main()
