"""Compile errors are typed and precise: the JSON path and the reason, never a silent ignore."""

from __future__ import annotations

import pytest

from tests.engine.aclkit import VIS, byte_match, compile_with, rule, tt, web_acl
from wafproxy.engine import WebAclError

S = "$.Rules[0].Statement"


def REGEX(rx):  # noqa: N802
    return {
        "RegexMatchStatement": {
            "RegexString": rx,
            "FieldToMatch": {"UriPath": {}},
            "TextTransformations": tt(),
        }
    }


CASES = [
    ("unknown-top", web_acl(Colour="red"), "$.Colour", "unknown or unsupported field"),
    ("missing-default", {"Name": "a", "VisibilityConfig": VIS}, "$", "not a WebACL"),
    ("bad-name", dict(web_acl(), Name="has space"), "$.Name", "not a valid name"),
    ("default-count", web_acl(default="Count"), "$.DefaultAction.Count", "unknown or unsupported field"),
    (
        "position",
        web_acl(rule("r", 0, byte_match("x", position="BEGINS"))),
        f"{S}.ByteMatchStatement.PositionalConstraint",
        "'BEGINS' is not one of EXACTLY, STARTS_WITH",
    ),
    (
        "nested-path",
        web_acl(
            rule(
                "r", 0, {"AndStatement": {"Statements": [byte_match("x"), byte_match("y", position="NEAR")]}}
            )
        ),
        f"{S}.AndStatement.Statements[1].ByteMatchStatement.PositionalConstraint",
        "'NEAR'",
    ),
    (
        "unknown-statement-field",
        web_acl(
            rule("r", 0, {"ByteMatchStatement": {**byte_match("x")["ByteMatchStatement"], "Fuzzy": True}})
        ),
        f"{S}.ByteMatchStatement.Fuzzy",
        "unknown",
    ),
    (
        "two-statements",
        web_acl(rule("r", 0, {**byte_match("x"), **REGEX("y")})),
        S,
        "expected exactly one of",
    ),
    (
        "dup-priority",
        web_acl(rule("a", 1, byte_match("x")), rule("b", 1, byte_match("y"))),
        "$.Rules[1].Priority",
        "duplicate priority 1",
    ),
    (
        "dup-name",
        web_acl(rule("a", 1, byte_match("x")), rule("a", 2, byte_match("y"))),
        "$.Rules[1].Name",
        "duplicate rule name",
    ),
    (
        "transform",
        web_acl(rule("r", 0, byte_match("x", transforms=("ROT13",)))),
        f"{S}.ByteMatchStatement.TextTransformations[0].Type",
        "'ROT13' is not one of",
    ),
    (
        "transform-dup-prio",
        web_acl(
            rule(
                "r",
                0,
                {
                    "ByteMatchStatement": {
                        **byte_match("x")["ByteMatchStatement"],
                        "TextTransformations": [
                            {"Priority": 0, "Type": "LOWERCASE"},
                            {"Priority": 0, "Type": "NONE"},
                        ],
                    }
                },
            )
        ),
        f"{S}.ByteMatchStatement.TextTransformations[1].Priority",
        "duplicate transformation priority",
    ),
    (
        "backreference",
        web_acl(rule("r", 0, REGEX(r"(a)\1"))),
        f"{S}.RegexMatchStatement.RegexString",
        "not supported",
    ),
    (
        "lookahead",
        web_acl(rule("r", 0, REGEX(r"a(?=b)"))),
        f"{S}.RegexMatchStatement.RegexString",
        "lookahead",
    ),
    (
        "missing-ipset",
        web_acl(rule("r", 0, {"IPSetReferenceStatement": {"ARN": "nope"}})),
        f"{S}.IPSetReferenceStatement.ARN",
        "no IPSet named",
    ),
    (
        "field-unknown",
        web_acl(rule("r", 0, byte_match("x", {"Url": {}}))),
        f"{S}.ByteMatchStatement.FieldToMatch.Url",
        "unknown",
    ),
    (
        "headers-scope",
        web_acl(
            rule(
                "r",
                0,
                byte_match(
                    "x",
                    {
                        "Headers": {
                            "MatchPattern": {"All": {}},
                            "MatchScope": "BOTH",
                            "OversizeHandling": "CONTINUE",
                        }
                    },
                ),
            )
        ),
        f"{S}.ByteMatchStatement.FieldToMatch.Headers.MatchScope",
        "'BOTH' is not one of ALL, KEY, VALUE",
    ),
    (
        "json-pointer",
        web_acl(
            rule(
                "r",
                0,
                byte_match(
                    "x", {"JsonBody": {"MatchPattern": {"IncludedPaths": ["a/b"]}, "MatchScope": "VALUE"}}
                ),
            )
        ),
        f"{S}.ByteMatchStatement.FieldToMatch.JsonBody.MatchPattern.IncludedPaths[0]",
        "JSON pointer",
    ),
    (
        "rate-nested",
        web_acl(
            rule(
                "r",
                0,
                {
                    "NotStatement": {
                        "Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}
                    }
                },
            )
        ),
        f"{S}.NotStatement.Statement.RateBasedStatement",
        "only allowed as the top-level",
    ),
    (
        "rate-limit",
        web_acl(rule("r", 0, {"RateBasedStatement": {"Limit": 0, "AggregateKeyType": "IP"}})),
        f"{S}.RateBasedStatement.Limit",
        "must be >= 1",
    ),
    (
        "rate-window",
        web_acl(
            rule(
                "r",
                0,
                {"RateBasedStatement": {"Limit": 50, "AggregateKeyType": "IP", "EvaluationWindowSec": 3601}},
            )
        ),
        f"{S}.RateBasedStatement.EvaluationWindowSec",
        "must be <= 3600",
    ),
    (
        "rate-constant-scope",
        web_acl(rule("r", 0, {"RateBasedStatement": {"Limit": 50, "AggregateKeyType": "CONSTANT"}})),
        f"{S}.RateBasedStatement",
        "ScopeDownStatement",
    ),
    (
        "override-on-plain",
        web_acl(rule("r", 0, byte_match("x"), OverrideAction={"None": {}})),
        "$.Rules[0].OverrideAction",
        "only valid on rule group references",
    ),
    (
        "missing-action",
        web_acl({"Name": "r", "Priority": 0, "Statement": byte_match("x"), "VisibilityConfig": VIS}),
        "$.Rules[0]",
        "missing required field Action",
    ),
    (
        "body-key",
        web_acl(
            rule(
                "r",
                0,
                byte_match("x"),
                {"Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "nope"}}},
            )
        ),
        "$.Rules[0].Action.Block.CustomResponse.CustomResponseBodyKey",
        "no CustomResponseBodies entry",
    ),
    (
        "response-code",
        web_acl(rule("r", 0, byte_match("x"), {"Block": {"CustomResponse": {"ResponseCode": 99}}})),
        "$.Rules[0].Action.Block.CustomResponse.ResponseCode",
        "must be >= 200",
    ),
    (
        "label-namespace-key",
        web_acl(rule("r", 0, {"LabelMatchStatement": {"Scope": "NAMESPACE", "Key": "a:b"}})),
        f"{S}.LabelMatchStatement.Key",
        "must end with ':'",
    ),
    (
        "priority-type",
        web_acl(rule("r", "high", byte_match("x"))),
        "$.Rules[0].Priority",
        "expected an integer",
    ),
    (
        "size-int",
        web_acl(
            rule(
                "r",
                0,
                {
                    "SizeConstraintStatement": {
                        "FieldToMatch": {"UriPath": {}},
                        "ComparisonOperator": "GT",
                        "Size": -1,
                        "TextTransformations": tt(),
                    }
                },
            )
        ),
        f"{S}.SizeConstraintStatement.Size",
        "must be >= 0",
    ),
    (
        "labels-on-group-ref",
        web_acl(
            rule(
                "g",
                0,
                {"RuleGroupReferenceStatement": {"ARN": "x"}},
                labels=("a",),
                OverrideAction={"None": {}},
            )
        ),
        "$.Rules[0].RuleLabels",
        "not supported on a rule group reference",
    ),
    (
        "fm-rulegroups",
        web_acl(PreProcessFirewallManagerRuleGroups=[{"Name": "x"}]),
        "$.PreProcessFirewallManagerRuleGroups",
        "not supported",
    ),
]


@pytest.mark.parametrize(("document", "path", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_compile_error(document, path, reason):
    with pytest.raises(WebAclError) as err:
        compile_with(document)
    assert err.value.path == path, str(err.value)
    assert reason in err.value.reason, str(err.value)


def test_error_message_names_the_source():
    from wafproxy.engine import compile_web_acl

    with pytest.raises(WebAclError) as err:
        compile_web_acl(web_acl(rule("r", 0, byte_match("x", position="BEGINS"))), source="rules/acl.json")
    assert str(err.value).startswith(
        "rules/acl.json: $.Rules[0].Statement.ByteMatchStatement.PositionalConstraint: "
    )


def test_error_inside_a_rule_group_names_the_group_file():
    from wafproxy.engine import DocumentIndex, compile_web_acl

    index = DocumentIndex()
    group = {
        "Name": "g",
        "Capacity": 10,
        "VisibilityConfig": VIS,
        "Rules": [rule("bad", 0, byte_match("x", position="NEAR"))],
    }
    index.add_document(group, "groups/g.json")
    acl = web_acl(rule("ref", 0, {"RuleGroupReferenceStatement": {"ARN": "g"}}, OverrideAction={"None": {}}))
    with pytest.raises(WebAclError) as err:
        compile_web_acl(acl, resolver=index, source="acl.json")
    assert err.value.source == "groups/g.json"
    assert err.value.path == "$.Rules[0].Statement.ByteMatchStatement.PositionalConstraint"
    assert "in rule group g (referenced by rule ref)" in err.value.reason
