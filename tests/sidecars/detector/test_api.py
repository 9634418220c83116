"""The GuardDuty API driven by boto3's ``guardduty`` client: findings with FindingCriteria,
statistics, archive, suppression filters, threat-intel and trusted IP sets from local files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.servers import uvicorn_in_thread
from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.sidecars.detector.api import GuardDutyApi
from wafproxy.sidecars.detector.api_sets import auto_archiver
from wafproxy.sidecars.detector.detector import Detector
from wafproxy.sidecars.detector.findings import DetectorInfo
from wafproxy.sidecars.detector.observation import Observation
from wafproxy.sidecars.detector.policy import load_policy
from wafproxy.sidecars.detector.resources import DetectorResources

STORE = CredentialStore.parse("[alice]\naws_access_key_id = AKIAALICE\naws_secret_access_key = s3cr3t\n")
UA = "mozilla/5.0"


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Any, Detector]]:
    det = Detector(load_policy(), DetectorInfo("a" * 32))
    res = DetectorResources(det.intel, det.policy.scenarios.threat_intel, tmp_path / "detector.json")
    api = GuardDutyApi(det, res, credentials=STORE)
    det.store.auto_archive = auto_archiver(api)
    with uvicorn_in_thread(api.app) as server:
        gd = boto3.client("guardduty", endpoint_url=server.url, region_name="us-east-1",
                          aws_access_key_id="AKIAALICE", aws_secret_access_key="s3cr3t",
                          config=Config(retries={"max_attempts": 1}))
        yield gd, det


def _scan(det: Detector, ip: str, ua: str = UA) -> None:
    for i, p in enumerate(["/.env", "/.git/config", "/backup.sql"]):
        det.observe(Observation(1000 + i, ip, "GET", p, 404, ua))


def test_findings_criteria_statistics_archive(served: tuple[Any, Detector]) -> None:
    gd, det = served
    _scan(det, "198.51.100.1")
    det.observe(Observation(1005, "198.51.100.2", "GET", "/", 200, "sqlmap/1.7"))
    (detector_id,) = gd.list_detectors()["DetectorIds"]
    assert gd.get_detector(DetectorId=detector_id)["Status"] == "ENABLED"
    assert len(gd.list_findings(DetectorId=detector_id)["FindingIds"]) == 2
    probe = gd.list_findings(DetectorId=detector_id, FindingCriteria={"Criterion": {
        "type": {"Eq": ["Recon:Proxy/PathProbe"]}}})["FindingIds"]
    (finding,) = gd.get_findings(DetectorId=detector_id, FindingIds=probe)["Findings"]
    remote = finding["Service"]["Action"]["NetworkConnectionAction"]["RemoteIpDetails"]
    assert remote["IpAddressV4"] == "198.51.100.1"
    by_ip = gd.list_findings(DetectorId=detector_id, FindingCriteria={"Criterion": {
        "service.action.networkConnectionAction.remoteIpDetails.ipAddressV4": {"Eq": ["198.51.100.2"]}}})
    assert len(by_ip["FindingIds"]) == 1 and by_ip["FindingIds"] != probe
    assert gd.list_findings(DetectorId=detector_id, FindingCriteria={"Criterion": {
        "severity": {"GreaterThanOrEqual": 7}}})["FindingIds"] == []
    stats = gd.get_findings_statistics(DetectorId=detector_id, FindingStatisticTypes=["COUNT_BY_SEVERITY"])
    assert stats["FindingStatistics"]["CountBySeverity"] == {"5.0": 2}
    gd.archive_findings(DetectorId=detector_id, FindingIds=probe)
    open_ids = gd.list_findings(DetectorId=detector_id, FindingCriteria={"Criterion": {
        "service.archived": {"Eq": ["false"]}}})["FindingIds"]
    assert probe[0] not in open_ids and len(open_ids) == 1
    gd.unarchive_findings(DetectorId=detector_id, FindingIds=probe)
    assert not gd.get_findings(DetectorId=detector_id, FindingIds=probe)["Findings"][0]["Service"]["Archived"]
    page = gd.list_findings(DetectorId=detector_id, MaxResults=1)
    assert len(page["FindingIds"]) == 1 and page["NextToken"]
    with pytest.raises(ClientError) as err:
        gd.list_findings(DetectorId="b" * 32)
    assert err.value.response["Error"]["Code"] == "BadRequestException"


def test_archive_filter_suppresses_and_skips_remediation(served: tuple[Any, Detector]) -> None:
    gd, det = served
    (detector_id,) = gd.list_detectors()["DetectorIds"]
    gd.create_filter(DetectorId=detector_id, Name="scanner-lab", Action="ARCHIVE", Rank=1, FindingCriteria={
        "Criterion": {"type": {"Eq": ["PenTest:Proxy/ScannerUserAgent"]}}})
    assert gd.list_filters(DetectorId=detector_id)["FilterNames"] == ["scanner-lab"]
    assert gd.get_filter(DetectorId=detector_id, FilterName="scanner-lab")["Action"] == "ARCHIVE"
    det.observe(Observation(1000, "198.51.100.3", "GET", "/", 200, "nikto/2.5"))
    (finding,) = det.store.all()
    assert finding.archived and det.gate.verdict("198.51.100.3", 1001) is None
    gd.delete_filter(DetectorId=detector_id, FilterName="scanner-lab")
    assert gd.list_filters(DetectorId=detector_id)["FilterNames"] == []


def test_threat_intel_and_trusted_sets(served: tuple[Any, Detector], tmp_path: Path) -> None:
    gd, det = served
    (detector_id,) = gd.list_detectors()["DetectorIds"]
    lists = tmp_path / "intel"  # beside detector.json: where an API caller's Location may point
    lists.mkdir()
    threat = lists / "bad.txt"
    threat.write_text("# feed\n203.0.113.0/24\n")
    stix = lists / "bad.json"
    stix.write_text('{"type": "bundle", "objects": [{"type": "indicator", "pattern_type": "stix", '
                    '"pattern": "[ipv4-addr:value = \'192.0.2.99\'] OR '
                    '[ipv4-addr:value = \'192.0.2.98\']"}]}')
    trusted = lists / "trusted.txt"
    trusted.write_text("203.0.113.7\n")
    tid = gd.create_threat_intel_set(DetectorId=detector_id, Name="feed", Format="TXT",
                                     Location=str(threat), Activate=True)["ThreatIntelSetId"]
    gd.create_threat_intel_set(DetectorId=detector_id, Name="stix-feed", Format="STIX",
                               Location=f"file://{stix}", Activate=True)
    iid = gd.create_ip_set(DetectorId=detector_id, Name="office", Format="TXT", Location=str(trusted),
                           Activate=True)["IpSetId"]
    assert gd.get_threat_intel_set(DetectorId=detector_id, ThreatIntelSetId=tid)["Status"] == "ACTIVE"
    assert gd.list_ip_sets(DetectorId=detector_id)["IpSetIds"] == [iid]
    assert len(gd.list_threat_intel_sets(DetectorId=detector_id)["ThreatIntelSetIds"]) == 2
    det.observe(Observation(1000, "203.0.113.5", "GET", "/", 200, UA))
    det.observe(Observation(1000, "192.0.2.98", "GET", "/", 200, UA))
    det.observe(Observation(1000, "203.0.113.7", "GET", "/", 200, "sqlmap"))  # trusted wins
    found = {(f.ip, f.type) for f in det.store.all()}
    assert found == {("203.0.113.5", "UnauthorizedAccess:Proxy/MaliciousIPCaller.Custom"),
                     ("192.0.2.98", "UnauthorizedAccess:Proxy/MaliciousIPCaller.Custom")}
    doc = next(f for f in det.store.all() if f.ip == "203.0.113.5").to_dict(det.info)
    assert doc["Service"]["Evidence"]["ThreatIntelligenceDetails"][0]["ThreatListName"] == "feed"
    # A list that does not parse: the call fails naming file and line; the old lists stay.
    threat.write_text("203.0.113.0/24\nnot-an-ip\n")
    with pytest.raises(ClientError) as err:
        gd.update_threat_intel_set(DetectorId=detector_id, ThreatIntelSetId=tid, Location=str(threat))
    message = err.value.response["Error"]["Message"]
    assert f"{threat}:2" in message and "not-an-ip" not in message  # never the file's content
    assert det.intel.threat_match("203.0.113.9") is not None
    threat.write_text("203.0.113.0/24\n")  # fixed: every later reload parses it again
    with pytest.raises(ClientError):
        gd.create_threat_intel_set(DetectorId=detector_id, Name="remote", Format="TXT",
                                   Location="https://example.com/feed.txt", Activate=True)
    gd.update_ip_set(DetectorId=detector_id, IpSetId=iid, Activate=False)
    assert gd.get_ip_set(DetectorId=detector_id, IpSetId=iid)["Status"] == "INACTIVE"
    gd.delete_ip_set(DetectorId=detector_id, IpSetId=iid)
    gd.delete_threat_intel_set(DetectorId=detector_id, ThreatIntelSetId=tid)
    assert len(gd.list_threat_intel_sets(DetectorId=detector_id)["ThreatIntelSetIds"]) == 1
    # State written is state kept: a new resources object reads the same sets back.
    again = DetectorResources(det.intel, det.policy.scenarios.threat_intel, tmp_path / "detector.json")
    assert [s.name for s in again.sets.values()] == ["stix-feed"]


def test_a_location_reads_only_under_the_state_directory(served: tuple[Any, Detector],
                                                         tmp_path: Path) -> None:
    """An API caller names a file; the sidecar reads only where the operator puts lists (the state
    directory's intel/ and its local buckets), only regular files, and never more than MAX_BYTES."""
    from wafproxy.sidecars.detector.intel import MAX_BYTES

    gd, det = served
    (detector_id,) = gd.list_detectors()["DetectorIds"]
    lists = tmp_path / "intel"
    lists.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("203.0.113.1\n")
    (lists / "escape.txt").symlink_to(outside)
    (lists / "fifo.txt").touch()
    os.unlink(lists / "fifo.txt")
    os.mkfifo(lists / "fifo.txt")
    with open(lists / "huge.txt", "wb") as fh:  # sparse: MAX_BYTES + 1 without writing them
        fh.truncate(MAX_BYTES + 1)
    refused = {
        "/etc/passwd": "must name a file under", "file:///proc/self/environ": "must name a file under",
        str(outside): "must name a file under", f"{lists}/../outside.txt": "must name a file under",
        str(lists / "escape.txt"): "must name a file under", str(lists): "must name a file under",
        f"{lists}/x\0.txt": "NUL", "x" * 1000: "less than or equal to 300",  # the model's bound
        str(lists / ("y" * (299 - len(str(lists))))): "cannot read",
        str(lists / "fifo.txt"): "not a regular file",
        str(lists / "huge.txt"): f"larger than {MAX_BYTES} bytes", "s3://../etc/passwd": "bucket names",
        "s3://lists/../../../etc/passwd": "'..' segment", "https://example.com/x": "s3:// URL",
        f"s3://lists/{'z' * 280}/x": "at most 255 bytes",
    }
    for location, why in refused.items():
        with pytest.raises(ClientError) as err:
            gd.create_threat_intel_set(DetectorId=detector_id, Name="probe", Format="TXT",
                                       Location=location, Activate=True)
        assert err.value.response["Error"]["Code"] == "BadRequestException", location
        assert why in err.value.response["Error"]["Message"], (location, err.value.response["Error"])
    assert gd.list_threat_intel_sets(DetectorId=detector_id)["ThreatIntelSetIds"] == []
    bucket = tmp_path / "buckets" / "lists" / "feeds"  # s3://lists/feeds/bad.txt: the local bucket
    bucket.mkdir(parents=True)
    (bucket / "bad.txt").write_text("198.51.100.0/24\n")
    gd.create_threat_intel_set(DetectorId=detector_id, Name="bucketed", Format="TXT",
                               Location="s3://lists/feeds/bad.txt", Activate=True)
    assert det.intel.threat_match("198.51.100.7") is not None
