"""GuardDuty's detector lifecycle through boto3 (strict shapes): CreateDetector answers a second
detector as GuardDuty does, UpdateDetector's settings come back from GetDetector and survive a
restart, Enable=False stops observation, DeleteDetector takes the detector's state with it and
CreateDetector brings it back; every call authorized as ``guardduty:<Operation>``."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.awsshapes import strict
from tests.support.servers import uvicorn_in_thread
from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.awsapi.policy import load_principal_policies
from wafproxy.engine.decision import Action, Decision
from wafproxy.engine.request import WafRequest
from wafproxy.events import RequestEvent
from wafproxy.sidecars.detector.api import GuardDutyApi
from wafproxy.sidecars.detector.detector import Detector
from wafproxy.sidecars.detector.findings import DetectorInfo
from wafproxy.sidecars.detector.policy import load_policy
from wafproxy.sidecars.detector.resources import DetectorResources

DETECTOR = "d" * 32
STORE = CredentialStore.parse("[alice]\naws_access_key_id = AKIAALICE\naws_secret_access_key = s3cr3t\n"
                              "[bob]\naws_access_key_id = AKIABOB\naws_secret_access_key = b0b\n")
# bob may read the detector but not change it.
POLICIES = {"bob": {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["guardduty:Get*", "guardduty:List*"], "Resource": "*"}]},
    "alice": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "guardduty:*",
                                                      "Resource": "*"}]}}


@contextlib.contextmanager
def _served(state: Path) -> Iterator[tuple[Any, Any, Detector]]:
    det = Detector(load_policy(), DetectorInfo(DETECTOR))
    res = DetectorResources(det.intel, det.policy.scenarios.threat_intel, state)
    api = GuardDutyApi(det, res, credentials=STORE, policies=load_principal_policies(json.dumps(POLICIES)),
                       started=1_700_000_000.0)
    with uvicorn_in_thread(api.app) as server:
        def client(key: str, secret: str) -> Any:
            return strict(boto3.client("guardduty", endpoint_url=server.url, region_name="us-east-1",
                                       aws_access_key_id=key, aws_secret_access_key=secret,
                                       config=Config(retries={"max_attempts": 1})))
        yield client("AKIAALICE", "s3cr3t"), client("AKIABOB", "b0b"), det


@pytest.fixture()
def gd(tmp_path: Path) -> Iterator[tuple[Any, Any, Detector]]:
    with _served(tmp_path / "detector.json") as served:
        yield served


def _probe(det: Detector, ip: str, at: float = 1000.0) -> None:
    """A path scan, as the proxy reports it (``emit``: the data path's entry point)."""
    for i, path in enumerate(["/.env", "/.git/config", "/backup.sql", "/wp-config.php.bak"]):
        request = WafRequest(ip, "GET", path)
        det.emit(RequestEvent(at + i, "acl", request, Decision(Action.ALLOW), 404, 1e-5))


def _body(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    r = err.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], str(r.get("Type"))


def test_a_second_detector_is_refused_as_guardduty_refuses_it(gd: tuple[Any, Any, Detector]) -> None:
    alice, _, _ = gd
    assert alice.list_detectors()["DetectorIds"] == [DETECTOR]
    with pytest.raises(ClientError) as err:
        alice.create_detector(Enable=True)
    assert _error(err) == (400, "BadRequestException", "InvalidInputException")
    assert "a detector already exists for the current account" in err.value.response["Error"]["Message"]
    assert alice.list_detectors()["DetectorIds"] == [DETECTOR]


def test_update_is_kept_returned_and_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "detector.json"
    with _served(state) as (alice, _, _):
        before = alice.get_detector(DetectorId=DETECTOR)
        assert before["Status"] == "ENABLED" and before["FindingPublishingFrequency"] == "FIFTEEN_MINUTES"
        assert before["DataSources"]["S3Logs"]["Status"] == "DISABLED"
        listed = {f["Name"]: f["Status"] for f in before["Features"]}  # all of them, as GuardDuty lists
        assert listed["CLOUD_TRAIL"] == listed["S3_DATA_EVENTS"] == listed["RUNTIME_MONITORING"] == "DISABLED"
        alice.update_detector(DetectorId=DETECTOR, FindingPublishingFrequency="SIX_HOURS",
                              DataSources={"S3Logs": {"Enable": True},
                                           "Kubernetes": {"AuditLogs": {"Enable": False}}})
        alice.update_detector(DetectorId=DETECTOR, Features=[
            {"Name": "RUNTIME_MONITORING", "Status": "ENABLED",
             "AdditionalConfiguration": [{"Name": "EC2_AGENT_MANAGEMENT", "Status": "ENABLED"}]}])
        after = alice.get_detector(DetectorId=DETECTOR)
    with _served(state) as (alice, _, _):
        again = alice.get_detector(DetectorId=DETECTOR)
    for got in (after, again):
        assert got["FindingPublishingFrequency"] == "SIX_HOURS"
        assert got["DataSources"]["S3Logs"]["Status"] == "ENABLED"
        assert got["DataSources"]["Kubernetes"]["AuditLogs"]["Status"] == "DISABLED"
        features = {f["Name"]: f for f in got["Features"]}
        assert features["S3_DATA_EVENTS"]["Status"] == "ENABLED"  # one setting, two views
        assert features["RUNTIME_MONITORING"]["AdditionalConfiguration"][0] == {
            "Name": "EC2_AGENT_MANAGEMENT", "Status": "ENABLED",
            "UpdatedAt": features["RUNTIME_MONITORING"]["UpdatedAt"]}
        assert got["UpdatedAt"] > before["UpdatedAt"]
    assert _body(again) == _body(after)


def test_publishing_frequency_paces_the_updates_published(gd: tuple[Any, Any, Detector]) -> None:
    alice, _, det = gd
    published: list[tuple[str, bool]] = []
    det.publishers.append(lambda finding, new: published.append((finding.id, new)))
    _probe(det, "198.51.100.20", at=1000.0)
    assert [new for _, new in published] == [True]
    _probe(det, "198.51.100.20", at=1120.0)  # two minutes on: wafproxy's default pace republishes
    assert [new for _, new in published] == [True, False]
    alice.update_detector(DetectorId=DETECTOR, FindingPublishingFrequency="ONE_HOUR")
    _probe(det, "198.51.100.20", at=1300.0)
    _probe(det, "198.51.100.20", at=3000.0)
    assert len(published) == 2  # within the hour: the updates wait
    _probe(det, "198.51.100.20", at=1120.0 + 3600.0)
    assert [new for _, new in published] == [True, False, False]


def test_sample_findings_are_marked_kept_and_not_acted_on(tmp_path: Path) -> None:
    state = tmp_path / "detector.json"
    with _served(state) as (alice, bob, det):
        published: list[bool] = []
        det.publishers.append(lambda finding, new: published.append(new))
        alice.create_sample_findings(DetectorId=DETECTOR, FindingTypes=["Recon:Proxy/PathProbe",
                                                                        "Recon:EC2/PortProbeUnprotectedPort"])
        ids = alice.list_findings(DetectorId=DETECTOR)["FindingIds"]
        found = alice.get_findings(DetectorId=DETECTOR, FindingIds=ids)["Findings"]
        assert sorted(f["Type"] for f in found) == ["Recon:EC2/PortProbeUnprotectedPort",
                                                    "Recon:Proxy/PathProbe"]
        assert all(f["Title"].startswith("[SAMPLE] ") for f in found) and published == [True, True]
        assert all(json.loads(f["Service"]["AdditionalInfo"]["Value"])["sample"] is True for f in found)
        assert det.gate.count(time.time()) == 0  # no ban for a sample
        alice.create_sample_findings(DetectorId=DETECTOR)  # every type of this detector
        everything = alice.list_findings(DetectorId=DETECTOR, MaxResults=50)["FindingIds"]
        assert len(everything) >= 10 and set(ids) <= set(everything)
        with pytest.raises(ClientError) as err:
            alice.create_sample_findings(DetectorId=DETECTOR, FindingTypes=["not a type"])
        assert _error(err)[:2] == (400, "BadRequestException")
        with pytest.raises(ClientError) as err:
            bob.create_sample_findings(DetectorId=DETECTOR)
        assert err.value.response["Error"]["Code"] == "AccessDeniedException"
        det.store.save(tmp_path / "findings.json")
    with _served(state) as (alice, _, det):
        det.store.load(tmp_path / "findings.json")
        again = alice.get_findings(DetectorId=DETECTOR, FindingIds=ids)["Findings"]
        assert all(f["Title"].startswith("[SAMPLE] ") for f in again) and len(again) == 2


def test_bad_updates_change_nothing(gd: tuple[Any, Any, Detector]) -> None:
    alice, _, _ = gd
    before = alice.get_detector(DetectorId=DETECTOR)
    cases: list[dict[str, Any]] = [
        {"FindingPublishingFrequency": "HOURLY"},
        {"DataSources": {"S3Logs": {"Enable": True}},
         "Features": [{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}]},
        {"Features": [{"Name": "TELEPATHY", "Status": "ENABLED"}]},
        {"Enable": False, "Features": [{"Name": "S3_DATA_EVENTS", "Status": "ON"}]},
    ]
    for case in cases:
        with pytest.raises(ClientError) as err:
            alice.update_detector(DetectorId=DETECTOR, **case)
        assert _error(err)[:2] == (400, "BadRequestException"), case
    assert _body(alice.get_detector(DetectorId=DETECTOR)) == _body(before)
    with pytest.raises(ClientError) as err:
        alice.update_detector(DetectorId="e" * 32, Enable=False)
    assert _error(err)[:2] == (400, "BadRequestException")


def test_disabled_detector_observes_nothing_until_enabled(gd: tuple[Any, Any, Detector]) -> None:
    alice, _, det = gd
    alice.update_detector(DetectorId=DETECTOR, Enable=False)
    assert alice.get_detector(DetectorId=DETECTOR)["Status"] == "DISABLED"
    _probe(det, "198.51.100.7")
    assert alice.list_findings(DetectorId=DETECTOR)["FindingIds"] == []
    alice.update_detector(DetectorId=DETECTOR, Enable=True)
    _probe(det, "198.51.100.8")
    assert len(alice.list_findings(DetectorId=DETECTOR)["FindingIds"]) == 1


def test_delete_then_create_and_what_a_deleted_detector_answers(tmp_path: Path) -> None:
    state = tmp_path / "detector.json"
    with _served(state) as (alice, _, det):
        _probe(det, "198.51.100.9")
        alice.create_filter(DetectorId=DETECTOR, Name="quiet", Action="ARCHIVE",
                            FindingCriteria={"Criterion": {"severity": {"Lt": 2}}})
        alice.tag_resource(ResourceArn=f"arn:aws:guardduty:us-east-1:000000000000:detector/{DETECTOR}",
                           Tags={"team": "edge"})
        alice.delete_detector(DetectorId=DETECTOR)
        assert alice.list_detectors()["DetectorIds"] == []
        for call in (lambda: alice.get_detector(DetectorId=DETECTOR),
                     lambda: alice.list_findings(DetectorId=DETECTOR),
                     lambda: alice.delete_detector(DetectorId=DETECTOR)):
            with pytest.raises(ClientError) as err:
                call()
            assert _error(err)[:2] == (400, "BadRequestException")
            assert "not owned by the current account" in err.value.response["Error"]["Message"]
        _probe(det, "198.51.100.10")  # a deleted detector observes nothing
    with _served(state) as (alice, _, det):
        assert alice.list_detectors()["DetectorIds"] == []  # deleted stays deleted
        created = alice.create_detector(Enable=True, FindingPublishingFrequency="ONE_HOUR",
                                        Tags={"owner": "sec"}, ClientToken="tok-1")
        assert created["DetectorId"] == DETECTOR
        # A retry of the same call (same ClientToken) is the same success, not "already exists".
        retried = alice.create_detector(Enable=True, FindingPublishingFrequency="ONE_HOUR",
                                        Tags={"owner": "sec"}, ClientToken="tok-1")
        assert _body(retried) == _body(created)
        got = alice.get_detector(DetectorId=DETECTOR)
        assert got["Status"] == "ENABLED" and got["FindingPublishingFrequency"] == "ONE_HOUR"
        assert got["Tags"] == {"owner": "sec"}  # the old detector's tags went with it
        assert alice.list_filters(DetectorId=DETECTOR)["FilterNames"] == []
        assert alice.list_findings(DetectorId=DETECTOR)["FindingIds"] == []
        _probe(det, "198.51.100.11")
        assert len(alice.list_findings(DetectorId=DETECTOR)["FindingIds"]) == 1


def test_create_needs_enable_and_valid_settings(gd: tuple[Any, Any, Detector]) -> None:
    alice, _, _ = gd
    alice.delete_detector(DetectorId=DETECTOR)
    with pytest.raises(ClientError) as err:
        alice.create_detector(Enable=True, FindingPublishingFrequency="WEEKLY")
    assert _error(err)[:2] == (400, "BadRequestException")
    assert alice.list_detectors()["DetectorIds"] == []
    alice.create_detector(Enable=False)
    assert alice.get_detector(DetectorId=DETECTOR)["Status"] == "DISABLED"


def test_lifecycle_calls_are_authorized_per_operation(gd: tuple[Any, Any, Detector]) -> None:
    alice, bob, _ = gd
    assert bob.get_detector(DetectorId=DETECTOR)["Status"] == "ENABLED"
    for call in (lambda: bob.update_detector(DetectorId=DETECTOR, Enable=False),
                 lambda: bob.delete_detector(DetectorId=DETECTOR),
                 lambda: bob.create_detector(Enable=True)):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    assert alice.get_detector(DetectorId=DETECTOR)["Status"] == "ENABLED"
    assert alice.list_detectors()["DetectorIds"] == [DETECTOR]


def test_a_standalone_account_has_no_members_invitations_or_destinations(
        gd: tuple[Any, Any, Detector]) -> None:
    alice, bob, _ = gd
    for client in (alice, bob):  # reads: bob's Get*/List* allow them
        assert client.list_members(DetectorId=DETECTOR)["Members"] == []
        assert client.list_publishing_destinations(DetectorId=DETECTOR)["Destinations"] == []
        assert client.list_invitations()["Invitations"] == []
        assert client.get_invitations_count()["InvitationsCount"] == 0
    with pytest.raises(ClientError) as err:
        alice.list_members(DetectorId="e" * 32)
    assert _error(err)[:2] == (400, "BadRequestException")
