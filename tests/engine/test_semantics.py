"""Evaluation semantics as AWS documents them: priority, Count, labels, groups, responses."""

from __future__ import annotations

import pytest

from tests.engine.aclkit import VIS, byte_match, compile_with, req, rule, web_acl
from wafproxy.engine import Action, DocumentIndex, compile_web_acl, evaluate
from wafproxy.engine.decision import RuleType

NS = "awswaf:000000000000:webacl:test-acl:"
LABEL = lambda scope, key: {"LabelMatchStatement": {"Scope": scope, "Key": key}}  # noqa: E731


def test_priority_order_not_document_order():
    acl = compile_with(
        web_acl(
            rule("later", 5, byte_match("/"), "Block"),
            rule("first", 1, byte_match("/"), "Allow"),
        )
    )
    assert acl.rule_names == ["first", "later"]
    assert evaluate(acl, req("/x")).terminating_rule_id == "first"


def test_count_continues_adds_labels_and_inserted_headers():
    count = {"Count": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "Suspect", "Value": "1"}]}}}
    allow = {"Allow": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "ok", "Value": "yes"}]}}}
    acl = compile_with(
        web_acl(
            rule("count", 0, byte_match("/"), count, labels=("suspect:path",)),
            rule("allow", 1, LABEL("LABEL", "suspect:path"), allow),
        )
    )
    d = evaluate(acl, req("/x"))
    assert d.action is Action.ALLOW and d.terminating_rule_id == "allow"
    assert d.labels == (NS + "suspect:path",)
    assert [m.rule_name for m in d.non_terminating] == ["count"]
    assert [m.rule_name for m in d.matches] == ["count", "allow"]
    assert d.inserted_headers == (("x-amzn-waf-suspect", "1"), ("x-amzn-waf-ok", "yes"))


@pytest.mark.parametrize(
    ("scope", "key", "expected"),
    [
        ("LABEL", NS + "a:b:c", True),
        ("LABEL", "a:b:c", True),
        # not fully qualified: relative to the statement's context (AWS LabelMatchStatement.Key)
        ("LABEL", "b:c", False),
        ("LABEL", "c", False),
        ("LABEL", "awswaf:other:webacl:x:a:b:c", False),
        ("LABEL", "a:b", False),
        ("LABEL", "x:c", False),
        ("NAMESPACE", "a:b:", True),
        ("NAMESPACE", "a:", True),
        ("NAMESPACE", NS + "a:b:", True),
        ("NAMESPACE", "b:c:", False),
        ("NAMESPACE", "z:", False),
    ],
)
def test_label_match(scope, key, expected):
    acl = compile_with(
        web_acl(
            rule("tag", 0, byte_match("/"), "Count", labels=("a:b:c",)),
            rule("match", 1, LABEL(scope, key)),
        )
    )
    assert (evaluate(acl, req()).action is Action.BLOCK) is expected


def test_label_from_a_later_rule_is_not_visible_earlier():
    acl = compile_with(
        web_acl(
            rule("match", 0, LABEL("LABEL", "late")),
            rule("tag", 1, byte_match("/"), "Count", labels=("late",)),
        )
    )
    assert evaluate(acl, req()).action is Action.ALLOW


def test_custom_response_and_default_block():
    bodies = {"denied": {"ContentType": "TEXT_HTML", "Content": "<h1>no</h1>"}}
    block = {
        "Block": {
            "CustomResponse": {
                "ResponseCode": 429,
                "CustomResponseBodyKey": "denied",
                "ResponseHeaders": [{"Name": "Retry-After", "Value": "5"}],
            }
        }
    }
    default = {"Block": {"CustomResponse": {"ResponseCode": 418}}}
    acl = compile_with(
        web_acl(rule("r", 0, byte_match("/deny"), block), default=default, CustomResponseBodies=bodies)
    )
    d = evaluate(acl, req("/deny"))
    assert d.custom_response is not None
    assert (d.custom_response.status_code, d.custom_response.body, d.custom_response.content_type) == (
        429,
        b"<h1>no</h1>",
        "text/html",
    )
    assert d.custom_response.headers == (("Retry-After", "5"),)
    d = evaluate(acl, req("/other"))
    assert d.action is Action.BLOCK and d.terminating_rule_id == "Default_Action"
    assert d.custom_response is not None and d.custom_response.status_code == 418


@pytest.mark.parametrize("action", ["Captcha", "Challenge"])
def test_captcha_and_challenge_terminate(action):
    acl = compile_with(web_acl(rule("r", 0, byte_match("/"), action), rule("never", 1, byte_match("/"))))
    assert evaluate(acl, req()).action is Action[action.upper()]


GROUP = {
    "RuleGroup": {
        "Name": "my-group",
        "Id": "g",
        "Capacity": 50,
        "ARN": "arn:aws:wafv2:us-east-1:111122223333:regional/rulegroup/my-group/g",
        "VisibilityConfig": VIS,
        "LabelNamespace": "awswaf:111122223333:rulegroup:my-group:",
        "CustomResponseBodies": {"g": {"ContentType": "TEXT_PLAIN", "Content": "group says no"}},
        "Rules": [
            rule("tag", 0, byte_match("/"), "Count", labels=("seen",)),
            rule(
                "bad",
                1,
                byte_match("/bad"),
                {"Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "g"}}},
            ),
            rule("worse", 2, byte_match("/worse"), "Block"),
        ],
    },
    "LockToken": "t",
}


def _group_acl(override: str = "None", **stmt_extra):
    stmt = {"RuleGroupReferenceStatement": {"ARN": GROUP["RuleGroup"]["ARN"], **stmt_extra}}
    return compile_with(
        web_acl(
            rule("grp", 0, stmt, OverrideAction={override: {}}),
            rule("after", 1, LABEL("LABEL", "awswaf:111122223333:rulegroup:my-group:seen"), "Count"),
            rule("relative", 2, LABEL("LABEL", "seen"), "Count"),  # web ACL context: no such label
        ),
        GROUP,
    )


def test_rule_group_terminates_with_its_rule_and_body():
    d = evaluate(_group_acl(), req("/bad"))
    assert d.action is Action.BLOCK
    assert (d.terminating_rule_id, d.terminating_rule_group, d.terminating_group_rule_id) == (
        "grp",
        "my-group",
        "bad",
    )
    assert d.terminating_rule_type is RuleType.GROUP
    assert d.custom_response is not None and d.custom_response.body == b"group says no"
    assert d.labels == ("awswaf:111122223333:rulegroup:my-group:seen",)


def test_rule_group_labels_visible_to_later_rules_by_their_full_name():
    d = evaluate(_group_acl(), req("/fine"))
    assert d.action is Action.ALLOW
    assert [m.rule_name for m in d.non_terminating] == ["tag", "after"]  # not "relative"


def test_relative_label_key_inside_a_group_is_the_group_namespace():
    group = {
        "Name": "g2",
        "Capacity": 10,
        "VisibilityConfig": VIS,
        "LabelNamespace": "awswaf:1:rulegroup:g2:",
        "Rules": [
            rule("tag", 0, byte_match("/"), "Count", labels=("x:y",)),
            rule("use", 1, LABEL("NAMESPACE", "x:")),
        ],
    }
    acl = compile_with(
        web_acl(rule("g", 0, {"RuleGroupReferenceStatement": {"ARN": "g2"}}, OverrideAction={"None": {}})),
        group,
    )
    d = evaluate(acl, req())
    assert d.action is Action.BLOCK and d.terminating_group_rule_id == "use"


def test_override_action_count_turns_group_result_into_count():
    d = evaluate(_group_acl("Count"), req("/bad"))
    assert d.action is Action.ALLOW
    assert ("grp", Action.COUNT) in [(m.rule_name, m.action) for m in d.non_terminating]


def test_excluded_rules_and_rule_action_overrides():
    acl = _group_acl(
        ExcludedRules=[{"Name": "bad"}],
        RuleActionOverrides=[{"Name": "worse", "ActionToUse": {"Captcha": {}}}],
    )
    assert evaluate(acl, req("/bad")).action is Action.ALLOW
    d = evaluate(acl, req("/worse"))
    assert d.action is Action.CAPTCHA and d.terminating_group_rule_id == "worse"


def test_managed_group_scope_down_and_namespace():
    managed = dict(GROUP["RuleGroup"], Name="AWSManagedRulesTest", VendorName="AWS")
    managed.pop("LabelNamespace")
    managed.pop("ARN")
    index = DocumentIndex()
    index.add_document(managed, "managed.json", managed=True)
    stmt = {
        "ManagedRuleGroupStatement": {
            "VendorName": "AWS",
            "Name": "AWSManagedRulesTest",
            "ScopeDownStatement": byte_match("/app", position="STARTS_WITH"),
        }
    }
    acl = compile_web_acl(web_acl(rule("m", 0, stmt, OverrideAction={"None": {}})), resolver=index)
    d = evaluate(acl, req("/app/bad"))
    assert d.action is Action.BLOCK and d.terminating_rule_type is RuleType.MANAGED_RULE_GROUP
    assert d.labels == ("awswaf:managed:aws:AWSManagedRulesTest:seen",)
    assert evaluate(acl, req("/other/bad")).action is Action.ALLOW


def test_body_limit_from_association_config():
    doc = web_acl(AssociationConfig={"RequestBody": {"CLOUDFRONT": {"DefaultSizeInspectionLimit": "KB_64"}}})
    assert compile_with(doc).body_inspection_limit == 64 * 1024


def test_oversize_flag_on_decision():
    acl = compile_with(web_acl())
    assert evaluate(acl, req(method="POST", body=b"x", body_size=10)).oversize
    assert not evaluate(acl, req(method="POST", body=b"x")).oversize


def test_match_details_explain_field_transformations_and_pattern():
    regex_set = {"Name": "rs", "RegularExpressionList": [{"RegexString": "^zz"}, {"RegexString": "bad[0-9]"}]}
    stmt = {
        "RegexPatternSetReferenceStatement": {
            "ARN": "rs",
            "FieldToMatch": {"SingleHeader": {"Name": "User-Agent"}},
            "TextTransformations": [
                {"Priority": 0, "Type": "URL_DECODE"},
                {"Priority": 1, "Type": "LOWERCASE"},
            ],
        }
    }
    acl = compile_with(web_acl(rule("r", 0, stmt)), regex_set)
    d = evaluate(acl, req(headers=(("User-Agent", "A%20BAD7%20agent"),)))
    (detail,) = d.terminating_details
    assert detail.condition_type == "REGEX_PATTERN_SET" and detail.location == "HEADER"
    assert (detail.field, detail.field_name) == ("SingleHeader:user-agent", "user-agent")
    assert detail.transformations == ("URL_DECODE", "LOWERCASE")
    assert detail.pattern == "bad[0-9]" and detail.matched_data[0] == "a bad7 agent"


def test_ja3_is_a_compile_error_when_tls_is_not_ours():
    from wafproxy.engine import WebAclError

    doc = web_acl(rule("r", 0, byte_match("x", {"JA3Fingerprint": {"FallbackBehavior": "NO_MATCH"}})))
    assert compile_with(doc).rule_names == ["r"]
    with pytest.raises(WebAclError) as err:
        compile_with(doc, tls_fingerprints=False)
    assert err.value.path == "$.Rules[0].Statement.ByteMatchStatement.FieldToMatch.JA3Fingerprint"


def test_label_namespace_of_the_document_is_used():
    doc = web_acl(
        rule("r", 0, byte_match("/"), "Count", labels=("x",)), LabelNamespace="awswaf:111:webacl:prod:"
    )
    assert evaluate(compile_with(doc), req()).labels == ("awswaf:111:webacl:prod:x",)


def test_user_limits_do_not_bind_shipped_managed_groups():
    from wafproxy.engine import WebAclError

    long_regex = "(?:" + "|".join(f"word{i:03d}" for i in range(80)) + ")"
    assert len(long_regex) > 512
    stmt = {
        "RegexMatchStatement": {
            "RegexString": long_regex,
            "FieldToMatch": {"UriPath": {}},
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }
    group = {
        "Name": "G",
        "VendorName": "wafproxy",
        "Capacity": 10,
        "VisibilityConfig": VIS,
        "Rules": [rule("long", 0, stmt)],
    }
    index = DocumentIndex()
    index.add_document(group, "managed/g.json", managed=True)
    managed = {"ManagedRuleGroupStatement": {"VendorName": "wafproxy", "Name": "G"}}
    acl = compile_web_acl(web_acl(rule("m", 0, managed, OverrideAction={"None": {}})), resolver=index)
    assert evaluate(acl, req("/x/word042")).action is Action.BLOCK
    with pytest.raises(WebAclError, match="at most 512"):
        compile_with(web_acl(rule("r", 0, stmt)))


def test_token_immunity_on_captcha_and_challenge():
    acl = compile_with(
        web_acl(
            rule(
                "c",
                0,
                byte_match("/c"),
                "Captcha",
                CaptchaConfig={"ImmunityTimeProperty": {"ImmunityTime": 900}},
            ),
            rule("h", 1, byte_match("/h"), "Challenge"),
            ChallengeConfig={"ImmunityTimeProperty": {"ImmunityTime": 120}},
        )
    )
    assert evaluate(acl, req("/c")).token_immunity_seconds == 900  # the rule's own
    assert evaluate(acl, req("/h")).token_immunity_seconds == 120  # the web ACL's
    assert evaluate(acl, req("/x")).token_immunity_seconds is None
