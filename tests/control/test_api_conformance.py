"""The WAFv2 API against botocore's model, as boto3 users call it: every response fits the documented
shape (strict client), tags given at creation are kept and managed with TagResource /
UntagResource / ListTagsForResource (without moving the LockToken), ListLoggingConfigurations,
Limit/NextMarker paging, and WAFv2's error shapes (WAFInvalidParameterException with Field and
Parameter, WAFNonexistentItemException, UnknownOperationException for what we do not serve)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.control.stack import Stack, running_stack, signed_call
from tests.support.awsshapes import strict


@pytest.fixture()
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path) as s:
        yield s


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    return err.value.response["ResponseMetadata"]["HTTPStatusCode"], err.value.response["Error"]["Code"]


def test_reads_fit_documented_shapes(stack: Stack) -> None:
    c = strict(stack.client())
    (acl,) = c.list_web_acls(Scope="REGIONAL")["WebACLs"]
    got = c.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])
    assert got["LockToken"] == acl["LockToken"] and got["WebACL"]["Rules"]
    for s in c.list_ip_sets(Scope="REGIONAL")["IPSets"]:
        assert c.get_ip_set(Name=s["Name"], Scope="REGIONAL", Id=s["Id"])["IPSet"]["ARN"] == s["ARN"]
    for s in c.list_regex_pattern_sets(Scope="REGIONAL")["RegexPatternSets"]:
        c.get_regex_pattern_set(Name=s["Name"], Scope="REGIONAL", Id=s["Id"])
    assert c.check_capacity(Scope="REGIONAL", Rules=got["WebACL"]["Rules"])["Capacity"] > 0
    assert c.list_available_managed_rule_groups(Scope="REGIONAL")["ManagedRuleGroups"]


def test_tags_kept_and_managed(stack: Stack) -> None:
    c = strict(stack.client())
    summary = c.create_ip_set(Name="tagged", Scope="REGIONAL", IPAddressVersion="IPV4",
                              Addresses=["192.0.2.0/24"], Tags=[{"Key": "team", "Value": "sec"}])["Summary"]
    arn = summary["ARN"]

    def tags() -> dict[str, str]:
        info = c.list_tags_for_resource(ResourceARN=arn)["TagInfoForResource"]
        assert info["ResourceARN"] == arn
        return {t["Key"]: t["Value"] for t in info["TagList"]}

    assert tags() == {"team": "sec"}
    c.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "red"}])
    assert tags() == {"env": "prod", "team": "red"}
    got = c.get_ip_set(Name="tagged", Scope="REGIONAL", Id=summary["Id"])
    assert got["LockToken"] == summary["LockToken"]  # tagging changes no rule: the token stays
    first = c.list_tags_for_resource(ResourceARN=arn, Limit=1)
    rest = c.list_tags_for_resource(ResourceARN=arn, Limit=1, NextMarker=first["NextMarker"])
    pages = first["TagInfoForResource"]["TagList"] + rest["TagInfoForResource"]["TagList"]
    assert [t["Key"] for t in pages] == ["env", "team"]
    c.untag_resource(ResourceARN=arn, TagKeys=["env"])
    c.update_ip_set(Name="tagged", Scope="REGIONAL", Id=summary["Id"], Addresses=["192.0.2.0/25"],
                    LockToken=got["LockToken"])
    assert tags() == {"team": "red"}  # an update replaces the addresses, not the tags
    acl_arn = c.list_web_acls(Scope="REGIONAL")["WebACLs"][0]["ARN"]
    c.tag_resource(ResourceARN=acl_arn, Tags=[{"Key": "owner", "Value": "platform"}])
    assert c.list_tags_for_resource(ResourceARN=acl_arn)["TagInfoForResource"]["TagList"] == [
        {"Key": "owner", "Value": "platform"}]
    with pytest.raises(ClientError) as err:
        c.tag_resource(ResourceARN=arn, Tags=[{"Key": "aws:reserved", "Value": "x"}])
    assert _error(err) == (400, "WAFInvalidParameterException")
    assert err.value.response["Field"] == "TAG_KEYS" and err.value.response["Parameter"] == "Tags"
    with pytest.raises(ClientError) as err:
        c.list_tags_for_resource(ResourceARN=arn.replace("tagged", "missing"))
    assert _error(err) == (400, "WAFNonexistentItemException")


def test_logging_configurations_listed(stack: Stack) -> None:
    c = strict(stack.client())
    arn = c.list_web_acls(Scope="REGIONAL")["WebACLs"][0]["ARN"]
    assert c.list_logging_configurations(Scope="REGIONAL")["LoggingConfigurations"] == []
    c.put_logging_configuration(LoggingConfiguration={
        "ResourceArn": arn,
        "LogDestinationConfigs": ["arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-x"],
        "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}],
    })
    (config,) = c.list_logging_configurations(Scope="REGIONAL")["LoggingConfigurations"]
    assert config["ResourceArn"] == arn
    assert config["RedactedFields"] == [{"SingleHeader": {"Name": "authorization"}}]


def test_paging_and_errors(stack: Stack) -> None:
    c = strict(stack.client())
    for n in range(3):
        c.create_ip_set(Name=f"page-{n}", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[])
    names, marker = [], None
    while True:
        page = c.list_ip_sets(Scope="REGIONAL", Limit=2, **({"NextMarker": marker} if marker else {}))
        names += [s["Name"] for s in page["IPSets"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert names == sorted(s["Name"] for s in c.list_ip_sets(Scope="REGIONAL")["IPSets"])
    first = c.list_ip_sets(Scope="REGIONAL", Limit=1)
    for bad in (lambda: c.list_regex_pattern_sets(Scope="REGIONAL", NextMarker=first["NextMarker"]),
                lambda: c.list_ip_sets(Scope="REGIONAL", NextMarker="page-1")):
        with pytest.raises(ClientError) as err:  # another listing's marker, or one never issued
            bad()
        assert _error(err) == (400, "WAFInvalidParameterException")
        assert err.value.response["Parameter"] == "NextMarker"
    with pytest.raises(ClientError) as err:
        c.list_ip_sets(Scope="CLOUDFRONT")
    assert _error(err) == (400, "WAFInvalidParameterException") and err.value.response["Field"]
    with pytest.raises(ClientError) as err:
        c.create_ip_set(Name="page-0", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[])
    assert _error(err) == (400, "WAFDuplicateItemException")
    # every operation of botocore's model is served (tests/test_api_sweep.py): a target outside it
    status, body = signed_call(stack.admin_url, "ListWidgets", {"Scope": "REGIONAL"})
    assert (status, body["__type"]) == (400, "UnknownOperationException")
