"""IPSet, RegexPatternSet and RuleGroup CRUD through boto3; each change is live on the data path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.control.stack import VIS, running_stack


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _from(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


def test_ip_set_lifecycle(tmp_path: Path) -> None:
    with running_stack(tmp_path) as s:
        c = s.client()
        listed = {i["Name"]: i for i in c.list_ip_sets(Scope="REGIONAL")["IPSets"]}
        blocked = listed["blocked"]
        got = c.get_ip_set(Name="blocked", Scope="REGIONAL", Id=blocked["Id"])
        assert got["IPSet"] == {
            "Name": "blocked",
            "Id": blocked["Id"],
            "ARN": blocked["ARN"],
            "IPAddressVersion": "IPV4",
            "Addresses": ["192.0.2.0/24"],
        }
        assert httpx.get(s.data_url + "/", headers=_from("203.0.113.5")).status_code == 200

        token = c.update_ip_set(
            Name="blocked",
            Scope="REGIONAL",
            Id=blocked["Id"],
            LockToken=got["LockToken"],
            Addresses=["192.0.2.0/24", "203.0.113.5/32"],
        )["NextLockToken"]
        assert httpx.get(s.data_url + "/", headers=_from("203.0.113.5")).status_code == 403
        with pytest.raises(ClientError) as exc:  # stale token
            c.update_ip_set(
                Name="blocked", Scope="REGIONAL", Id=blocked["Id"], LockToken=got["LockToken"], Addresses=[]
            )
        assert _code(exc) == "WAFOptimisticLockException"
        with pytest.raises(ClientError) as exc:  # a bad address names the member
            c.update_ip_set(
                Name="blocked",
                Scope="REGIONAL",
                Id=blocked["Id"],
                LockToken=token,
                Addresses=["192.0.2.0/24", "not-an-ip"],
            )
        assert _code(exc) == "WAFInvalidParameterException"
        assert exc.value.response["Parameter"] == "$.Addresses[1]"
        with pytest.raises(ClientError) as exc:  # in use by the web ACL
            c.delete_ip_set(Name="blocked", Scope="REGIONAL", Id=blocked["Id"], LockToken=token)
        assert _code(exc) == "WAFAssociatedItemException"

        created = c.create_ip_set(
            Name="spare",
            Scope="REGIONAL",
            IPAddressVersion="IPV6",
            Addresses=["2001:db8::/32"],
            Description="for later",
        )["Summary"]
        assert created["ARN"].startswith("arn:aws:wafv2:us-east-1:123456789012:regional/ipset/spare/")
        assert (s.acl_path.parent / "ipsets" / "spare.json").exists()
        with pytest.raises(ClientError) as exc:
            c.create_ip_set(Name="spare", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[])
        assert _code(exc) == "WAFDuplicateItemException"
        with pytest.raises(ClientError) as exc:
            c.create_ip_set(Name="../escape", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[])
        assert _code(exc) == "WAFInvalidParameterException"
        assert [i["Name"] for i in c.list_ip_sets(Scope="REGIONAL", Limit=1)["IPSets"]] == ["blocked"]
        page = c.list_ip_sets(Scope="REGIONAL", Limit=1)
        assert c.list_ip_sets(Scope="REGIONAL", NextMarker=page["NextMarker"])["IPSets"][0]["Name"] == "spare"

        with pytest.raises(ClientError) as exc:  # AWS's cap of 10,000 addresses per set
            c.update_ip_set(
                Name="spare",
                Scope="REGIONAL",
                Id=created["Id"],
                LockToken=created["LockToken"],
                Addresses=[f"2001:db8::{i:x}/128" for i in range(10_001)],
            )
        assert _code(exc) == "WAFLimitsExceededException"
        c.delete_ip_set(Name="spare", Scope="REGIONAL", Id=created["Id"], LockToken=created["LockToken"])
        assert not (s.acl_path.parent / "ipsets" / "spare.json").exists()
        with pytest.raises(ClientError) as exc:
            c.get_ip_set(Name="spare", Scope="REGIONAL", Id=created["Id"])
        assert _code(exc) == "WAFNonexistentItemException"


def test_regex_pattern_set_update_is_live(tmp_path: Path) -> None:
    with running_stack(tmp_path) as s:
        c = s.client()
        summary = c.list_regex_pattern_sets(Scope="REGIONAL")["RegexPatternSets"][0]
        got = c.get_regex_pattern_set(Name="bad-words", Scope="REGIONAL", Id=summary["Id"])
        assert got["RegexPatternSet"]["RegularExpressionList"] == [{"RegexString": "forbidden[0-9]+"}]
        assert httpx.get(s.data_url + "/forbidden42").status_code == 403
        assert httpx.get(s.data_url + "/secret-plans").status_code == 200
        c.update_regex_pattern_set(
            Name="bad-words",
            Scope="REGIONAL",
            Id=summary["Id"],
            LockToken=got["LockToken"],
            RegularExpressionList=[{"RegexString": "secret-[a-z]+"}],
        )
        assert httpx.get(s.data_url + "/forbidden42").status_code == 200
        assert httpx.get(s.data_url + "/secret-plans").status_code == 403
        made = c.create_regex_pattern_set(
            Name="other", Scope="REGIONAL", RegularExpressionList=[{"RegexString": "a+b"}]
        )["Summary"]
        c.delete_regex_pattern_set(Name="other", Scope="REGIONAL", Id=made["Id"], LockToken=made["LockToken"])
        assert [r["Name"] for r in c.list_regex_pattern_sets(Scope="REGIONAL")["RegexPatternSets"]] == [
            "bad-words"
        ]


def _group_rules(path: str) -> list[dict[str, Any]]:
    return [
        {
            "Name": "NoPath",
            "Priority": 0,
            "Action": {"Block": {}},
            "VisibilityConfig": {**VIS, "MetricName": "NoPath"},
            "Statement": {
                "ByteMatchStatement": {
                    "SearchString": path.encode(),
                    "FieldToMatch": {"UriPath": {}},
                    "PositionalConstraint": "STARTS_WITH",
                    "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                }
            },
        }
    ]


def test_rule_group_created_referenced_updated(tmp_path: Path) -> None:
    with running_stack(tmp_path) as s:
        c = s.client()
        made = c.create_rule_group(
            Name="group1",
            Scope="REGIONAL",
            Capacity=50,
            Rules=_group_rules("/grp"),
            VisibilityConfig={**VIS, "MetricName": "group1"},
        )["Summary"]
        got = c.get_rule_group(Name="group1", Scope="REGIONAL", Id=made["Id"])
        assert got["RuleGroup"]["Capacity"] == 50
        assert got["RuleGroup"]["LabelNamespace"] == "awswaf:123456789012:rulegroup:group1:"
        assert got["RuleGroup"]["Rules"][0]["Statement"]["ByteMatchStatement"]["SearchString"] == b"/grp"
        with pytest.raises(ClientError) as exc:  # the group's own rules are validated at create time
            bad = _group_rules("/x")
            bad[0]["Statement"]["ByteMatchStatement"]["PositionalConstraint"] = "NOWHERE"
            c.create_rule_group(
                Name="group2",
                Scope="REGIONAL",
                Capacity=5,
                Rules=bad,
                VisibilityConfig={**VIS, "MetricName": "g2"},
            )
        assert _code(exc) == "WAFInvalidParameterException"
        assert "PositionalConstraint" in exc.value.response["Parameter"]

        acl_sum = c.list_web_acls(Scope="REGIONAL")["WebACLs"][0]
        acl = c.get_web_acl(Name="test-acl", Scope="REGIONAL", Id=acl_sum["Id"])["WebACL"]
        acl["Rules"].append(
            {
                "Name": "UseGroup",
                "Priority": 9,
                "OverrideAction": {"None": {}},
                "Statement": {"RuleGroupReferenceStatement": {"ARN": made["ARN"]}},
                "VisibilityConfig": {**VIS, "MetricName": "UseGroup"},
            }
        )
        c.update_web_acl(
            Scope="REGIONAL",
            LockToken=acl_sum["LockToken"],
            **{k: acl[k] for k in ("Name", "Id", "DefaultAction", "Rules", "VisibilityConfig")},
        )
        assert httpx.get(s.data_url + "/grp/1").status_code == 403
        c.update_rule_group(
            Name="group1",
            Scope="REGIONAL",
            Id=made["Id"],
            LockToken=got["LockToken"],
            Rules=_group_rules("/other"),
            VisibilityConfig={**VIS, "MetricName": "group1"},
        )
        assert httpx.get(s.data_url + "/grp/1").status_code == 200
        assert httpx.get(s.data_url + "/other").status_code == 403
        fresh = c.get_rule_group(Name="group1", Scope="REGIONAL", Id=made["Id"])
        with pytest.raises(ClientError) as exc:
            c.delete_rule_group(Name="group1", Scope="REGIONAL", Id=made["Id"], LockToken=fresh["LockToken"])
        assert _code(exc) == "WAFAssociatedItemException"
        stored = json.loads((s.acl_path.parent / "rulegroups" / "group1.json").read_text())
        assert stored["LockToken"] == fresh["LockToken"] and stored["RuleGroup"]["Name"] == "group1"


def test_a_change_that_cannot_be_persisted_is_not_applied(tmp_path: Path) -> None:
    with running_stack(tmp_path) as s:
        # The file the new set would be written to cannot be replaced (a non-empty directory is in the way).
        blocker = s.acl_path.parent / "ipsets" / "stuck.json"
        blocker.mkdir()
        (blocker / "keep.txt").write_text("x")
        c = s.client()
        with pytest.raises(ClientError) as exc:
            c.create_ip_set(
                Name="stuck", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=["10.1.1.1/32"]
            )
        assert _code(exc) == "WAFInternalErrorException"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert [i["Name"] for i in c.list_ip_sets(Scope="REGIONAL")["IPSets"]] == ["blocked"]
        assert s.reloader.store.get("ipset", "stuck") is None
