"""The Security Hub API on the admin listener, driven by boto3's ``securityhub`` client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.sidecars.hub.factory import PRODUCT, finding
from tests.sidecars.hub.stack import HubStack, running_hub
from tests.sidecars.hub.test_store import FixedClock


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[HubStack]:
    with running_hub(tmp_path) as s:
        yield s


def test_import_reports_bad_findings_and_keeps_the_rest(stack: HubStack) -> None:
    sh = stack.client()
    out = sh.batch_import_findings(
        Findings=[finding(1), finding(2, Severity={"Label": "SEVERE"}), finding(3)]
    )
    assert (out["SuccessCount"], out["FailedCount"]) == (2, 1)
    (bad,) = out["FailedFindings"]
    assert bad["Id"] == "test/finding/2" and bad["ErrorCode"] == "InvalidInput"
    assert "Severity.Label" in bad["ErrorMessage"]
    ids = {f["Id"] for f in sh.get_findings()["Findings"]}
    assert ids == {"test/finding/1", "test/finding/3"}


def test_get_findings_filters_and_paginates(stack: HubStack) -> None:
    sh = stack.client()
    for start in range(0, 250, 100):
        sh.batch_import_findings(Findings=[finding(n) for n in range(start, min(start + 100, 250))])
    high = {
        "SeverityLabel": [{"Value": "HIGH", "Comparison": "EQUALS"}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
    }
    pages = list(sh.get_paginator("get_findings").paginate(Filters=high, PaginationConfig={"PageSize": 20}))
    got = [f["Id"] for page in pages for f in page["Findings"]]
    assert len(pages) > 1 and len(got) == len(set(got)) == len([n for n in range(250) if n % 4 == 2])
    assert all(f["Severity"]["Label"] == "HIGH" for p in pages for f in p["Findings"])
    by_resource = sh.get_findings(Filters={"ResourceId": [{"Value": "198.51.100.3", "Comparison": "EQUALS"}]})
    assert {f["Id"] for f in by_resource["Findings"]} == {"test/finding/3"}
    by_product = sh.get_findings(
        Filters={"ProductName": [{"Value": "Tester", "Comparison": "EQUALS"}]}, MaxResults=5
    )
    assert len(by_product["Findings"]) == 5 and "NextToken" in by_product
    dated = sh.get_findings(
        Filters={"CreatedAt": [{"Start": "2026-12-02T00:00:00Z", "End": "2026-12-03T00:00:00Z"}]}
    )
    assert dated["Findings"] == []
    recent = {"UpdatedAt": [{"DateRange": {"Value": 3650, "Unit": "DAYS"}}]}
    clock = FixedClock(time.time())
    stack.service.hub.clock = clock
    first = sh.get_findings(Filters=recent, MaxResults=10)
    clock.t += 5  # the DateRange's cutoff moves with the clock; its NextToken must stay valid
    assert len(sh.get_findings(Filters=recent, MaxResults=10, NextToken=first["NextToken"])["Findings"]) == 10
    with pytest.raises(ClientError) as exc:
        sh.get_findings(Filters=high, NextToken=by_product["NextToken"])
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"


def test_batch_update_changes_workflow_note_severity_and_fields(stack: HubStack) -> None:
    sh = stack.client()
    sh.batch_import_findings(Findings=[finding(1), finding(2)])
    out = sh.batch_update_findings(
        FindingIdentifiers=[
            {"Id": "test/finding/1", "ProductArn": PRODUCT},
            {"Id": "test/finding/9", "ProductArn": PRODUCT},
        ],
        Workflow={"Status": "RESOLVED"},
        Note={"Text": "fixed upstream", "UpdatedBy": "alice"},
        Severity={"Label": "LOW"},
        UserDefinedFields={"ticket": "SEC-1"},
    )
    assert out["ProcessedFindings"] == [{"Id": "test/finding/1", "ProductArn": PRODUCT}]
    assert out["UnprocessedFindings"][0]["ErrorCode"] == "FindingNotFound"
    (f,) = sh.get_findings(Filters={"WorkflowStatus": [{"Value": "RESOLVED", "Comparison": "EQUALS"}]})[
        "Findings"
    ]
    assert f["Id"] == "test/finding/1" and f["Note"]["Text"] == "fixed upstream"
    assert f["Severity"] == {"Label": "LOW", "Normalized": 1} and f["UserDefinedFields"] == {
        "ticket": "SEC-1"
    }
    with pytest.raises(ClientError) as exc:
        sh.batch_update_findings(
            FindingIdentifiers=[{"Id": "test/finding/2", "ProductArn": PRODUCT}], Workflow={"Status": "DONE"}
        )
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"


def test_insights_group_findings(stack: HubStack) -> None:
    sh = stack.client()
    sh.batch_import_findings(Findings=[finding(n) for n in range(8)])
    arns = {i["Name"]: i["InsightArn"] for i in sh.get_insights()["Insights"]}
    results = sh.get_insight_results(InsightArn=arns["Open findings by severity"])["InsightResults"]
    assert {v["GroupByAttributeValue"]: v["Count"] for v in results["ResultValues"]} == {
        "LOW": 2,
        "MEDIUM": 2,
        "HIGH": 2,
        "CRITICAL": 2,
    }
    with pytest.raises(ClientError) as exc:
        sh.get_insight_results(InsightArn="arn:aws:securityhub:::insight/nope")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_describe_hub_and_authorization(stack: HubStack) -> None:
    hub = stack.client().describe_hub()
    assert hub["HubArn"] == "arn:aws:securityhub:us-east-1:123456789012:hub/default"
    reader = stack.client("reader")
    assert reader.get_findings()["Findings"] == []
    with pytest.raises(ClientError) as exc:
        reader.batch_import_findings(Findings=[finding(1)])
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError):
        stack.client("ops").get_findings()  # authenticated, but no securityhub policy
    unsigned = httpx.post(stack.url + "/findings", json={})
    assert unsigned.status_code in (400, 403) and unsigned.headers["x-amzn-errortype"]
    assert httpx.get(stack.url + "/healthz").text == "ok\n"  # the admin app is still there
