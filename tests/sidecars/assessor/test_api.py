"""The Inspector2 API, served for real, called with boto3's inspector2 client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest

from tests.support.servers import uvicorn_in_thread
from wafproxy.awsapi.authz import IdentityAuthorizer
from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.sidecars.assessor.api import InspectorApi
from wafproxy.sidecars.assessor.findings import to_finding
from wafproxy.sidecars.assessor.model import CheckSpec, Observation
from wafproxy.sidecars.assessor.store import Coverage, FindingStore

CREDENTIALS = """
[alice]
aws_access_key_id = AKIAALICEINSPECTOR01
aws_secret_access_key = alice-secret-key-000000000000000000000
[bob]
aws_access_key_id = AKIABOBINSPECTOR0002
aws_secret_access_key = bob-secret-key-00000000000000000000000
"""
KEYS = {
    "alice": ("AKIAALICEINSPECTOR01", "alice-secret-key-000000000000000000000"),
    "bob": ("AKIABOBINSPECTOR0002", "bob-secret-key-00000000000000000000000"),
}
POLICIES = {
    "alice": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "inspector2:*", "Resource": "*"}],
    },
    "bob": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "inspector2:List*", "Resource": "*"}],
    },
}
SPECS = [
    CheckSpec("WAFP-T-H", "http", "NETWORK_REACHABILITY", "HIGH", "high one", "d", "r"),
    CheckSpec("WAFP-T-M", "config", "CONFIGURATION", "MEDIUM", "medium one", "d", "r"),
    CheckSpec("WAFP-T-L", "http", "NETWORK_REACHABILITY", "LOW", "low one", "d", "r"),
]


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[str]:
    creds, policy = tmp_path / "credentials", tmp_path / "policy.json"
    creds.write_text(CREDENTIALS, encoding="utf-8")
    policy.write_text(json.dumps(POLICIES), encoding="utf-8")
    store = FindingStore(tmp_path / "assessor.sqlite3")
    now = time.time()
    assessed = [
        to_finding(
            Observation(s, f"http://127.0.0.1:1/{s.id}", "AWS_WAFPROXY_ENDPOINT", "e"),
            account="000000000000",
            region="us-east-1",
            now=now,
        )
        for s in SPECS
    ]
    store.record(
        assessed,
        {"http|x"},
        now,
        [Coverage("http://127.0.0.1:1", "WAFPROXY_HTTP", "NETWORK", "ACTIVE", "SUCCESSFUL", now)],
    )
    api = InspectorApi(
        store, credentials=CredentialStore.load(creds), authorizer=IdentityAuthorizer.from_file(policy)
    )
    with uvicorn_in_thread(api.app) as server:
        yield server.url
    store.close()


def client(url: str, who: str = "alice", secret: str | None = None) -> Any:
    key, sec = KEYS[who]
    return boto3.client(
        "inspector2",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret or sec,
    )


def test_list_findings_with_filter_criteria_and_paging(endpoint: str) -> None:
    c = client(endpoint)
    everything = c.list_findings()["findings"]
    assert {f["severity"] for f in everything} == {"HIGH", "MEDIUM", "LOW"}
    assert all(
        f["status"] == "ACTIVE" and f["findingArn"].startswith("arn:aws:inspector2:") for f in everything
    )
    high = c.list_findings(filterCriteria={"severity": [{"comparison": "EQUALS", "value": "HIGH"}]})[
        "findings"
    ]
    assert [f["title"] for f in high] == ["high one"]
    config = c.list_findings(
        filterCriteria={
            "findingType": [{"comparison": "EQUALS", "value": "CONFIGURATION"}],
            "inspectorScore": [{"lowerInclusive": 4.0}],
        }
    )["findings"]
    assert [f["title"] for f in config] == ["medium one"]
    first = c.list_findings(maxResults=2, sortCriteria={"field": "SEVERITY", "sortOrder": "DESC"})
    assert [f["severity"] for f in first["findings"]] == ["HIGH", "MEDIUM"]
    rest = c.list_findings(
        maxResults=2, nextToken=first["nextToken"], sortCriteria={"field": "SEVERITY", "sortOrder": "DESC"}
    )
    assert [f["severity"] for f in rest["findings"]] == ["LOW"] and "nextToken" not in rest
    with pytest.raises(botocore.exceptions.ClientError) as err:
        c.list_findings(filterCriteria={"ec2InstanceVpcId": [{"comparison": "EQUALS", "value": "vpc-1"}]})
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_aggregations_by_severity_and_type(endpoint: str) -> None:
    c = client(endpoint)
    account = c.list_finding_aggregations(aggregationType="ACCOUNT")["responses"][0]["accountAggregation"]
    assert account["severityCounts"] == {
        "all": 3,
        "critical": 0,
        "high": 1,
        "medium": 1,
        "low": 1,
        "informational": 0,
    }
    by_type = c.list_finding_aggregations(
        aggregationType="FINDING_TYPE",
        aggregationRequest={"findingTypeAggregation": {"findingType": "NETWORK_REACHABILITY"}},
    )["responses"]
    assert by_type[0]["findingTypeAggregation"]["severityCounts"]["all"] == 2


def test_suppress_filter_lifecycle(endpoint: str) -> None:
    c = client(endpoint)
    arn = c.create_filter(
        name="hide-low",
        action="SUPPRESS",
        filterCriteria={"severity": [{"comparison": "EQUALS", "value": "LOW"}]},
    )["arn"]
    statuses = {f["title"]: f["status"] for f in c.list_findings()["findings"]}
    assert statuses == {"high one": "ACTIVE", "medium one": "ACTIVE", "low one": "SUPPRESSED"}
    assert [f["name"] for f in c.list_filters(action="SUPPRESS")["filters"]] == ["hide-low"]
    counts = c.list_finding_aggregations(aggregationType="ACCOUNT")["responses"][0]["accountAggregation"]
    assert counts["severityCounts"]["all"] == 2  # suppressed findings are not counted
    assert c.delete_filter(arn=arn)["arn"] == arn
    assert {f["status"] for f in c.list_findings()["findings"]} == {"ACTIVE"}
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.delete_filter(arn=arn)


def test_list_coverage(endpoint: str) -> None:
    covered = client(endpoint).list_coverage()["coveredResources"]
    assert covered[0]["resourceId"] == "http://127.0.0.1:1"
    assert covered[0]["scanStatus"] == {"statusCode": "ACTIVE", "reason": "SUCCESSFUL"}


def test_authentication_and_policy(endpoint: str) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client(endpoint, secret="wrong-secret-000000000000000000000000000").list_findings()
    assert err.value.response["Error"]["Code"] in ("InvalidSignatureException", "UnrecognizedClientException")
    bob = client(endpoint, "bob")
    assert len(bob.list_findings()["findings"]) == 3
    with pytest.raises(botocore.exceptions.ClientError) as err:
        bob.create_filter(name="x", action="SUPPRESS", filterCriteria={})
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
