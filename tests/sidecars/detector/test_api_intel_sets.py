"""GuardDuty's threat-intel sets, IP sets, entity sets, publishing destinations and findings
feedback against a real ``wafproxy serve``: requests through the proxy from listed addresses raise
(or, trusted, do not raise) findings, findings land as JSON lines in the destination's local
bucket, and a restart of the process keeps every set, destination and verdict."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.support.servers import free_port, uvicorn_in_thread, wafproxy_process

ACCOUNT = "123456789012"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
BAD, ENTITY_BAD, TRUSTED, UNTRUSTED = "203.0.113.66", "203.0.113.67", "198.51.100.77", "198.51.100.78"
MALICIOUS = "UnauthorizedAccess:Proxy/MaliciousIPCaller.Custom"


CREDS = "[ops]\naws_access_key_id = AKIAOPSGUARD\naws_secret_access_key = ops-secret-guardduty\n"


@contextmanager
def serving(state: Path, upstream: str) -> Iterator[tuple[Any, str, str]]:
    """``wafproxy serve`` with its admin listener and ``state`` as its state directory: a second
    ``serving`` over the same directory is a restart."""
    creds = state.parent / "credentials"
    creds.write_text(CREDS, encoding="utf-8")
    port, admin = free_port(), free_port()
    with wafproxy_process(
        "serve",
        "--upstream",
        upstream,
        "--listen",
        f"127.0.0.1:{port}",
        "--admin-listen",
        f"127.0.0.1:{admin}",
        "--trusted-proxy",
        "127.0.0.1/32",
        "--credentials",
        str(creds),
        "--state-dir",
        str(state),
        "--account-id",
        ACCOUNT,
        "--log-level",
        "warning",
        wait_ports=(port, admin),
    ):
        gd = boto3.client(
            "guardduty",
            endpoint_url=f"http://127.0.0.1:{admin}",
            region_name="us-east-1",
            aws_access_key_id="AKIAOPSGUARD",
            aws_secret_access_key="ops-secret-guardduty",
            config=Config(retries={"max_attempts": 1}),
        )
        (detector,) = gd.list_detectors()["DetectorIds"]
        waf = f"http://127.0.0.1:{port}"
        assert _until(lambda: _up(waf), 120), "the proxy never answered"
        yield gd, detector, waf


def _up(url: str) -> bool:
    try:
        return httpx.get(url + "/", timeout=30).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    async def anything(request: Request) -> Response:
        return PlainTextResponse("hello")

    with uvicorn_in_thread(Starlette(routes=[Route("/{p:path}", anything)]), http="httptools") as server:
        yield server.url


def _request(waf: str, ip: str, agent: str = "Mozilla/5.0") -> None:
    # The demo trusts loopback as a proxy: the client address is the X-Forwarded-For hop.
    httpx.get(f"{waf}/", headers={"x-forwarded-for": ip, "user-agent": agent}, timeout=10)


def _until(what: Callable[[], Any], seconds: float = 15.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := what()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def _findings_from(gd: Any, detector: str, ip: str) -> list[dict[str, Any]]:
    ids = gd.list_findings(
        DetectorId=detector,
        FindingCriteria={
            "Criterion": {"service.action.networkConnectionAction.remoteIpDetails.ipAddressV4": {"Eq": [ip]}}
        },
    )["FindingIds"]
    return gd.get_findings(DetectorId=detector, FindingIds=ids)["Findings"] if ids else []


def test_sets_steer_the_detector_publish_to_a_bucket_and_survive_a_restart(upstream: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        state = root / "state"
        # Lists live where the admin API may read them: the state directory's intel/ and buckets/.
        root = state / ".wafproxy" / "intel"
        root.mkdir(parents=True)
        (root / "bad.txt").write_text(f"# known bad\n{BAD}\n", encoding="utf-8")
        (root / "entities.txt").write_text(f"evil.example.com\n{ENTITY_BAD}/32\n", encoding="utf-8")
        (root / "trusted.txt").write_text(f"{TRUSTED}\n", encoding="utf-8")
        with serving(state, upstream) as (gd, detector, waf):
            threat = gd.create_threat_intel_set(
                DetectorId=detector,
                Name="known-bad",
                Format="TXT",
                Location=(root / "bad.txt").as_uri(),
                Activate=True,
            )
            entity = gd.create_threat_entity_set(
                DetectorId=detector,
                Name="bad-entities",
                Format="TXT",
                Location=str(root / "entities.txt"),
                Activate=True,
            )
            trusted = gd.create_ip_set(
                DetectorId=detector,
                Name="office",
                Format="TXT",
                Location=str(root / "trusted.txt"),
                Activate=True,
            )
            dest = gd.create_publishing_destination(
                DetectorId=detector,
                DestinationType="S3",
                DestinationProperties={
                    "DestinationArn": "arn:aws:s3:::findings-bucket/guardduty",
                    "KmsKeyArn": KEY,
                },
            )["DestinationId"]
            assert (
                gd.get_threat_intel_set(DetectorId=detector, ThreatIntelSetId=threat["ThreatIntelSetId"])[
                    "Status"
                ]
                == "ACTIVE"
            )
            _request(waf, BAD)
            _request(waf, ENTITY_BAD)
            for ip in (
                TRUSTED,
                UNTRUSTED,
            ):  # a scanner's user agent: a finding, unless the address is trusted
                _request(waf, ip, "sqlmap/1.7")
            (listed,) = _until(lambda: _findings_from(gd, detector, BAD))
            assert listed["Type"] == MALICIOUS
            intel = listed["Service"]["Evidence"]["ThreatIntelligenceDetails"][0]
            assert intel["ThreatListName"] == "known-bad"
            assert [f["Type"] for f in _until(lambda: _findings_from(gd, detector, ENTITY_BAD))] == [
                MALICIOUS
            ]
            assert _until(lambda: _findings_from(gd, detector, UNTRUSTED))  # the control: flagged
            assert _findings_from(gd, detector, TRUSTED) == []
            gd.update_findings_feedback(DetectorId=detector, FindingIds=[listed["Id"]], Feedback="NOT_USEFUL")
            assert _findings_from(gd, detector, BAD)[0]["Service"]["UserFeedback"] == "NOT_USEFUL"
            published = (
                state
                / ".wafproxy"
                / "buckets"
                / "findings-bucket"
                / "guardduty"
                / "AWSLogs"
                / ACCOUNT
                / "GuardDuty"
                / "us-east-1"
                / "findings.jsonl"
            )
            lines = _until(lambda: published.exists() and published.read_text().splitlines())
            assert listed["Id"] in {json.loads(line)["id"] for line in lines}  # the export's camelCase
            gd.update_ip_set(DetectorId=detector, IpSetId=trusted["IpSetId"], Activate=False)
            assert gd.get_ip_set(DetectorId=detector, IpSetId=trusted["IpSetId"])["Status"] == "INACTIVE"
            gd.update_ip_set(DetectorId=detector, IpSetId=trusted["IpSetId"], Activate=True)
        with serving(state, upstream) as (gd, detector, waf):
            assert gd.list_threat_intel_sets(DetectorId=detector)["ThreatIntelSetIds"] == [
                threat["ThreatIntelSetId"]
            ]
            assert gd.list_threat_entity_sets(DetectorId=detector)["ThreatEntitySetIds"] == [
                entity["ThreatEntitySetId"]
            ]
            assert gd.get_ip_set(DetectorId=detector, IpSetId=trusted["IpSetId"])["Status"] == "ACTIVE"
            described = gd.describe_publishing_destination(DetectorId=detector, DestinationId=dest)
            assert described["Status"] == "PUBLISHING"
            assert described["DestinationProperties"]["KmsKeyArn"] == KEY
            assert _findings_from(gd, detector, BAD)[0]["Service"]["UserFeedback"] == "NOT_USEFUL"
            _request(waf, TRUSTED, "sqlmap/1.7")  # still trusted after the restart
            _request(waf, "198.51.100.79", "sqlmap/1.7")
            assert _until(lambda: _findings_from(gd, detector, "198.51.100.79"))
            assert _findings_from(gd, detector, TRUSTED) == []
            gd.delete_publishing_destination(DetectorId=detector, DestinationId=dest)
            assert gd.list_publishing_destinations(DetectorId=detector)["Destinations"] == []
