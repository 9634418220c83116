"""AWS WAF log records built from real events, checked field by field, with redaction."""

from __future__ import annotations

import json

import pytest

from tests.observability import factories as f
from wafproxy.engine.decision import Action, Decision, RuleMatch, RuleType
from wafproxy.observability.errors import LoggingConfigError
from wafproxy.observability.redaction import REDACTED, Redaction, parse_redacted_fields
from wafproxy.observability.waflog import to_log_record

TOP_LEVEL = {
    "timestamp",
    "formatVersion",
    "webaclId",
    "terminatingRuleId",
    "terminatingRuleType",
    "action",
    "terminatingRuleMatchDetails",
    "httpSourceName",
    "httpSourceId",
    "ruleGroupList",
    "rateBasedRuleList",
    "nonTerminatingMatchingRules",
    "requestHeadersInserted",
    "responseCodeSent",
    "httpRequest",
    "labels",
    "requestBodySize",
    "requestBodySizeInspectedByWAF",
}
ARN = "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/main/a1b2c3d4"


def test_blocked_request_record_field_by_field() -> None:
    rec = to_log_record(f.event(), web_acl_id=ARN)
    assert set(rec) == TOP_LEVEL
    assert rec["timestamp"] == 1_700_000_000_123
    assert rec["formatVersion"] == 1
    assert rec["webaclId"] == ARN
    assert rec["terminatingRuleId"] == "AWS-AWSManagedRulesSQLiRuleSet"
    assert rec["terminatingRuleType"] == "MANAGED_RULE_GROUP"
    assert rec["action"] == "BLOCK"
    assert rec["terminatingRuleMatchDetails"] == [
        {
            "conditionType": "SQL_INJECTION",
            "location": "QUERY_STRING",
            "matchedData": ["admin'--"],
            "matchedFieldName": "user",
        }
    ]
    assert rec["httpSourceName"] == "PROXY"
    assert rec["httpSourceId"] == "wafproxy"
    # One entry per rule group with a matching rule, the terminating rule under its own group.
    assert rec["ruleGroupList"] == [
        {
            "ruleGroupId": "AWSManagedRulesCommonRuleSet",
            "terminatingRule": None,
            "nonTerminatingMatchingRules": [
                {"ruleId": "NoUserAgent_HEADER", "action": "COUNT", "ruleMatchDetails": []}
            ],
            "excludedRules": None,
        },
        {
            "ruleGroupId": "AWSManagedRulesSQLiRuleSet",
            "terminatingRule": {
                "ruleId": "SQLi_QUERYARGUMENTS",
                "action": "BLOCK",
                "ruleMatchDetails": rec["terminatingRuleMatchDetails"],
            },
            "nonTerminatingMatchingRules": [],
            "excludedRules": None,
        },
    ]
    assert rec["rateBasedRuleList"] == []
    # The ACL-level COUNT rule matched on the Cookie header: its evidence is redacted by default.
    assert rec["nonTerminatingMatchingRules"] == [
        {
            "ruleId": "CountBots",
            "action": "COUNT",
            "ruleMatchDetails": [
                {
                    "conditionType": "BYTE_MATCH",
                    "location": "HEADER",
                    "matchedData": [REDACTED],
                    "matchedFieldName": "Cookie",
                }
            ],
        }
    ]
    assert rec["requestHeadersInserted"] is None
    assert rec["responseCodeSent"] == 429
    assert rec["httpRequest"] == {
        "clientIp": "203.0.113.7",
        "country": "-",
        "headers": [
            {"name": "Host", "value": "shop.example"},
            {"name": "User-Agent", "value": "curl/8.5.0"},
            {"name": "Authorization", "value": REDACTED},
            {"name": "Cookie", "value": REDACTED},
            {"name": "X-Trace", "value": "abc"},
        ],
        "uri": "/login",
        "args": "user=admin'--&next=/home",
        "httpVersion": "HTTP/1.1",
        "httpMethod": "POST",
        "requestId": "req-1",
    }
    assert rec["labels"] == [
        {"name": "awswaf:managed:aws:sql-database:SQLi_QueryArguments"},
        {"name": "awswaf:111122223333:webacl:main:bot"},
    ]
    assert rec["requestBodySize"] == 20000
    assert rec["requestBodySizeInspectedByWAF"] == 16
    line = json.dumps(rec)
    assert f.SECRET_TOKEN not in line and f.SESSION not in line


def test_default_action_record() -> None:
    ev = f.event(f.allowed_decision(), request=f.request(http_version="2", ja3_fingerprint="ja3hash"))
    rec = to_log_record(ev)
    assert rec["terminatingRuleId"] == "Default_Action"
    assert rec["terminatingRuleType"] == "REGULAR"
    assert rec["action"] == "ALLOW"
    assert rec["terminatingRuleMatchDetails"] == []
    assert rec["ruleGroupList"] == [] and rec["nonTerminatingMatchingRules"] == []
    assert rec["requestHeadersInserted"] == [{"name": "x-amzn-waf-checked", "value": "yes"}]
    assert rec["responseCodeSent"] is None
    assert rec["webaclId"] == "main"  # no ARN known: the name stands in
    assert rec["httpRequest"]["httpVersion"] == "HTTP/2.0"
    assert rec["ja3Fingerprint"] == "ja3hash"
    assert rec["labels"] == []


def test_acl_level_terminating_rule_is_not_listed_as_non_terminating() -> None:
    rate = RuleMatch("PerIpLimit", Action.BLOCK, None, RuleType.RATE_BASED)
    count = RuleMatch("Watch", Action.COUNT)
    decision = Decision(
        Action.BLOCK, "PerIpLimit", RuleType.RATE_BASED, matches=(count, rate), non_terminating=(count,)
    )
    rec = to_log_record(f.event(decision))
    assert rec["terminatingRuleId"] == "PerIpLimit" and rec["terminatingRuleType"] == "RATE_BASED"
    assert [r["ruleId"] for r in rec["nonTerminatingMatchingRules"]] == ["Watch"]
    assert rec["rateBasedRuleList"] == [{"rateBasedRuleId": "PerIpLimit", "rateBasedRuleName": "PerIpLimit"}]
    assert rec["ruleGroupList"] == []


def test_configured_redaction_of_uri_query_method_and_a_header() -> None:
    redaction = parse_redacted_fields(
        [{"UriPath": {}}, {"QueryString": {}}, {"Method": {}}, {"SingleHeader": {"Name": "x-trace"}}]
    )
    rec = to_log_record(f.event(), redacted_fields=redaction)
    req = rec["httpRequest"]
    assert (req["uri"], req["args"], req["httpMethod"]) == (REDACTED, REDACTED, REDACTED)
    values = {h["name"]: h["value"] for h in req["headers"]}
    assert values == {
        "Host": "shop.example",
        "User-Agent": "curl/8.5.0",
        "Authorization": REDACTED,
        "Cookie": REDACTED,
        "X-Trace": REDACTED,
    }
    # Evidence from the redacted query string is redacted too.
    assert rec["terminatingRuleMatchDetails"][0]["matchedData"] == [REDACTED]
    assert "admin'--" not in json.dumps(rec)


def test_explicitly_empty_redaction_keeps_values() -> None:
    rec = to_log_record(f.event(), redacted_fields=Redaction(headers=frozenset()))
    values = {h["name"]: h["value"] for h in rec["httpRequest"]["headers"]}
    assert values["Authorization"] == f.SECRET_TOKEN
    assert rec["nonTerminatingMatchingRules"][0]["ruleMatchDetails"][0]["matchedData"] == [f.SESSION]


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ([{"Body": {}}], "RedactedFields[0].Body"),
        ([{"SingleHeader": {}}], "RedactedFields[0].SingleHeader.Name"),
        ([{"UriPath": {}}, {"UriPath": {}, "Method": {}}], "RedactedFields[1]"),
        ([{"QueryString": {"Extra": 1}}], "RedactedFields[0].QueryString"),
        ("UriPath", "RedactedFields"),
    ],
)
def test_bad_redacted_fields_name_the_path(fields: object, path: str) -> None:
    with pytest.raises(LoggingConfigError) as err:
        parse_redacted_fields(fields)  # type: ignore[arg-type]
    assert err.value.path == path


def test_crlf_in_request_cannot_forge_a_log_line() -> None:
    ev = f.event(request=f.request(uri_path='/x\r\n{"forged":true}', headers=(("X-A", "1\n2"),)))
    line = json.dumps(to_log_record(ev), separators=(",", ":"))
    assert "\n" not in line and "\r" not in line
