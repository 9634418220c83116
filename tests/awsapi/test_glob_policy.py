"""IAM wildcard matching and policy evaluation: table-driven, positive and negative."""

from __future__ import annotations

import pytest

from wafproxy.awsapi.glob import wildcard_match
from wafproxy.awsapi.policy import PolicyError, RequestContext, load_principal_policies, parse_policy

ACCOUNT = "123456789012"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234"


@pytest.mark.parametrize(
    ("pattern", "text", "ok"),
    [
        ("kms:*", "kms:Encrypt", True),
        ("kms:Gen*", "kms:GenerateDataKey", True),
        ("kms:Gen*", "kms:Encrypt", False),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("*", "", True),
        ("a*b*c", "aXbYc", True),
        ("a*b*c", "aXbY", False),
        ("exact", "exact", True),
        ("exact", "exactly", False),
    ],
)
def test_wildcard(pattern: str, text: str, ok: bool) -> None:
    assert wildcard_match(pattern, text) is ok


def test_wildcard_is_linear_on_hostile_input() -> None:
    # A pattern that makes backtracking regex engines explode; must finish at once.
    assert wildcard_match("*a*a*a*a*a*a*a*b", "a" * 5000) is False


def _ctx(action: str, **keys: str) -> RequestContext:
    return RequestContext(action, KEY, ALICE, ACCOUNT, {k: (v,) for k, v in keys.items()})


def test_allow_deny_and_wildcards() -> None:
    policy = parse_policy(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
                {"Effect": "Deny", "Action": ["kms:Decrypt"], "Resource": KEY},
            ]
        }
    )
    assert policy.evaluate(_ctx("kms:Encrypt")).allowed
    assert not policy.evaluate(_ctx("kms:Encrypt")).denied
    assert policy.evaluate(_ctx("kms:Decrypt")).denied  # explicit deny wins over the Allow
    assert policy.evaluate(_ctx("KMS:decrypt")).denied  # actions are case-insensitive


def test_not_action_and_resource_mismatch() -> None:
    policy = parse_policy(
        {"Statement": {"Effect": "Allow", "NotAction": "kms:Decrypt", "Resource": "arn:*:other"}}
    )
    assert not policy.evaluate(_ctx("kms:Encrypt")).allowed
    policy = parse_policy({"Statement": {"Effect": "Allow", "NotAction": "kms:Decrypt", "Resource": "*"}})
    assert policy.evaluate(_ctx("kms:Encrypt")).allowed
    assert not policy.evaluate(_ctx("kms:Decrypt")).allowed


def test_conditions_on_encryption_context() -> None:
    policy = parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:EncryptionContext:app": "billing"}},
                },
                {
                    "Effect": "Deny",
                    "Action": "kms:*",
                    "Resource": "*",
                    "Condition": {"StringLike": {"kms:EncryptionContext:tenant": "evil-*"}},
                },
            ]
        }
    )
    assert policy.evaluate(_ctx("kms:Decrypt", **{"kms:EncryptionContext:app": "billing"})).allowed
    assert not policy.evaluate(_ctx("kms:Decrypt", **{"kms:EncryptionContext:app": "hr"})).allowed
    assert not policy.evaluate(_ctx("kms:Decrypt")).allowed  # key absent: StringEquals fails
    r = policy.evaluate(
        _ctx(
            "kms:Decrypt",
            **{"kms:EncryptionContext:app": "billing", "kms:EncryptionContext:tenant": "evil-corp"},
        )
    )
    assert r.denied and r.allowed


def test_negated_and_if_exists_and_null() -> None:
    policy = parse_policy(
        {
            "Statement": {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {"kms:CallerAccount": "999"},
                    "StringEqualsIfExists": {"kms:ViaService": "ec2.amazonaws.com"},
                    "Null": {"kms:GrantIsForAWSResource": "true"},
                },
            }
        }
    )
    assert policy.evaluate(_ctx("kms:Encrypt", **{"kms:CallerAccount": ACCOUNT})).allowed
    assert not policy.evaluate(_ctx("kms:Encrypt", **{"kms:CallerAccount": "999"})).allowed
    assert not policy.evaluate(_ctx("kms:Encrypt", **{"kms:ViaService": "s3.amazonaws.com"})).allowed
    assert not policy.evaluate(_ctx("kms:Encrypt", **{"kms:GrantIsForAWSResource": "true"})).allowed


def test_for_all_values() -> None:
    policy = parse_policy(
        {
            "Statement": {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["a", "b"]}},
            }
        }
    )
    ok = RequestContext("kms:Encrypt", KEY, ALICE, ACCOUNT, {"kms:EncryptionContextKeys": ("a",)})
    bad = RequestContext("kms:Encrypt", KEY, ALICE, ACCOUNT, {"kms:EncryptionContextKeys": ("a", "c")})
    assert policy.evaluate(ok).allowed
    assert not policy.evaluate(bad).allowed


def test_resource_policy_principals() -> None:
    policy = parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {"Effect": "Allow", "Principal": {"AWS": [ALICE]}, "Action": "kms:Encrypt", "Resource": "*"},
                {"Effect": "Deny", "Principal": "*", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"},
            ]
        },
        resource_policy=True,
    )
    enc = policy.evaluate(_ctx("kms:Encrypt"))
    assert enc.allowed and enc.allowed_account
    dec = policy.evaluate(_ctx("kms:Decrypt"))
    assert not dec.allowed and dec.allowed_account
    bob = RequestContext("kms:Encrypt", KEY, f"arn:aws:iam::{ACCOUNT}:user/bob", ACCOUNT)
    assert not policy.evaluate(bob).allowed
    assert policy.evaluate(_ctx("kms:ScheduleKeyDeletion")).denied


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}, "$.Statement[0].Effect"),
        ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "$.Statement[0]"),
        ({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Foo": 1}]}, "$.Statement[0]"),
        (
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "*",
                        "Resource": "*",
                        "Condition": {"NumericLessThan": {"a": "1"}},
                    }
                ]
            },
            "$.Statement[0].Condition.NumericLessThan",
        ),
        ({"Statement": []}, "$.Statement"),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}]},
            "$.Statement[0].Principal",
        ),
    ],
)
def test_unsupported_is_an_error_with_a_path(doc: dict[str, object], path: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(doc)
    assert err.value.path == path


def test_policy_file() -> None:
    policies = load_principal_policies(
        '{"alice": {"Statement": [{"Effect": "Allow", "Action": "kms:Describe*", "Resource": "*"}]}}'
    )
    assert policies["alice"].evaluate(_ctx("kms:DescribeKey")).allowed
    with pytest.raises(PolicyError):
        load_principal_policies("[]")


def test_identity_authorizer(tmp_path: object) -> None:
    from pathlib import Path

    from wafproxy.awsapi.authz import IdentityAuthorizer
    from wafproxy.awsapi.credentials import Principal
    from wafproxy.awsapi.errors import AwsError

    alice = Principal("alice", "AK1", ACCOUNT)
    carol = Principal("carol", "AK3", ACCOUNT)
    IdentityAuthorizer.from_file(None).check(carol, "wafv2:DeleteIPSet")  # no policy file: allow-all
    path = Path(str(tmp_path)) / "policies.json"
    path.write_text(
        '{"alice": {"Statement": [{"Effect": "Allow", "Action": "wafv2:Get*", "Resource": "*"}]}}'
    )
    authz = IdentityAuthorizer.from_file(path)
    authz.check(alice, "wafv2:GetWebACL", "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/x/1")
    for who, action in ((alice, "wafv2:UpdateWebACL"), (carol, "wafv2:GetWebACL")):
        with pytest.raises(AwsError) as err:
            authz.check(who, action)
        assert err.value.code == "AccessDeniedException"


def test_refuses_outright_only_when_no_resource_could_be_allowed() -> None:
    """The check a service makes before looking a resource up: it must never refuse what some
    resource or request would allow (a resource-scoped or conditional statement)."""
    policy = parse_policy({"Statement": [
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "arn:aws:kms:us-east-1:1:key/abc"},
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Sign"], "Resource": "*"},
        {"Effect": "Deny", "Action": "kms:Sign", "Resource": "*"},
        {"Effect": "Allow", "Action": "kms:Verify", "Resource": "*"},
        {"Effect": "Deny", "Action": "kms:Verify", "Resource": "*",
         "Condition": {"StringEquals": {"aws:sourceip": "192.0.2.1"}}},
        {"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*"},
        {"Effect": "Deny", "Action": "kms:DescribeKey", "Resource": "arn:aws:kms:us-east-1:1:key/abc"},
    ]})
    assert not policy.refuses_outright("kms:Encrypt")  # allowed on one key
    assert not policy.refuses_outright("kms:decrypt")  # actions match case-insensitively
    assert policy.refuses_outright("kms:Sign")  # denied on every resource, unconditionally
    assert not policy.refuses_outright("kms:Verify")  # the deny holds for one address only
    assert not policy.refuses_outright("kms:DescribeKey")  # denied on one key, not all
    assert policy.refuses_outright("kms:CreateKey")  # no statement allows it
    # KMS: a key policy may allow what no identity policy does; only an explicit deny refuses.
    assert not policy.refuses_outright("kms:CreateKey", deny_only=True)
    assert policy.refuses_outright("kms:Sign", deny_only=True)
