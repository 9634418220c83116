"""WAFv2 operations about the served web ACL's place, through boto3 (strict shapes): the proxy as
the one protected resource (ListResourcesForWebACL, GetWebACLForResource, Associate/Disassociate),
CreateWebACL / DeleteWebACL answered with AWS's errors for a one-ACL deployment, and
DeleteLoggingConfiguration: gone from the API, from the log writer and from disk (a restart finds
none)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.control.stack import VIS, Stack, running_stack
from tests.support.awsshapes import strict
from wafproxy.observability.logconfig import LoggingSettings

PROXY = "arn:aws:wafproxy:us-east-1:123456789012:proxy/test-acl"


@pytest.fixture()
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path) as s:
        yield s


def _refused(call: Any) -> tuple[int, str]:
    """(status, code): WAFv2 (JSON 1.1) answers every error here, AccessDeniedException too, with 400."""
    with pytest.raises(ClientError) as err:
        call()
    r = err.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]


def _acl(c: Any) -> dict[str, Any]:
    acl: dict[str, Any] = c.list_web_acls(Scope="REGIONAL")["WebACLs"][0]
    return acl


def test_the_proxy_is_the_one_resource_of_the_served_acl(stack: Stack) -> None:
    c = strict(stack.client())
    acl = _acl(c)
    assert c.list_resources_for_web_acl(WebACLArn=acl["ARN"])["ResourceArns"] == [PROXY]
    assert c.list_resources_for_web_acl(WebACLArn=acl["ARN"], ResourceType="APPLICATION_LOAD_BALANCER")[
        "ResourceArns"] == [PROXY]
    gateways = c.list_resources_for_web_acl(WebACLArn=acl["ARN"], ResourceType="API_GATEWAY")
    assert gateways["ResourceArns"] == []
    got = c.get_web_acl_for_resource(ResourceArn=PROXY)["WebACL"]
    assert got == c.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])["WebACL"]
    c.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=PROXY)  # already associated: a success
    alb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/50dc6c495c0c9188"
    other_acl = acl["ARN"].replace(acl["Id"], "00000000-0000-0000-0000-000000000000")
    for call in (lambda: c.get_web_acl_for_resource(ResourceArn=alb),
                 lambda: c.list_resources_for_web_acl(WebACLArn=other_acl),
                 lambda: c.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=alb),
                 lambda: c.associate_web_acl(WebACLArn=other_acl, ResourceArn=PROXY),
                 lambda: c.disassociate_web_acl(ResourceArn=alb)):
        assert _refused(call) == (400, "WAFNonexistentItemException")
    refused = _refused(lambda: c.disassociate_web_acl(ResourceArn=PROXY))
    assert refused == (400, "WAFInvalidOperationException")
    assert c.get_web_acl_for_resource(ResourceArn=PROXY)["WebACL"]["ARN"] == acl["ARN"]
    reader = strict(stack.client("reader"))
    assert reader.get_web_acl_for_resource(ResourceArn=PROXY)["WebACL"]["Name"] == acl["Name"]
    assert _refused(lambda: reader.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=PROXY)) == (
        400, "AccessDeniedException")


def test_create_and_delete_web_acl_answer_as_aws_does_for_one_served_acl(stack: Stack) -> None:
    c = strict(stack.client())
    acl = _acl(c)

    def create(name: str) -> Any:
        return c.create_web_acl(Name=name, Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig={
            **VIS, "MetricName": name})

    assert _refused(lambda: create(acl["Name"])) == (400, "WAFDuplicateItemException")
    assert _refused(lambda: create("second")) == (400, "WAFLimitsExceededException")
    assert [a["Name"] for a in c.list_web_acls(Scope="REGIONAL")["WebACLs"]] == [acl["Name"]]
    def delete(name: str, token: str) -> tuple[int, str]:
        return _refused(lambda: c.delete_web_acl(Name=name, Scope="REGIONAL", Id=acl["Id"], LockToken=token))

    assert delete(acl["Name"], "00000000-0000-0000-0000-000000000000") == (400, "WAFOptimisticLockException")
    assert delete("nope", acl["LockToken"]) == (400, "WAFNonexistentItemException")
    assert delete(acl["Name"], acl["LockToken"]) == (400, "WAFAssociatedItemException")
    assert c.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])["LockToken"] == acl["LockToken"]
    reader = strict(stack.client("reader"))
    assert _refused(lambda: reader.create_web_acl(Name="x", Scope="REGIONAL", DefaultAction={"Allow": {}},
                                                  VisibilityConfig={**VIS, "MetricName": "x"})) == (
        400, "AccessDeniedException")


def test_delete_logging_configuration_everywhere_and_across_a_restart(tmp_path: Path) -> None:
    applied: list[Any] = []
    with running_stack(tmp_path) as s:
        s.plane.on_logging = applied.append
        c = strict(s.client())
        arn = _acl(c)["ARN"]
        assert _refused(lambda: c.delete_logging_configuration(ResourceArn=arn)) == (
            400, "WAFNonexistentItemException")
        c.put_logging_configuration(LoggingConfiguration={
            "ResourceArn": arn,
            "LogDestinationConfigs": ["arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-x"],
            "RedactedFields": [{"SingleHeader": {"Name": "x-api-key"}}]})
        assert len(applied) == 1 and applied[0] != LoggingSettings()
        reader = strict(s.client("reader"))
        assert _refused(lambda: reader.delete_logging_configuration(ResourceArn=arn)) == (
            400, "AccessDeniedException")
        lake = _refused(lambda: c.delete_logging_configuration(ResourceArn=arn, LogScope="SECURITY_LAKE"))
        assert lake == (400, "WAFNonexistentItemException")
        c.delete_logging_configuration(ResourceArn=arn)
        assert applied[-1] == LoggingSettings()  # the writer is back to its defaults
        assert _refused(lambda: c.get_logging_configuration(ResourceArn=arn)) == (
            400, "WAFNonexistentItemException")
        assert c.list_logging_configurations(Scope="REGIONAL")["LoggingConfigurations"] == []
        assert _refused(lambda: c.delete_logging_configuration(ResourceArn=arn)) == (
            400, "WAFNonexistentItemException")
    with running_stack(tmp_path, acl_path=s.acl_path) as s:
        c = strict(s.client())
        assert _refused(lambda: c.get_logging_configuration(ResourceArn=arn)) == (
            400, "WAFNonexistentItemException")
