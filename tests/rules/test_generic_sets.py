"""The generic injection families and API carriers of ``generic_sets.py`` through the default web
ACL, in-process (the bytes ``waf_eval.py`` sends): each family ≥ 95 % blocked over every encoding
and placement that carries it, and not one benign look-alike blocked (URLs with internal-looking
names, templates and code in prose, Django filter parameters, GraphQL queries, the same values in
GraphQL variables, SOAP elements and nested JSON)."""

from __future__ import annotations

import pytest

from tests.rules import corpuskit as ck
from tests.rules.generic_sets import API_CARRIED, FAMILIES, attack_cases, benign_cases
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import CompiledWebACL

pytestmark = pytest.mark.skipif(not ck.available(), reason="../shared/tools/waf_eval.py not present")


@pytest.fixture(scope="module")
def acl() -> CompiledWebACL:
    return load_web_acl(ck.DEFAULT_ACL)


@pytest.mark.parametrize("family", [*sorted(FAMILIES), *(f"api-{f}" for f in API_CARRIED)])
def test_generic_family_is_blocked(family: str, acl: CompiledWebACL) -> None:
    rows = [c for c in attack_cases() if c["family"] == family]
    assert len(rows) >= 8, family
    missed = [o.case["id"] for o in ck.run(acl, rows) if not o.blocked]
    rate = 1 - len(missed) / len(rows)
    assert rate >= 0.95, f"{family}: {100 * rate:.1f} % blocked; missed {missed}"


def test_generic_benign_look_alikes_pass(acl: CompiledWebACL) -> None:
    rows = benign_cases()
    assert len(rows) >= 400
    blocked = [(o.case["id"], o.rule) for o in ck.run(acl, rows) if o.blocked]
    assert not blocked, blocked
