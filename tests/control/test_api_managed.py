"""Managed products and versions from the shipped managed groups, the vendor-only managed rule set
operations, and the features a single wafproxy does not have, each answered with the error AWS's
model lists for it — through boto3's strict shapes."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.control.stack import Stack, running_stack
from tests.support.awsshapes import strict

REGIONAL = {"Scope": "REGIONAL"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("managed")) as s:
        yield s


@pytest.fixture(scope="module")
def c(stack: Stack) -> Any:
    return strict(stack.client())


def _code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return str(err.value.response["Error"]["Code"])


def test_managed_products_are_the_shipped_groups(c: Any) -> None:
    groups = c.list_available_managed_rule_groups(**REGIONAL)["ManagedRuleGroups"]
    products = c.describe_all_managed_products(**REGIONAL)["ManagedProducts"]
    assert [(p["VendorName"], p["ManagedRuleSetName"]) for p in products] == [
        (g["VendorName"], g["Name"]) for g in groups
    ]
    assert all(p["IsVersioningSupported"] is False and p["ProductDescription"] for p in products)
    vendor = groups[0]["VendorName"]
    assert c.describe_managed_products_by_vendor(VendorName=vendor, **REGIONAL)["ManagedProducts"] == [
        p for p in products if p["VendorName"] == vendor
    ]
    assert (
        c.describe_managed_products_by_vendor(VendorName="NoSuchVendor", **REGIONAL)["ManagedProducts"] == []
    )
    got = c.list_available_managed_rule_group_versions(VendorName=vendor, Name=groups[0]["Name"], **REGIONAL)
    assert got["Versions"] == [] and "CurrentDefaultVersion" not in got  # unversioned, as they are listed
    assert (
        _code(c.list_available_managed_rule_group_versions, VendorName=vendor, Name="Missing", **REGIONAL)
        == "WAFNonexistentItemException"
    )
    assert _code(c.describe_all_managed_products, Scope="CLOUDFRONT") == "WAFInvalidParameterException"


def test_managed_rule_sets_none_owned(c: Any) -> None:
    assert c.list_managed_rule_sets(**REGIONAL)["ManagedRuleSets"] == []
    named = {"Name": "mine", "Id": "a" * 36, **REGIONAL}
    assert _code(c.get_managed_rule_set, **named) == "WAFNonexistentItemException"
    assert _code(c.put_managed_rule_set_versions, LockToken="t", **named) == "WAFNonexistentItemException"
    assert (
        _code(
            c.update_managed_rule_set_version_expiry_date,
            LockToken="t",
            VersionToExpire="1.0",
            ExpiryTimestamp=datetime.datetime(2030, 1, 1),
            **named,
        )
        == "WAFNonexistentItemException"
    )


def test_features_without_a_place_here(c: Any, stack: Stack) -> None:
    acl = c.list_web_acls(**REGIONAL)["WebACLs"][0]
    now = datetime.datetime.now(datetime.UTC)
    window = {"StartTime": now - datetime.timedelta(hours=1), "EndTime": now}
    assert c.list_events(**REGIONAL)["Events"] == []
    assert c.list_events_by_web_acl(WebAclArn=acl["ARN"], **REGIONAL)["Events"] == []
    assert c.list_event_actors(TimeWindow=window, **REGIONAL)["EventActors"] == []
    missing_acl = acl["ARN"].replace(acl["Id"], "0" * 36)
    assert _code(c.list_events_by_web_acl, WebAclArn=missing_acl, **REGIONAL) == "WAFNonexistentItemException"
    assert _code(c.get_event, EventId="e1", WebAclArn=acl["ARN"], **REGIONAL) == "WAFNonexistentItemException"
    assert _code(c.get_event_actor, EventActorId="a1", **REGIONAL) == "WAFNonexistentItemException"
    for call in (c.get_revenue_statistics_summary, c.list_settlement_records):
        assert _code(call, TimeWindow=window, Currency="USD", **REGIONAL) == "WAFInvalidParameterException"
    assert (
        _code(
            c.get_top_path_statistics_by_traffic,
            WebAclArn=acl["ARN"],
            TimeWindow=window,
            Limit=10,
            NumberOfTopTrafficBotsPerPath=1,
            **REGIONAL,
        )
        == "WAFFeatureNotIncludedInPricingPlanException"
    )
    assert _code(c.list_mobile_sdk_releases, Platform="IOS") == "WAFInvalidOperationException"
    assert _code(c.get_mobile_sdk_release, Platform="ANDROID", ReleaseVersion="1.0") == (
        "WAFInvalidOperationException"
    )
    token = c.get_web_acl(Name=acl["Name"], Id=acl["Id"], **REGIONAL)["LockToken"]
    assert _code(c.delete_firewall_manager_rule_groups, WebACLArn=acl["ARN"], WebACLLockToken="0" * 36) == (
        "WAFOptimisticLockException"
    )
    got = c.delete_firewall_manager_rule_groups(WebACLArn=acl["ARN"], WebACLLockToken=token)
    assert got["NextWebACLLockToken"] == token  # nothing to delete: the ACL is unchanged
    assert c.get_web_acl(Name=acl["Name"], Id=acl["Id"], **REGIONAL)["LockToken"] == token
