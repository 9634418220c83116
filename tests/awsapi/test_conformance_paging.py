"""Pagination, idempotency tokens, optimistic locks and waiters against a real ``wafproxy demo`` (boto3).

Pagination: each listing is given at least three items, then walked one item per page
(``tests.support.conform.paging.walk``: the limit holds, tokens are fresh, the walk ends, nothing
repeats or goes missing, a forged token is refused) — every paginator in botocore's
``paginators-1.json`` for KMS, GuardDuty, Inspector2 and Security Hub, and WAFv2's
``NextMarker``/``Limit`` listings. Also boto3's own paginators, which follow the model's tokens.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, WaiterError

from tests.sidecars.assessor.demo import Demo, running_demo
from tests.sidecars.hub.factory import finding
from tests.support.conform.paging import pager_for, walk

ACCOUNT = "123456789012"
REGIONAL = {"Scope": "REGIONAL"}


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("paging")


@pytest.fixture(scope="module")
def demo(state: Path) -> Iterator[Demo]:
    with running_demo("--account-id", ACCOUNT, "--state-dir", str(state)) as running:
        yield running


def _client(demo: Demo, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=demo.kms if service == "kms" else demo.admin,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}),
        **demo.keys(),
    )


def _walk(client: Any, operation: str, params: dict[str, Any]) -> list[str]:
    """The walk's findings; asserts the listing was exercised (two items or more)."""
    model = client.meta.service_model.operation_model(operation)
    service = client.meta.service_model.service_name
    config = None
    if service != "wafv2":  # WAFv2 ships no paginators: pager_for reads NextMarker/Limit off the shapes
        config = botocore.session.get_session().get_paginator_model(service)._paginator_config.get(operation)
    pager = pager_for(model, config)
    assert pager is not None, operation
    method = getattr(client, {v: k for k, v in client.meta.method_to_api_mapping.items()}[operation])
    verdict, found = walk(lambda p: method(**p), model, pager, params)
    assert verdict == "exercised", (service, operation, verdict, found)
    return found


def test_kms_listings_page(demo: Demo) -> None:
    kms = _client(demo, "kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_key(Description="a second key, so that ListKeys has two pages")
    kms.tag_resource(KeyId=key, Tags=[{"TagKey": f"t{i}", "TagValue": "v"} for i in range(3)])
    retiring = f"arn:aws:iam::{ACCOUNT}:role/retirer"
    for i in range(3):
        kms.create_alias(AliasName=f"alias/paging-{i}", TargetKeyId=key)
        kms.create_grant(
            KeyId=key,
            GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:role/g{i}",
            RetiringPrincipal=retiring,
            Operations=["Encrypt"],
        )
    kms.rotate_key_on_demand(KeyId=key)
    kms.rotate_key_on_demand(KeyId=key)
    found = {
        op: _walk(kms, op, params)
        for op, params in {
            "ListKeys": {},
            "ListAliases": {},
            "ListGrants": {"KeyId": key},
            "ListResourceTags": {"KeyId": key},
            "ListRetirableGrants": {"RetiringPrincipal": retiring},
            "ListKeyRotations": {"KeyId": key},
        }.items()
    }
    assert found == {op: [] for op in found}
    # boto3's own paginator, driven by the model's tokens (Marker/NextMarker/Truncated)
    pages = list(
        kms.get_paginator("list_resource_tags").paginate(KeyId=key, PaginationConfig={"PageSize": 1})
    )
    assert [len(p["Tags"]) for p in pages] == [1, 1, 1]


def test_wafv2_listings_page(demo: Demo) -> None:
    waf = _client(demo, "wafv2")
    vis = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
    for i in range(3):
        waf.create_ip_set(Name=f"paging-{i}", IPAddressVersion="IPV4", Addresses=[], **REGIONAL)
        waf.create_regex_pattern_set(
            Name=f"paging-{i}", RegularExpressionList=[{"RegexString": "a"}], **REGIONAL
        )
        waf.create_rule_group(Name=f"paging-{i}", Capacity=10, VisibilityConfig=vis, **REGIONAL)
    found = {op: _walk(waf, op, REGIONAL) for op in ("ListIPSets", "ListRegexPatternSets", "ListRuleGroups")}
    assert found == {op: [] for op in found}


def test_guardduty_inspector_and_hub_listings_page(demo: Demo) -> None:
    gd, ins, hub = _client(demo, "guardduty"), _client(demo, "inspector2"), _client(demo, "securityhub")
    (detector,) = gd.list_detectors()["DetectorIds"]
    gd.create_sample_findings(DetectorId=detector)
    criteria = {"Criterion": {"severity": {"Gte": 1}}}
    insp = {"severity": [{"comparison": "EQUALS", "value": "HIGH"}]}
    for i in range(3):
        gd.create_filter(DetectorId=detector, Name=f"paging-{i}", FindingCriteria=criteria)
        ins.create_filter(name=f"paging-{i}", action="NONE", filterCriteria=insp)
        hub.create_action_target(Name=f"paging {i}", Description="d", Id=f"paging{i}")
        hub.create_insight(Name=f"paging {i}", Filters={}, GroupByAttribute="ResourceId")
    hub.batch_import_findings(Findings=[finding(i) for i in range(3)])
    found = {
        f"guardduty.{op}": _walk(gd, op, {"DetectorId": detector}) for op in ("ListFilters", "ListFindings")
    }
    found["inspector2.ListFilters"] = _walk(ins, "ListFilters", {})  # findings: the assessor's own pace
    found |= {
        f"securityhub.{op}": _walk(hub, op, {})
        for op in ("DescribeActionTargets", "GetInsights", "GetFindings")
    }
    assert found == {op: [] for op in found}


def test_guardduty_client_token_returns_the_same_resource(demo: Demo, state: Path) -> None:
    gd = _client(demo, "guardduty")
    (detector,) = gd.list_detectors()["DetectorIds"]
    criteria = {"Criterion": {"severity": {"Gte": 7}}}
    first = gd.create_filter(DetectorId=detector, Name="idem", FindingCriteria=criteria, ClientToken="tok-1")
    again = gd.create_filter(DetectorId=detector, Name="idem", FindingCriteria=criteria, ClientToken="tok-1")
    assert first["Name"] == again["Name"] == "idem"
    bucket = {
        "DestinationArn": "arn:aws:s3:::idem-bucket/gd",
        "KmsKeyArn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/x",
    }
    one = gd.create_publishing_destination(
        DetectorId=detector, DestinationType="S3", DestinationProperties=bucket, ClientToken="tok-2"
    )
    two = gd.create_publishing_destination(
        DetectorId=detector, DestinationType="S3", DestinationProperties=bucket, ClientToken="tok-2"
    )
    assert one["DestinationId"] == two["DestinationId"]
    lists = state / ".wafproxy" / "intel" / "trusted.txt"  # where the admin API may read lists
    lists.parent.mkdir(parents=True, exist_ok=True)
    lists.write_text("192.0.2.10\n", encoding="utf-8")
    made = [
        gd.create_ip_set(
            DetectorId=detector,
            Name="idem-set",
            Format="TXT",
            Location=str(lists),
            Activate=False,
            ClientToken="tok-3",
        )["IpSetId"]
        for _ in range(2)
    ]
    assert made[0] == made[1]


def test_wafv2_lock_token_mismatch_is_an_optimistic_lock_error(demo: Demo) -> None:
    waf = _client(demo, "wafv2")
    made = waf.create_ip_set(Name="locked", IPAddressVersion="IPV4", Addresses=[], **REGIONAL)["Summary"]
    update = {"Name": "locked", "Id": made["Id"], "Addresses": ["192.0.2.1/32"], **REGIONAL}
    token = waf.update_ip_set(LockToken=made["LockToken"], **update)["NextLockToken"]
    with pytest.raises(ClientError) as stale:
        waf.update_ip_set(LockToken=made["LockToken"], **update)  # the token before the update
    assert stale.value.response["Error"]["Code"] == "WAFOptimisticLockException"
    assert stale.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as stale_delete:
        waf.delete_ip_set(Name="locked", Id=made["Id"], LockToken=made["LockToken"], **REGIONAL)
    assert stale_delete.value.response["Error"]["Code"] == "WAFOptimisticLockException"
    waf.delete_ip_set(Name="locked", Id=made["Id"], LockToken=token, **REGIONAL)


def test_inspector2_waiters_terminate(demo: Demo) -> None:
    """waiters-2.json's only waiters (Inspector2's, on ListConnectors): with no connector here,
    ConnectorDeleted succeeds at once and the others end at their attempt limit, as on AWS."""
    ins = _client(demo, "inspector2")
    ins.get_waiter("connector_deleted").wait(WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    for name in ("connector_connected", "connector_enabled"):
        with pytest.raises(WaiterError) as err:
            ins.get_waiter(name).wait(WaiterConfig={"Delay": 1, "MaxAttempts": 2})
        assert "Max attempts exceeded" in str(err.value)


def test_guardduty_list_names_follow_the_api_reference(demo: Demo, state: Path) -> None:
    """A list's name is 1-300 characters of letters, digits, whitespace, '-' and '_' (a filter's,
    3-64 of [A-Za-z0-9-_.], is another shape): one character and spaces are valid names."""
    gd = _client(demo, "guardduty")
    (detector,) = gd.list_detectors()["DetectorIds"]
    lists = state / ".wafproxy" / "intel" / "names.txt"
    lists.parent.mkdir(parents=True, exist_ok=True)
    lists.write_text("192.0.2.11\n", encoding="utf-8")
    for name in ("x", "office IPs - 2026"):
        made = gd.create_ip_set(
            DetectorId=detector, Name=name, Format="TXT", Location=str(lists), Activate=False
        )
        assert gd.get_ip_set(DetectorId=detector, IpSetId=made["IpSetId"])["Name"] == name
    with pytest.raises(ClientError) as bad:
        gd.create_ip_set(
            DetectorId=detector, Name="semi;colon", Format="TXT", Location=str(lists), Activate=False
        )
    assert bad.value.response["Error"]["Code"] == "BadRequestException"


def test_aws_cli_gets_the_model_answers(demo: Demo) -> None:
    """The ``aws`` CLI (botocore checks minimums only) sends an over-large limit as typed: each API
    refuses it with its own validation error; a paged listing comes back whole through --page-size."""
    aws = shutil.which("aws", path=str(Path(sys.executable).parent))
    if aws is None:
        pytest.skip("awscli is not installed in this environment")

    def run(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [aws, "--endpoint-url", endpoint, *args], env=demo.env, capture_output=True, text=True, timeout=60
        )

    for endpoint, args, code in (
        (demo.kms, ("kms", "list-keys", "--limit", "1001"), "ValidationException"),
        (
            demo.admin,
            ("wafv2", "list-ip-sets", "--scope", "REGIONAL", "--limit", "101"),
            "WAFInvalidParameterException",
        ),
        (demo.admin, ("guardduty", "list-detectors", "--max-results", "51"), "BadRequestException"),
        (demo.admin, ("inspector2", "list-filters", "--action", "NOPE"), "ValidationException"),
        (demo.admin, ("securityhub", "get-findings", "--max-results", "101"), "InvalidInputException"),
    ):
        done = run(endpoint, *args)
        assert done.returncode != 0 and f"({code})" in done.stderr, (args, done.stderr)
    for i in range(3):
        run(demo.kms, "kms", "create-key", "--description", f"cli {i}")
    done = run(demo.kms, "kms", "list-keys", "--page-size", "1", "--output", "json")
    assert done.returncode == 0 and len(json.loads(done.stdout)["Keys"]) >= 3
