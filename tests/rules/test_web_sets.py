"""``web_sets``: XSS and path traversal in every carrier are blocked, their look-alikes are not.

Through the default web ACL in-process, from the bytes ``waf_eval.py`` would send (``corpuskit``).
"""

from __future__ import annotations

import pytest

from tests.rules import corpuskit as ck
from tests.rules.web_sets import BENIGN, TRAVERSAL, XSS, web_cases
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import CompiledWebACL

pytestmark = pytest.mark.skipif(not ck.available(), reason="../shared/tools/waf_eval.py not present")


@pytest.fixture(scope="module")
def acl() -> CompiledWebACL:
    return load_web_acl(ck.DEFAULT_ACL)


@pytest.mark.parametrize(("family", "payloads"), [("xss", XSS), ("traversal", TRAVERSAL)])
def test_every_carrier_of_an_attack_is_blocked(
    family: str, payloads: tuple[str, ...], acl: CompiledWebACL
) -> None:
    rows = web_cases(family, payloads, "block")
    assert len(rows) > 30 * len(payloads)
    missed = [o.case["id"] for o in ck.run(acl, rows) if not o.blocked]
    assert not missed, missed


def test_look_alikes_pass_in_every_carrier(acl: CompiledWebACL) -> None:
    rows = web_cases("benign", BENIGN, "allow")
    blocked = [(o.case["id"], o.rule) for o in ck.run(acl, rows) if o.blocked]
    assert not blocked, blocked
