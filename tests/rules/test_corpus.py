"""A fixed sample of the shared dev corpora, run in-process through the default web ACL.

Not timed, no sockets: a guard that rule changes do not drop detection or raise false positives
(issue 4). The full corpora through ``wafproxy serve`` are ``load_tests/eval_corpus.py``.
Thresholds sit a little under the measured scores (docs/managed-rules.md) so noise in a sample
cannot fail the run, but a real regression does. Skipped when ``../shared`` is absent.
"""

from __future__ import annotations

import pytest

from tests.rules import corpuskit as ck
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import CompiledWebACL

pytestmark = pytest.mark.skipif(not ck.available(), reason="../shared corpus not present")


@pytest.fixture(scope="module")
def acl() -> CompiledWebACL:
    return load_web_acl(ck.DEFAULT_ACL)


def test_evasion_sample_detected(acl: CompiledWebACL) -> None:
    score = ck.score(ck.run(acl, ck.sample(ck.load("evasion-dev.jsonl"), 200)))
    assert score.rate >= 0.95, score.by_category
    for category, (blocked, total) in score.by_category.items():
        assert blocked / total >= 0.8, (category, blocked, total)


def test_benign_sample_passes(acl: CompiledWebACL) -> None:
    cases = ck.sample(ck.load("benign-dev.jsonl"), 300)
    blocked = [(o.case["id"], o.rule) for o in ck.run(acl, cases) if o.blocked]
    assert len(blocked) <= 0.01 * len(cases), blocked


def test_crs_sample_detected(acl: CompiledWebACL) -> None:
    cases = ck.sample(ck.load("crs-attacks.jsonl"), 600)
    outcomes = list(ck.run(acl, cases))
    pl1 = [o for o in outcomes if o.case.get("crs_pl") == 1]
    assert sum(o.blocked for o in outcomes) / len(outcomes) >= 0.82  # measured 0.857
    assert sum(o.blocked for o in pl1) / len(pl1) >= 0.92  # measured 0.952
