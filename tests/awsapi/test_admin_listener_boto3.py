"""Every AWS API of a real ``wafproxy demo``, driven by boto3 the way users drive AWS: one admin
listener serving WAFv2, GuardDuty, Inspector2 and Security Hub, plus the KMS listener. Each client
is strict (``tests.support.awsshapes``: every response must fit botocore's documented shape), every
paginator we serve runs end to end, and an operation no model has, unsigned calls and wrongly signed
ones get AWS's error shapes (``__type``/``x-amzn-ErrorType``, the service's own status), never the
admin app's plain 404."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import httpx
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.awsshapes import strict
from tests.support.servers import free_port, wafproxy_process


@dataclass
class Demo:
    admin: str
    kms: str
    credentials: str

    def client(self, service: str, *, secret: str | None = None, unsigned: bool = False) -> Any:
        config = Config(retries={"max_attempts": 1}, parameter_validation=True)
        url = self.kms if service == "kms" else self.admin
        if unsigned:
            return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                                config=config.merge(Config(signature_version=UNSIGNED)))
        session = botocore.session.Session(profile="demo")
        session.set_config_variable("credentials_file", self.credentials)
        if secret is not None:
            creds = session.get_credentials()
            return boto3.client(service, endpoint_url=url, region_name="us-east-1", config=config,
                                aws_access_key_id=creds.access_key, aws_secret_access_key=secret)
        return strict(boto3.Session(botocore_session=session, region_name="us-east-1").client(
            service, endpoint_url=url, config=config))


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    port, admin = free_port(), free_port()
    with wafproxy_process("demo", "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                          "--log-level", "warning", wait_ports=(port, admin)) as proc:
        assert proc.stdout is not None
        while not (line := proc.stdout.readline().decode()).lstrip().startswith("KMS"):
            assert line, "demo exited before printing its banner"
        # The banner's KMS line: AWS_SHARED_CREDENTIALS_FILE=… aws --endpoint-url http://… kms …
        creds = re.search(r"AWS_SHARED_CREDENTIALS_FILE=(\S+)", line)
        kms = re.search(r"--endpoint-url (\S+)", line)
        assert creds and kms, line
        yield Demo(f"http://127.0.0.1:{admin}", kms.group(1), creds.group(1))


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = excinfo.value.response
    return (response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"],
            response["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-errortype", ""))


def test_reads_of_every_service_fit_their_documented_shapes(demo: Demo) -> None:
    waf = demo.client("wafv2")
    (acl,) = waf.list_web_acls(Scope="REGIONAL")["WebACLs"]
    assert waf.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])["WebACL"]["ARN"] == acl["ARN"]
    gd = demo.client("guardduty")
    (detector,) = gd.list_detectors()["DetectorIds"]
    assert gd.get_detector(DetectorId=detector)["Status"] == "ENABLED"
    stats = gd.get_findings_statistics(DetectorId=detector, GroupBy="SEVERITY")["FindingStatistics"]
    assert stats["GroupedBySeverity"] == []
    inspector = demo.client("inspector2")
    (account,) = inspector.batch_get_account_status()["accounts"]
    assert account["state"]["status"] == "ENABLED"
    hub = demo.client("securityhub")
    assert hub.describe_hub()["HubArn"].startswith("arn:aws:securityhub:us-east-1:")
    assert {i["Name"] for i in hub.get_insights()["Insights"]}
    kms = demo.client("kms")
    key = kms.create_key(Description="conformance")["KeyMetadata"]
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_a_users_first_lifecycle_scripts(demo: Demo) -> None:
    """What a user's first scripts call on an account that already has each service running: the
    answers AWS gives such an account, and settings that come back as set."""
    gd = demo.client("guardduty")
    (detector,) = gd.list_detectors()["DetectorIds"]
    with pytest.raises(ClientError) as err:
        gd.create_detector(Enable=True)
    assert _error(err)[:2] == (400, "BadRequestException")
    assert err.value.response["Type"] == "InvalidInputException"
    gd.update_detector(DetectorId=detector, FindingPublishingFrequency="ONE_HOUR")
    assert gd.get_detector(DetectorId=detector)["FindingPublishingFrequency"] == "ONE_HOUR"
    hub = demo.client("securityhub")
    with pytest.raises(ClientError) as err:
        hub.enable_security_hub()
    assert _error(err)[:2] == (409, "ResourceConflictException")
    arn = hub.create_insight(Name="first script", Filters={}, GroupByAttribute="SeverityLabel")["InsightArn"]
    assert hub.get_insight_results(InsightArn=arn)["InsightResults"]["InsightArn"] == arn
    hub.delete_insight(InsightArn=arn)
    waf = demo.client("wafv2")
    (acl,) = waf.list_web_acls(Scope="REGIONAL")["WebACLs"]
    (proxy,) = waf.list_resources_for_web_acl(WebACLArn=acl["ARN"])["ResourceArns"]
    assert waf.get_web_acl_for_resource(ResourceArn=proxy)["WebACL"]["ARN"] == acl["ARN"]
    with pytest.raises(ClientError) as err:
        waf.create_web_acl(Name="second", Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig={
            "SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "second"})
    assert _error(err)[1] == "WAFLimitsExceededException"
    # Same paths in two services (/invitation vs /invitations, /members vs /members/list): each call
    # reaches the service its signature names.
    assert gd.list_invitations()["Invitations"] == [] and hub.list_invitations()["Invitations"] == []
    assert gd.list_members(DetectorId=detector)["Members"] == [] and hub.list_members()["Members"] == []
    assert hub.describe_products()["Products"] and "Administrator" not in hub.get_administrator_account()
    inspector = demo.client("inspector2")
    assert inspector.list_members()["members"] == []
    inspector.update_configuration(ecrConfiguration={"rescanDuration": "DAYS_30"})
    state = inspector.get_configuration()["ecrConfiguration"]["rescanDurationState"]
    assert state["rescanDuration"] == "DAYS_30"


PAGINATED = [
    ("wafv2", None, {}),  # WAFv2 has no paginators in botocore: its Limit/NextMarker are checked below
    ("guardduty", "list_detectors", {}),
    ("guardduty", "list_findings", {"DetectorId": None}),
    ("guardduty", "list_filters", {"DetectorId": None}),
    ("guardduty", "list_ip_sets", {"DetectorId": None}),
    ("guardduty", "list_threat_intel_sets", {"DetectorId": None}),
    ("inspector2", "list_findings", {}),
    ("inspector2", "list_filters", {}),
    ("inspector2", "list_coverage", {}),
    ("inspector2", "list_finding_aggregations", {"aggregationType": "ACCOUNT"}),
    ("securityhub", "get_findings", {}),
    ("securityhub", "get_insights", {}),
    ("securityhub", "get_enabled_standards", {}),
    ("securityhub", "describe_standards", {}),
    ("kms", "list_keys", {}),
    ("kms", "list_aliases", {}),
]


@pytest.mark.parametrize(("service", "operation", "kwargs"), PAGINATED)
def test_paginators_run_end_to_end(demo: Demo, service: str, operation: str | None,
                                   kwargs: dict[str, Any]) -> None:
    if operation is None:
        waf = demo.client("wafv2")
        first = waf.list_ip_sets(Scope="REGIONAL", Limit=1)
        names = [s["Name"] for s in first["IPSets"]]
        marker = first.get("NextMarker")
        while marker:
            page = waf.list_ip_sets(Scope="REGIONAL", Limit=1, NextMarker=marker)
            names += [s["Name"] for s in page["IPSets"]]
            marker = page.get("NextMarker")
        assert names == sorted(s["Name"] for s in waf.list_ip_sets(Scope="REGIONAL")["IPSets"])
        return
    client = demo.client(service)
    if "DetectorId" in kwargs:
        kwargs = {**kwargs, "DetectorId": client.list_detectors()["DetectorIds"][0]}
    assert client.can_paginate(operation)
    pages = list(client.get_paginator(operation).paginate(**kwargs, PaginationConfig={"PageSize": 1}))
    assert pages and all(p["ResponseMetadata"]["HTTPStatusCode"] == 200 for p in pages)


# Every operation of the five models is served or answers a modeled error (load_tests/api_sweep.py,
# tests/test_api_sweep.py, tests/sidecars/test_sweeps.py, tests/sidecars/hub/test_sweep.py). An
# operation no model has still answers in the service's error shape: a signed call botocore cannot
# build, so it is signed by hand.
UNKNOWN = [("kms", "TrentService.NoSuchOperation", "/"), ("wafv2", "AWSWAF_20190729.NoSuchOperation", "/"),
           ("guardduty", "", "/detector/nosuchdetector/nosuchoperation"),
           ("inspector2", "", "/nosuchoperation/list"), ("securityhub", "", "/nosuchoperation")]


@pytest.mark.parametrize(("service", "target", "path"), UNKNOWN)
def test_an_operation_no_model_has_answers_in_the_service_error_shape(
        demo: Demo, service: str, target: str, path: str) -> None:
    session = botocore.session.Session(profile="demo")
    session.set_config_variable("credentials_file", demo.credentials)
    base = demo.kms if service == "kms" else demo.admin
    headers = {"Content-Type": "application/x-amz-json-1.1" if target else "application/json"}
    if target:
        headers["X-Amz-Target"] = target
    request = AWSRequest(method="POST", url=base + path, data=b"{}", headers=headers)
    SigV4Auth(session.get_credentials(), service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    response = httpx.post(prepared.url, content=prepared.body, headers=dict(prepared.headers))
    assert response.headers.get("x-amzn-errortype", "").startswith("UnknownOperationException")
    # JSON 1.1 (KMS, WAFv2) answers an unknown target with 400; the rest-json services with 404.
    assert response.status_code == (400 if target else 404)


AUTH_CASES = [("wafv2", "list_web_acls", {"Scope": "REGIONAL"}), ("guardduty", "list_detectors", {}),
              ("inspector2", "list_findings", {}), ("securityhub", "get_findings", {}),
              ("kms", "list_keys", {}),
              # Operations added later, each on its own path: refused in the service's shape too.
              ("guardduty", "create_detector", {"Enable": True}), ("guardduty", "list_invitations", {}),
              ("securityhub", "enable_security_hub", {}), ("securityhub", "describe_products", {}),
              ("securityhub", "list_members", {}), ("securityhub", "list_invitations", {}),
              ("securityhub", "get_administrator_account", {}),
              ("securityhub", "list_automation_rules", {}), ("securityhub", "get_findings_v2", {}),
              ("inspector2", "enable", {"resourceTypes": ["EC2"]}), ("inspector2", "get_configuration", {}),
              ("inspector2", "list_members", {}),
              ("wafv2", "delete_logging_configuration", {"ResourceArn": "arn:aws:wafv2:us-east-1:1:x/y"}),
              ("kms", "describe_custom_key_stores", {})]


@pytest.mark.parametrize(("service", "operation", "kwargs"), AUTH_CASES)
def test_unsigned_and_wrongly_signed_calls_are_refused_in_aws_shape(
        demo: Demo, service: str, operation: str, kwargs: dict[str, Any]) -> None:
    expected_status = 400 if service in ("kms", "wafv2") else 403
    with pytest.raises(ClientError) as err:
        getattr(demo.client(service, unsigned=True), operation)(**kwargs)
    assert _error(err) == (expected_status, "MissingAuthenticationTokenException",
                           "MissingAuthenticationTokenException")
    with pytest.raises(ClientError) as err:
        getattr(demo.client(service, secret="not-the-secret"), operation)(**kwargs)
    assert _error(err) == (expected_status, "InvalidSignatureException", "InvalidSignatureException")


def test_guardduty_tags_through_the_admin_listener(demo: Demo) -> None:
    """``/tags/{ResourceArn}`` is outside ``/detector``: it reaches GuardDuty by its signature, and
    the ARN label (slashes percent-encoded) stays one path member."""
    gd = demo.client("guardduty")
    (detector,) = gd.list_detectors()["DetectorIds"]
    arn = f"arn:aws:guardduty:us-east-1:{demo_account(gd)}:detector/{detector}"
    gd.tag_resource(ResourceArn=arn, Tags={"suite": "conformance"})
    assert gd.list_tags_for_resource(ResourceArn=arn)["Tags"]["suite"] == "conformance"
    gd.untag_resource(ResourceArn=arn, TagKeys=["suite"])
    assert "suite" not in gd.get_detector(DetectorId=detector)["Tags"]


def demo_account(gd: Any) -> str:
    role = gd.get_detector(DetectorId=gd.list_detectors()["DetectorIds"][0])["ServiceRole"]
    return str(role.split(":")[4])


AWS_CLI = Path(sys.executable).with_name("aws")


@pytest.mark.skipif(not AWS_CLI.exists(), reason="the aws CLI is not installed beside this Python")
def test_the_aws_cli_reads_every_service(demo: Demo) -> None:
    env = {**os.environ, "AWS_SHARED_CREDENTIALS_FILE": demo.credentials, "AWS_PROFILE": "demo",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""}

    def aws(url: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(AWS_CLI), "--endpoint-url", url, "--output", "json", *args],
                              env=env, capture_output=True, text=True, timeout=120, check=False)

    for url, args, member in (
        (demo.admin, ("wafv2", "list-web-acls", "--scope", "REGIONAL"), "WebACLs"),
        (demo.admin, ("guardduty", "list-detectors"), "DetectorIds"),
        (demo.admin, ("inspector2", "list-findings", "--max-items", "1"), "findings"),
        (demo.admin, ("securityhub", "get-findings", "--filters",
                      '{"Title":[{"Value":"x","Comparison":"PREFIX"}]}'), "Findings"),
        (demo.kms, ("kms", "list-keys"), "Keys"),
    ):
        done = aws(url, *args)
        assert done.returncode == 0, done.stderr
        assert isinstance(json.loads(done.stdout)[member], list)
    refused = aws(demo.admin, "securityhub", "get-findings-v2")  # Security Hub V2: the modeled refusal
    assert refused.returncode != 0 and "AccessDeniedException" in refused.stderr
