"""GuardDuty's usage, coverage, free-trial, member, malware-settings and destination calls through
boto3, in-process over a real detector; a new API over the same ``detector.json`` is a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.sidecars.detector.test_api import STORE, _scan
from tests.support.awsshapes import strict
from tests.support.servers import uvicorn_in_thread
from wafproxy.sidecars.detector.api import GuardDutyApi
from wafproxy.sidecars.detector.detector import Detector
from wafproxy.sidecars.detector.findings import DetectorInfo
from wafproxy.sidecars.detector.intel import load_list
from wafproxy.sidecars.detector.policy import load_policy
from wafproxy.sidecars.detector.resources import DetectorResources

DETECTOR = "d" * 32
ACCOUNT = "000000000000"  # DetectorInfo's default account
OTHER = "111111111111"
DAY = 86400.0


@contextmanager
def served(state: Path) -> Iterator[tuple[Any, Detector]]:
    """The detector (never created through the API) counts from the process's start: 3 days ago."""
    det = Detector(load_policy(), DetectorInfo(DETECTOR))
    res = DetectorResources(det.intel, det.policy.scenarios.threat_intel, state / "detector.json")
    api = GuardDutyApi(det, res, credentials=STORE, started=time.time() - 3 * DAY)
    with uvicorn_in_thread(api.app) as server:
        client = boto3.client(
            "guardduty",
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="AKIAALICE",
            aws_secret_access_key="s3cr3t",
            config=Config(retries={"max_attempts": 1}),
        )
        yield strict(client), det
    api.destinations.close()


def _code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def test_usage_rows_are_the_detectors_own_at_no_cost(tmp_path: Path) -> None:
    with served(tmp_path) as (gd, det):
        _scan(det, "198.51.100.1")
        gd.update_detector(DetectorId=DETECTOR, Features=[{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}])
        by_feature = gd.get_usage_statistics(
            DetectorId=DETECTOR, UsageStatisticType="SUM_BY_FEATURES", UsageCriteria={}
        )["UsageStatistics"]["SumByFeature"]
        assert by_feature == [{"Feature": "S3_DATA_EVENTS", "Total": {"Amount": "0", "Unit": "USD"}}]
        resources = gd.get_usage_statistics(
            DetectorId=DETECTOR, UsageStatisticType="SUM_BY_RESOURCE", UsageCriteria={}
        )["UsageStatistics"]["SumByResource"]
        assert [r["Resource"] for r in resources] == sorted({f.resource for f in det.store.all()})
        other = gd.get_usage_statistics(
            DetectorId=DETECTOR, UsageStatisticType="SUM_BY_ACCOUNT", UsageCriteria={"AccountIds": [OTHER]}
        )["UsageStatistics"]
        assert other["SumByAccount"] == []
        stats = gd.get_coverage_statistics(DetectorId=DETECTOR, StatisticsType=["COUNT_BY_RESOURCE_TYPE"])
        assert stats["CoverageStatistics"] == {"CountByResourceType": {}}
        assert gd.list_coverage(DetectorId=DETECTOR)["Resources"] == []


def test_free_trial_and_members_of_a_standalone_account(tmp_path: Path) -> None:
    with served(tmp_path) as (gd, _):
        trial = gd.get_remaining_free_trial_days(DetectorId=DETECTOR, AccountIds=[ACCOUNT, OTHER])
        (mine,) = trial["Accounts"]
        assert {f["FreeTrialDaysRemaining"] for f in mine["Features"]} == {27}  # 30 days from 3 days ago
        assert mine["DataSources"]["CloudTrail"]["FreeTrialDaysRemaining"] == 27
        assert [u["AccountId"] for u in trial["UnprocessedAccounts"]] == [OTHER]
        created = gd.create_members(
            DetectorId=DETECTOR, AccountDetails=[{"AccountId": OTHER, "Email": "o@example.com"}]
        )
        assert [u["AccountId"] for u in created["UnprocessedAccounts"]] == [OTHER]
        assert gd.list_members(DetectorId=DETECTOR)["Members"] == []
        got = gd.get_members(DetectorId=DETECTOR, AccountIds=[OTHER])
        assert got["Members"] == [] and got["UnprocessedAccounts"][0]["AccountId"] == OTHER
        for call in (
            lambda: gd.accept_administrator_invitation(
                DetectorId=DETECTOR, AdministratorId=OTHER, InvitationId="inv-1"
            ),
            lambda: gd.list_organization_admin_accounts(),
            lambda: gd.create_malware_protection_plan(
                Role="arn:aws:iam::0:role/x", ProtectedResource={"S3Bucket": {"BucketName": "b"}}
            ),
        ):
            with pytest.raises(ClientError) as err:
                call()
            assert _code(err) == "BadRequestException"
        with pytest.raises(ClientError) as err:
            gd.get_malware_scan(ScanId="scan-1")
        assert _code(err) == "ResourceNotFoundException"


def test_malware_settings_and_destinations_kept_across_a_restart(tmp_path: Path) -> None:
    arn = "arn:aws:s3:::kept-bucket/gd"
    with served(tmp_path) as (gd, det):
        assert gd.get_malware_scan_settings(DetectorId=DETECTOR)["EbsSnapshotPreservation"] == "NO_RETENTION"
        gd.update_malware_scan_settings(DetectorId=DETECTOR, EbsSnapshotPreservation="RETENTION_WITH_FINDING")
        dest = gd.create_publishing_destination(
            DetectorId=DETECTOR,
            DestinationType="S3",
            DestinationProperties={"DestinationArn": arn, "KmsKeyArn": "arn:aws:kms:us-east-1:0:key/k"},
        )["DestinationId"]
        for bad in ("arn:aws:s3:::UPPER/x", "arn:aws:s3:::ok-bucket/../up", "https://example.com/b"):
            with pytest.raises(ClientError) as err:
                gd.create_publishing_destination(
                    DetectorId=DETECTOR, DestinationType="S3", DestinationProperties={"DestinationArn": bad}
                )
            assert _code(err) == "BadRequestException"
        _scan(det, "198.51.100.9")
    published = tmp_path / "buckets" / "kept-bucket" / "gd" / "AWSLogs" / ACCOUNT / "GuardDuty" / "us-east-1"
    assert (published / "findings.jsonl").read_text().count("198.51.100.9") >= 1  # written by close()
    with served(tmp_path) as (gd, _):
        assert gd.get_malware_scan_settings(DetectorId=DETECTOR)["EbsSnapshotPreservation"] == (
            "RETENTION_WITH_FINDING"
        )
        assert (
            gd.describe_publishing_destination(DetectorId=DETECTOR, DestinationId=dest)[
                "DestinationProperties"
            ]["DestinationArn"]
            == arn
        )
        gd.delete_detector(DetectorId=DETECTOR)
        gd.create_detector(Enable=True)
        assert gd.list_publishing_destinations(DetectorId=DETECTOR)["Destinations"] == []


def test_entity_sets_skip_domains_and_keep_addresses(tmp_path: Path) -> None:
    feed = tmp_path / "entities.txt"
    feed.write_text("# entities\nevil.example.com\n203.0.113.5\nbad-host.example.\n2001:db8::/32\n")
    parsed = load_list(feed, "TXT", "entities", entities=True)
    assert parsed.cidrs == ("203.0.113.5/32", "2001:db8::/32")
    with pytest.raises(ValueError):
        load_list(feed, "TXT", "not-entities")  # an IP set has addresses only: the domain is an error
