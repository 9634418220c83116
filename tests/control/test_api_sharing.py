"""Rule groups' permission policies and API keys, through boto3's strict shapes: AWS's validation
and errors, and state written is state kept (a restart on the same state directory serves the
same policies and keys; the files are written whole, 0600)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.control.stack import running_stack
from tests.support.awsshapes import strict

VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "shared"}
ACTIONS = ["wafv2:CreateWebACL", "wafv2:UpdateWebACL", "wafv2:PutFirewallManagerRuleGroups"]


def _policy(**statement: Any) -> str:
    base = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": ACTIONS}
    return json.dumps({"Version": "2012-10-17", "Statement": [{**base, **statement}]})


def _code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def _group(c: Any, name: str = "shared") -> dict[str, Any]:
    return dict(
        c.create_rule_group(Name=name, Scope="REGIONAL", Capacity=10, VisibilityConfig=VIS)["Summary"]
    )


def test_permission_policy_validated_stored_and_kept(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with running_stack(tmp_path, state_dir=state) as stack:
        c = strict(stack.client())
        group = _group(c)
        with pytest.raises(ClientError) as err:
            c.get_permission_policy(ResourceArn=group["ARN"])
        assert _code(err) == "WAFNonexistentItemException"
        policy = _policy(Action=[*ACTIONS, "wafv2:GetRuleGroup"])
        c.put_permission_policy(ResourceArn=group["ARN"], Policy=policy)
        assert c.get_permission_policy(ResourceArn=group["ARN"])["Policy"] == policy
        for bad in (
            _policy(Effect="Deny"),
            _policy(Action=["wafv2:*"]),
            _policy(Action=ACTIONS[:2]),
            _policy(Resource=group["ARN"]),
            _policy(Action=[*ACTIONS, "wafv2:DeleteRuleGroup"]),
            json.dumps({"Version": "2008-10-17", "Statement": []}),
            "{not json",
        ):
            with pytest.raises(ClientError) as err:
                c.put_permission_policy(ResourceArn=group["ARN"], Policy=bad)
            assert _code(err) == "WAFInvalidPermissionPolicyException", bad
        assert (
            c.get_permission_policy(ResourceArn=group["ARN"])["Policy"] == policy
        )  # a refusal changes nothing
        ip_set = c.list_ip_sets(Scope="REGIONAL")["IPSets"][0]["ARN"]
        for arn in (ip_set, group["ARN"].replace(group["Id"], "0" * 36)):
            with pytest.raises(ClientError) as err:
                c.put_permission_policy(ResourceArn=arn, Policy=policy)
            assert _code(err) == "WAFNonexistentItemException"
        other = _group(c, "other")
        c.put_permission_policy(ResourceArn=other["ARN"], Policy=policy)
        c.delete_permission_policy(ResourceArn=other["ARN"])
        with pytest.raises(ClientError) as err:
            c.get_permission_policy(ResourceArn=other["ARN"])
        assert _code(err) == "WAFNonexistentItemException"
    saved = state / ".wafproxy" / "permission-policies.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text()) == {group["ARN"]: policy}
    assert not list(saved.parent.glob(".*.tmp"))  # atomic: no temporary file left behind
    with running_stack(tmp_path, state_dir=state, acl_path=stack.acl_path) as again:
        c = strict(again.client())
        assert c.get_permission_policy(ResourceArn=group["ARN"])["Policy"] == policy
        token = c.get_rule_group(Name="shared", Scope="REGIONAL", Id=group["Id"])["LockToken"]
        c.delete_rule_group(Name="shared", Scope="REGIONAL", Id=group["Id"], LockToken=token)
        with pytest.raises(ClientError) as err:  # the policy went with its rule group
            c.get_permission_policy(ResourceArn=group["ARN"])
        assert _code(err) == "WAFNonexistentItemException"


def test_api_keys_sealed_listed_decrypted_deleted_and_kept(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with running_stack(tmp_path, state_dir=state) as stack:
        c = strict(stack.client())
        assert c.list_api_keys(Scope="REGIONAL")["APIKeySummaries"] == []
        first = c.create_api_key(Scope="REGIONAL", TokenDomains=["Example.com", "store.example.com"])[
            "APIKey"
        ]
        second = c.create_api_key(Scope="REGIONAL", TokenDomains=["example.org"])["APIKey"]
        assert first != second and "example" not in first.lower()  # opaque: sealed, not encoded
        got = c.get_decrypted_api_key(Scope="REGIONAL", APIKey=first)
        assert got["TokenDomains"] == ["example.com", "store.example.com"]
        listed = c.list_api_keys(Scope="REGIONAL")["APIKeySummaries"]
        assert [k["APIKey"] for k in listed] == [first, second]
        assert listed[0]["TokenDomains"] == got["TokenDomains"] and listed[0]["Version"] == 0
        page = c.list_api_keys(Scope="REGIONAL", Limit=1)
        rest = c.list_api_keys(Scope="REGIONAL", Limit=1, NextMarker=page["NextMarker"])
        assert [k["APIKey"] for k in page["APIKeySummaries"] + rest["APIKeySummaries"]] == [first, second]
        for domains in (["co.uk"], ["com"], ["bad domain.com"], [f"d{i}.example.com" for i in range(6)]):
            with pytest.raises(ClientError) as err:
                c.create_api_key(Scope="REGIONAL", TokenDomains=domains)
            assert _code(err) == "WAFInvalidParameterException", domains
        forged = first[:-4] + ("AAAA" if not first.endswith("AAAA") else "BBBB")
        for call in (c.get_decrypted_api_key, c.delete_api_key):
            with pytest.raises(ClientError) as err:
                call(Scope="REGIONAL", APIKey=forged)
            assert _code(err) == "WAFInvalidParameterException"
        c.delete_api_key(Scope="REGIONAL", APIKey=second)
        with pytest.raises(ClientError) as err:
            c.get_decrypted_api_key(Scope="REGIONAL", APIKey=second)
        assert _code(err) == "WAFNonexistentItemException"
    for name in ("api-keys.json", "api-key-secret"):
        assert stat.S_IMODE((state / ".wafproxy" / name).stat().st_mode) == 0o600
    with running_stack(tmp_path, state_dir=state, acl_path=stack.acl_path) as again:
        c = strict(again.client())
        assert [k["APIKey"] for k in c.list_api_keys(Scope="REGIONAL")["APIKeySummaries"]] == [first]
        assert c.get_decrypted_api_key(Scope="REGIONAL", APIKey=first)["TokenDomains"] == [
            "example.com",
            "store.example.com",
        ]
