"""Empty values take precomputed paths (a group's scan of "", a chain applied to ""): the same
answers as scanning and transforming them per request."""

from __future__ import annotations

import pytest

from tests.engine.aclkit import compile_with, req, rule, tt, web_acl
from wafproxy.engine import Action, evaluate


def _regex(text: str, field: dict, *types: str) -> dict:
    return {
        "RegexMatchStatement": {"RegexString": text, "FieldToMatch": field, "TextTransformations": tt(*types)}
    }


@pytest.mark.parametrize(
    ("regex", "query", "blocked"),
    [
        ("^$", "", True),  # matches only the empty value: must still match it
        ("^$", "a=1", False),
        ("x*", "", True),  # matches the empty string anywhere
        ("a", "", False),
    ],
)
def test_patterns_that_match_empty_values(regex: str, query: str, blocked: bool) -> None:
    acl = compile_with(web_acl(rule("empty", 0, _regex(regex, {"QueryString": {}}, "URL_DECODE"))))
    decision = evaluate(acl, req("/", query=query))
    assert (decision.action is Action.BLOCK) is blocked


def test_chain_of_an_empty_value_is_precomputed_per_slot() -> None:
    acl = compile_with(web_acl(rule("b64", 0, _regex("^$", {"QueryString": {}}, "BASE64_DECODE_EMBEDDED"))))
    group = acl.groups[0]
    assert group.slot.on_empty == ""
    assert group.empty_hits == frozenset({0})
    assert evaluate(acl, req("/", query="")).action is Action.BLOCK
    assert evaluate(acl, req("/", query="plain")).action is Action.BLOCK  # no token: decodes to ""
