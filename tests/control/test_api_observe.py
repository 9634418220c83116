"""GetSampledRequests, GetRateBasedStatementManagedKeys, logging configuration, managed groups."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.control.stack import VIS, running_stack


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_sampled_requests_per_rule(tmp_path: Path) -> None:
    with running_stack(tmp_path) as s:
        c = s.client()
        arn = c.list_web_acls(Scope="REGIONAL")["WebACLs"][0]["ARN"]
        for i in range(3):
            httpx.get(
                s.data_url + f"/admin/{i}",
                headers={"Authorization": "Bearer top-secret", "X-Forwarded-For": f"198.51.100.{i}"},
            )
        httpx.get(s.data_url + "/fine", headers={"X-Forwarded-For": "198.51.100.200"})
        window = {
            "StartTime": datetime.now(UTC) - timedelta(minutes=5),
            "EndTime": datetime.now(UTC) + timedelta(minutes=1),
        }
        got = c.get_sampled_requests(
            WebAclArn=arn, RuleMetricName="AdminMetric", Scope="REGIONAL", TimeWindow=window, MaxItems=2
        )
        assert got["PopulationSize"] == 3 and len(got["SampledRequests"]) == 2
        sample = got["SampledRequests"][-1]
        assert sample["Action"] == "BLOCK" and sample["ResponseCodeSent"] == 403 and sample["Weight"] == 1
        assert sample["Request"]["URI"] == "/admin/2" and sample["Request"]["ClientIP"] == "198.51.100.2"
        headers = {h["Name"].lower(): h["Value"] for h in sample["Request"]["Headers"]}
        assert headers["authorization"] == "<redacted>"
        every = c.get_sampled_requests(
            WebAclArn=arn, RuleMetricName="test-acl", Scope="REGIONAL", TimeWindow=window, MaxItems=100
        )
        assert every["PopulationSize"] == 4
        with pytest.raises(ClientError) as exc:
            c.get_sampled_requests(
                WebAclArn=arn, RuleMetricName="NoSuchMetric", Scope="REGIONAL", TimeWindow=window, MaxItems=10
            )
        assert _code(exc) == "WAFInvalidParameterException"


def test_rate_based_managed_keys(tmp_path: Path) -> None:
    with running_stack(tmp_path) as s:
        c = s.client()
        acl = c.list_web_acls(Scope="REGIONAL")["WebACLs"][0]
        statuses = [
            httpx.get(s.data_url + "/", headers={"X-Forwarded-For": "203.0.113.77"}).status_code
            for _ in range(14)
        ]
        # issue 5: a rate-based Block answers 429 + Retry-After
        assert statuses[0] == 200 and statuses[-1] == 429
        httpx.get(s.data_url + "/", headers={"X-Forwarded-For": "2001:db8::9"})
        keys = c.get_rate_based_statement_managed_keys(
            Scope="REGIONAL", WebACLName="test-acl", WebACLId=acl["Id"], RuleName="RateLimit"
        )
        assert keys["ManagedKeysIPV4"] == {"IPAddressVersion": "IPV4", "Addresses": ["203.0.113.77/32"]}
        assert keys["ManagedKeysIPV6"] == {"IPAddressVersion": "IPV6", "Addresses": []}
        with pytest.raises(ClientError) as exc:
            c.get_rate_based_statement_managed_keys(
                Scope="REGIONAL", WebACLName="test-acl", WebACLId=acl["Id"], RuleName="Admin"
            )
        assert _code(exc) == "WAFInvalidParameterException"


def test_logging_configuration_round_trip(tmp_path: Path) -> None:
    applied: list[object] = []
    with running_stack(tmp_path) as s:
        s.plane.on_logging = applied.append
        c = s.client()
        arn = c.list_web_acls(Scope="REGIONAL")["WebACLs"][0]["ARN"]
        with pytest.raises(ClientError) as exc:
            c.get_logging_configuration(ResourceArn=arn)
        assert _code(exc) == "WAFNonexistentItemException"
        config = {
            "ResourceArn": arn,
            "LogDestinationConfigs": ["arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-x"],
            "RedactedFields": [{"SingleHeader": {"Name": "x-api-key"}}],
            "LoggingFilter": {
                "DefaultBehavior": "KEEP",
                "Filters": [
                    {
                        "Behavior": "DROP",
                        "Requirement": "MEETS_ANY",
                        "Conditions": [{"ActionCondition": {"Action": "ALLOW"}}],
                    }
                ],
            },
        }
        put = c.put_logging_configuration(LoggingConfiguration=config)["LoggingConfiguration"]
        assert put["LogType"] == "WAF_LOGS" and put["RedactedFields"] == config["RedactedFields"]
        assert len(applied) == 1
        got = c.get_logging_configuration(ResourceArn=arn)["LoggingConfiguration"]
        assert got["LoggingFilter"] == config["LoggingFilter"]
        bad = {**config, "LoggingFilter": {**config["LoggingFilter"], "DefaultBehavior": "MAYBE"}}
        with pytest.raises(ClientError) as exc:
            c.put_logging_configuration(LoggingConfiguration=bad)
        assert _code(exc) == "WAFInvalidParameterException"
        assert "LoggingFilter" in exc.value.response["Parameter"]
        assert len(applied) == 1

    # A restart applies the saved configuration again.
    from wafproxy.control.plane import ControlPlane
    from wafproxy.control.reloader import Reloader

    restored: list[object] = []
    ControlPlane.from_files(
        Reloader(s.acl_path), credentials=tmp_path / "credentials", on_logging=restored.append
    )
    assert len(restored) == 1 and getattr(restored[0], "resource_arn", None) == arn


def test_managed_rule_groups_listed_and_described(tmp_path: Path) -> None:
    managed = tmp_path / "managed"
    managed.mkdir()
    (managed / "common.json").write_text(
        json.dumps(
            {
                "Name": "CommonRuleSet",
                "VendorName": "wafproxy",
                "Capacity": 30,
                "Description": "common attacks",
                "LabelNamespace": "awswaf:managed:wafproxy:common:",
                "Rules": [
                    {
                        "Name": "NoDotGit",
                        "Priority": 0,
                        "Action": {"Block": {}},
                        "RuleLabels": [{"Name": "dotgit"}],
                        "VisibilityConfig": {**VIS, "MetricName": "NoDotGit"},
                        "Statement": {
                            "ByteMatchStatement": {
                                "SearchString": "/.git",
                                "FieldToMatch": {"UriPath": {}},
                                "PositionalConstraint": "CONTAINS",
                                "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                            }
                        },
                    }
                ],
                "VisibilityConfig": {**VIS, "MetricName": "common"},
            }
        )
    )
    with running_stack(tmp_path) as s:
        s.reloader.compiler.managed_dir = managed
        s.reloader.compiler._managed = None
        c = s.client()
        groups = c.list_available_managed_rule_groups(Scope="REGIONAL")["ManagedRuleGroups"]
        assert groups == [
            {
                "VendorName": "wafproxy",
                "Name": "CommonRuleSet",
                "VersioningSupported": False,
                "Description": "common attacks",
            }
        ]
        d = c.describe_managed_rule_group(VendorName="wafproxy", Name="CommonRuleSet", Scope="REGIONAL")
        assert d["Capacity"] == 30 and d["Rules"] == [{"Name": "NoDotGit", "Action": {"Block": {}}}]
        assert d["AvailableLabels"] == [{"Name": "awswaf:managed:wafproxy:common:dotgit"}]
        with pytest.raises(ClientError) as exc:
            c.describe_managed_rule_group(VendorName="wafproxy", Name="Nope", Scope="REGIONAL")
        assert _code(exc) == "WAFNonexistentItemException"
    assert time.time() > 0
