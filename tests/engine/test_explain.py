"""Explanations name the rule, the field, the transformations, the value and the pattern."""

from __future__ import annotations

import json

from tests.engine.aclkit import byte_match, compile_with, req, rule, web_acl
from wafproxy.engine import evaluate
from wafproxy.engine.explain import explain, explain_text


def _decision():
    acl = compile_with(
        web_acl(
            rule("tag", 0, byte_match("/"), "Count", labels=("seen",)),
            rule(
                "ua",
                1,
                byte_match(
                    "sqlmap",
                    {"SingleHeader": {"Name": "User-Agent"}},
                    "STARTS_WITH",
                    ("URL_DECODE", "LOWERCASE"),
                ),
            ),
        )
    )
    return evaluate(acl, req("/x", headers=(("User-Agent", "SQLMap%2F1.7"),)))


def test_explain_json():
    out = explain(_decision())
    json.dumps(out)  # JSON-ready
    assert out["action"] == "BLOCK" and out["terminatingRuleId"] == "ua"
    assert out["labels"] == ["awswaf:000000000000:webacl:test-acl:seen"]
    (detail,) = out["matches"][1]["details"]
    assert detail == {
        "conditionType": "BYTE_MATCH",
        "location": "HEADER",
        "field": "SingleHeader:user-agent",
        "fieldName": "user-agent",
        "transformations": ["URL_DECODE", "LOWERCASE"],
        "value": "sqlmap/1.7",
        "pattern": "sqlmap",
    }


def test_explain_text():
    text = explain_text(_decision())
    assert text.splitlines()[0] == "BLOCK by ua"
    assert (
        "BYTE_MATCH on SingleHeader:user-agent after URL_DECODE > LOWERCASE: 'sqlmap/1.7' ~ 'sqlmap'" in text
    )
