"""The GuardDuty API against botocore's model, as boto3 users call it: every response fits the
documented shape (strict client), the FindingCriteria grammar in full, statistics by every GroupBy,
page tokens that only continue their own listing, ClientToken idempotency, GuardDuty's error
vocabulary (BadRequestException, never ValidationException)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.sidecars.detector.test_api import STORE, _scan
from tests.support.awsshapes import strict
from tests.support.servers import uvicorn_in_thread
from wafproxy.sidecars.detector.api import GuardDutyApi
from wafproxy.sidecars.detector.api_sets import auto_archiver
from wafproxy.sidecars.detector.detector import Detector
from wafproxy.sidecars.detector.findings import DetectorInfo
from wafproxy.sidecars.detector.observation import Observation
from wafproxy.sidecars.detector.policy import load_policy
from wafproxy.sidecars.detector.resources import DetectorResources

DETECTOR = "c" * 32
PROBE = "Recon:Proxy/PathProbe"
SCANNER = "PenTest:Proxy/ScannerUserAgent"


@pytest.fixture()
def gd(tmp_path: Path) -> Iterator[tuple[Any, str]]:
    det = Detector(load_policy(), DetectorInfo(DETECTOR))
    res = DetectorResources(det.intel, det.policy.scenarios.threat_intel, tmp_path / "detector.json")
    api = GuardDutyApi(det, res, credentials=STORE, started=1_700_000_000.0)
    det.store.auto_archive = auto_archiver(api)
    _scan(det, "198.51.100.1")
    _scan(det, "198.51.100.3")
    det.observe(Observation(1005, "198.51.100.2", "GET", "/", 200, "sqlmap/1.7"))
    with uvicorn_in_thread(api.app) as server:
        client = boto3.client("guardduty", endpoint_url=server.url, region_name="us-east-1",
                              aws_access_key_id="AKIAALICE", aws_secret_access_key="s3cr3t",
                              config=Config(retries={"max_attempts": 1}, parameter_validation=True))
        yield strict(client), server.url


def _ids(client: Any, criterion: dict[str, Any]) -> list[str]:
    return client.list_findings(DetectorId=DETECTOR, FindingCriteria={"Criterion": criterion})["FindingIds"]


def _code(err: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    return err.value.response["ResponseMetadata"]["HTTPStatusCode"], err.value.response["Error"]["Code"]


def test_detector_reads_parse_into_documented_types(gd: tuple[Any, str]) -> None:
    client, _ = gd
    detector = client.get_detector(DetectorId=DETECTOR)
    assert detector["CreatedAt"].startswith("2023-11-14T")  # GuardDuty models these as strings
    ids = client.list_findings(DetectorId=DETECTOR)["FindingIds"]
    findings = client.get_findings(DetectorId=DETECTOR, FindingIds=ids)["Findings"]
    assert len(findings) == 3 and all(isinstance(f["Severity"], float) for f in findings)
    assert {f["Type"] for f in findings} == {PROBE, SCANNER}


def test_finding_criteria_grammar(gd: tuple[Any, str]) -> None:
    client, _ = gd
    everything = set(client.list_findings(DetectorId=DETECTOR)["FindingIds"])
    probes = set(_ids(client, {"type": {"Eq": [PROBE]}}))
    assert len(probes) == 2
    assert set(_ids(client, {"type": {"Equals": [PROBE]}})) == probes
    assert set(_ids(client, {"type": {"Neq": [PROBE]}})) == everything - probes
    assert set(_ids(client, {"type": {"NotEquals": [PROBE]}})) == everything - probes
    assert set(_ids(client, {"type": {"Matches": ["Recon:*"]}})) == probes
    assert set(_ids(client, {"type": {"NotMatches": ["Recon:*"]}})) == everything - probes
    assert set(_ids(client, {"severity": {"Gte": 5}})) == everything
    assert _ids(client, {"severity": {"Gt": 5}}) == []
    assert set(_ids(client, {"severity": {"Eq": ["5"]}})) == everything  # numbers by value: 5 is 5.0
    assert _ids(client, {"severity": {"Neq": ["5.0"]}}) == []
    assert set(_ids(client, {"severity": {"GreaterThanOrEqual": 5, "LessThan": 6}})) == everything
    # Timestamps compare as epoch milliseconds: the scanner's finding was updated at t=1005 s.
    assert len(_ids(client, {"updatedAt": {"GreaterThanOrEqual": 1_005_000}})) == 1
    assert set(_ids(client, {"updatedAt": {"LessThan": 1_005_000}})) == probes
    by_ip = _ids(client, {"service.action.networkConnectionAction.remoteIpDetails.ipAddressV4":
                          {"Eq": ["198.51.100.3"]}})
    assert len(by_ip) == 1 and by_ip[0] in probes
    with pytest.raises(ClientError) as err:
        _ids(client, {"severity": {}})
    assert _code(err) == (400, "BadRequestException")


def test_sort_criteria_on_dotted_members(gd: tuple[Any, str]) -> None:
    client, _ = gd
    asc = client.list_findings(DetectorId=DETECTOR,
                               SortCriteria={"AttributeName": "updatedAt", "OrderBy": "ASC"})["FindingIds"]
    desc = client.list_findings(DetectorId=DETECTOR,
                                SortCriteria={"AttributeName": "updatedAt", "OrderBy": "DESC"})["FindingIds"]
    assert asc[-1] == desc[0] and sorted(asc) == sorted(desc)  # the scanner's (t=1005) is the latest
    assert client.get_findings(DetectorId=DETECTOR, FindingIds=desc[:1])["Findings"][0]["Type"] == SCANNER
    got = client.get_findings(DetectorId=DETECTOR, FindingIds=asc,
                              SortCriteria={"AttributeName": "updatedAt", "OrderBy": "DESC"})["Findings"]
    assert [f["Id"] for f in got][0] == desc[0] and got[0]["UpdatedAt"] >= got[-1]["UpdatedAt"]
    by_count = client.list_findings(DetectorId=DETECTOR,
                                    SortCriteria={"AttributeName": "service.count", "OrderBy": "DESC"})
    assert len(by_count["FindingIds"]) == 3


def test_statistics_by_every_group(gd: tuple[Any, str]) -> None:
    client, _ = gd

    def stats(**kw: Any) -> dict[str, Any]:
        out: dict[str, Any] = client.get_findings_statistics(DetectorId=DETECTOR, **kw)["FindingStatistics"]
        return out

    assert stats(FindingStatisticTypes=["COUNT_BY_SEVERITY"]) == {"CountBySeverity": {"5.0": 3}}
    (account,) = stats(GroupBy="ACCOUNT")["GroupedByAccount"]
    assert account["TotalFindings"] == 3 and account["LastGeneratedAt"].timestamp() == 1005
    types = stats(GroupBy="FINDING_TYPE", OrderBy="DESC")["GroupedByFindingType"]
    assert [(t["FindingType"], t["TotalFindings"]) for t in types] == [(PROBE, 2), (SCANNER, 1)]
    types = stats(GroupBy="FINDING_TYPE", OrderBy="ASC", MaxResults=1)["GroupedByFindingType"]
    assert [t["FindingType"] for t in types] == [SCANNER]
    (severity,) = stats(GroupBy="SEVERITY")["GroupedBySeverity"]
    assert severity["Severity"] == 5.0 and severity["TotalFindings"] == 3
    (day,) = stats(GroupBy="DATE")["GroupedByDate"]
    assert day["Date"].timestamp() == 0 and day["TotalFindings"] == 3
    resources = stats(GroupBy="RESOURCE")["GroupedByResource"]
    assert sum(r["TotalFindings"] for r in resources) == 3 and all(r["ResourceType"] for r in resources)
    only_probes = stats(GroupBy="FINDING_TYPE", FindingCriteria={"Criterion": {"type": {"Eq": [PROBE]}}})
    assert [t["FindingType"] for t in only_probes["GroupedByFindingType"]] == [PROBE]


def test_next_token_only_continues_its_own_listing(gd: tuple[Any, str]) -> None:
    client, _ = gd
    first = client.list_findings(DetectorId=DETECTOR, MaxResults=1)
    second = client.list_findings(DetectorId=DETECTOR, MaxResults=1, NextToken=first["NextToken"])
    assert second["FindingIds"] != first["FindingIds"]
    paged = [i for page in client.get_paginator("list_findings").paginate(
        DetectorId=DETECTOR, PaginationConfig={"PageSize": 1}) for i in page["FindingIds"]]
    assert sorted(paged) == sorted(client.list_findings(DetectorId=DETECTOR)["FindingIds"])
    for bad in (
        lambda: client.list_findings(DetectorId=DETECTOR, NextToken="not-a-token"),
        lambda: client.list_findings(DetectorId=DETECTOR, NextToken=first["NextToken"],
                                     FindingCriteria={"Criterion": {"type": {"Eq": [PROBE]}}}),
        lambda: client.list_filters(DetectorId=DETECTOR, NextToken=first["NextToken"]),
    ):
        with pytest.raises(ClientError) as err:
            bad()
        assert _code(err) == (400, "BadRequestException")


def test_client_token_makes_creates_idempotent(gd: tuple[Any, str]) -> None:
    client, _ = gd
    request = {"DetectorId": DETECTOR, "Name": "quiet-scans", "Action": "ARCHIVE", "ClientToken": "retry-1",
               "FindingCriteria": {"Criterion": {"type": {"Eq": [SCANNER]}}}}
    assert client.create_filter(**request)["Name"] == "quiet-scans"
    assert client.create_filter(**request)["Name"] == "quiet-scans"  # a retry: the same answer
    assert client.list_filters(DetectorId=DETECTOR)["FilterNames"] == ["quiet-scans"]
    with pytest.raises(ClientError) as err:
        client.create_filter(**{**request, "Action": "NOOP"})
    assert _code(err) == (400, "BadRequestException")
    with pytest.raises(ClientError) as err:  # without a token a second create is a duplicate
        client.create_filter(**{k: v for k, v in request.items() if k != "ClientToken"})
    assert _code(err) == (400, "BadRequestException")
    got = client.get_filter(DetectorId=DETECTOR, FilterName="quiet-scans")
    assert got["Action"] == "ARCHIVE" and got["FindingCriteria"]["Criterion"]["type"]["Eq"] == [SCANNER]


def test_errors_speak_guardduty(gd: tuple[Any, str]) -> None:
    client, url = gd
    with pytest.raises(ClientError) as err:
        client.get_filter(DetectorId=DETECTOR, FilterName="missing")
    assert _code(err) == (400, "BadRequestException")
    assert err.value.response["Error"]["Message"] and err.value.response["Type"] == "BadRequestException"
    # A body that is not a JSON object: SerializationException in our plumbing, BadRequestException
    # on GuardDuty's wire.
    request = AWSRequest(method="POST", url=f"{url}/detector/{DETECTOR}/findings", data=b"[1]",
                         headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("AKIAALICE", "s3cr3t"), "guardduty", "us-east-1").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, data=b"[1]", headers=dict(prepared.headers), method="POST")
    with pytest.raises(urllib.error.HTTPError) as http:
        urllib.request.urlopen(raw, timeout=30)
    assert http.value.code == 400 and http.value.headers["x-amzn-errortype"] == "BadRequestException"
    assert json.loads(http.value.read())["message"]


def test_tags_on_detector_filters_and_sets(gd: tuple[Any, str], tmp_path: Path) -> None:
    client, _ = gd
    detector_arn = f"arn:aws:guardduty:us-east-1:000000000000:detector/{DETECTOR}"
    assert client.list_tags_for_resource(ResourceArn=detector_arn)["Tags"] == {}
    client.tag_resource(ResourceArn=detector_arn, Tags={"env": "prod", "team": "sec"})
    client.untag_resource(ResourceArn=detector_arn, TagKeys=["env"])
    assert client.list_tags_for_resource(ResourceArn=detector_arn)["Tags"] == {"team": "sec"}
    assert client.get_detector(DetectorId=DETECTOR)["Tags"] == {"team": "sec"}
    client.create_filter(DetectorId=DETECTOR, Name="tagged-filter", FindingCriteria={"Criterion": {}},
                         Tags={"owner": "alice"})
    filter_arn = f"{detector_arn}/filter/tagged-filter"
    assert client.list_tags_for_resource(ResourceArn=filter_arn)["Tags"] == {"owner": "alice"}
    listed = tmp_path / "intel" / "trusted.txt"  # beside detector.json: where Locations may point
    listed.parent.mkdir()
    listed.write_text("192.0.2.1\n")
    set_id = client.create_ip_set(DetectorId=DETECTOR, Name="trusted", Format="TXT", Location=str(listed),
                                  Activate=True, Tags={"k": "v"})["IpSetId"]
    ip_set_arn = f"{detector_arn}/ipset/{set_id}"
    client.tag_resource(ResourceArn=ip_set_arn, Tags={"k2": "v2"})
    assert client.list_tags_for_resource(ResourceArn=ip_set_arn)["Tags"] == {"k": "v", "k2": "v2"}
    with pytest.raises(ClientError) as err:
        client.list_tags_for_resource(ResourceArn=f"{detector_arn}/filter/missing")
    assert _code(err) == (400, "BadRequestException")
    with pytest.raises(ClientError) as err:
        client.tag_resource(ResourceArn=detector_arn, Tags={"aws:reserved": "x"})
    assert _code(err) == (400, "BadRequestException")
