"""The Security Hub API against botocore's model, as boto3 users call it: responses fit the documented
shapes, AwsSecurityFindingFilters beyond the indexed columns (string, map, number, IP, boolean, date
filters on the finding itself) with exact paging, NextToken bound to its filters, and Security Hub's
error vocabulary (InvalidInputException with Code/Message, 403 AccessDeniedException,
ResourceNotFoundException for what does not exist)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sidecars.hub.factory import PRODUCT, finding
from tests.sidecars.hub.stack import HubStack, running_hub
from tests.support.awsshapes import strict


@pytest.fixture()
def hub(tmp_path: Path) -> Iterator[HubStack]:
    with running_hub(tmp_path) as stack:
        client = strict(stack.client())
        extra = [
            {"ProductFields": {"rule": "SQLi"}, "Criticality": 80,
             "Network": {"Direction": "IN", "SourceIpV4": "203.0.113.7"}},
            {"ProductFields": {"rule": "XSS"}, "Criticality": 20,
             "Network": {"Direction": "IN", "SourceIpV4": "198.51.100.9"}, "Sample": True},
        ]
        findings = [finding(n, **(extra[n] if n < len(extra) else {})) for n in range(6)]
        assert client.batch_import_findings(Findings=findings)["SuccessCount"] == 6
        yield stack


def _ids(client: Any, filters: dict[str, Any]) -> list[int]:
    found = client.get_findings(Filters=filters)["Findings"]
    return sorted(int(f["Id"].rsplit("/", 1)[1]) for f in found)


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    return err.value.response["ResponseMetadata"]["HTTPStatusCode"], err.value.response["Error"]["Code"]


def test_filters_on_the_finding_itself(hub: HubStack) -> None:
    c = strict(hub.client())
    assert _ids(c, {"Title": [{"Value": "finding 1", "Comparison": "EQUALS"}]}) == [1]
    assert _ids(c, {"Title": [{"Value": "finding 1", "Comparison": "NOT_EQUALS"}]}) == [0, 2, 3, 4, 5]
    assert _ids(c, {"Title": [{"Value": "finding", "Comparison": "PREFIX"}],
                    "SeverityLabel": [{"Value": "LOW", "Comparison": "EQUALS"}]}) == [0, 4]
    assert _ids(c, {"Description": [{"Value": "number 3", "Comparison": "CONTAINS"}]}) == [3]
    assert _ids(c, {"Description": [{"Value": "number", "Comparison": "NOT_CONTAINS"}]}) == []
    assert _ids(c, {"Title": [{"Value": "finding 1", "Comparison": "EQUALS"},
                              {"Value": "finding 2", "Comparison": "EQUALS"}]}) == [1, 2]
    assert _ids(c, {"ProductFields": [{"Key": "rule", "Value": "SQLi", "Comparison": "EQUALS"}]}) == [0]
    assert _ids(c, {"ProductFields": [{"Key": "rule", "Value": "SQLi", "Comparison": "NOT_EQUALS"}]}) == [
        1, 2, 3, 4, 5]
    assert _ids(c, {"Criticality": [{"Gte": 50}]}) == [0]
    assert _ids(c, {"Criticality": [{"Gte": 10, "Lte": 30}]}) == [1]
    assert _ids(c, {"NetworkSourceIpV4": [{"Cidr": "203.0.113.0/24"}]}) == [0]
    assert _ids(c, {"Sample": [{"Value": True}]}) == [1]
    assert _ids(c, {"Sample": [{"Value": False}]}) == [0, 2, 3, 4, 5]
    assert _ids(c, {"NetworkDirection": [{"Value": "IN", "Comparison": "EQUALS"}]}) == [0, 1]


def test_workflow_fields_filterable_after_batch_update(hub: HubStack) -> None:
    c = strict(hub.client())
    c.batch_update_findings(FindingIdentifiers=[{"Id": "test/finding/4", "ProductArn": PRODUCT}],
                            Note={"Text": "ticket opened", "UpdatedBy": "alice"},
                            UserDefinedFields={"ticket": "SEC-9"}, VerificationState="TRUE_POSITIVE")
    assert _ids(c, {"NoteText": [{"Value": "ticket", "Comparison": "PREFIX"}]}) == [4]
    assert _ids(c, {"NoteUpdatedAt": [{"DateRange": {"Value": 1, "Unit": "DAYS"}}]}) == [4]
    fields = {"UserDefinedFields": [{"Key": "ticket", "Value": "SEC", "Comparison": "CONTAINS"}]}
    assert _ids(c, fields) == [4]
    assert _ids(c, {"VerificationState": [{"Value": "TRUE_POSITIVE", "Comparison": "EQUALS"}]}) == [4]


def test_paging_with_a_finding_filter_is_exact(hub: HubStack) -> None:
    c = strict(hub.client())
    filters = {"Description": [{"Value": "test finding", "Comparison": "PREFIX"}],
               "Title": [{"Value": "finding 5", "Comparison": "NOT_EQUALS"}]}
    pages = list(c.get_paginator("get_findings").paginate(Filters=filters, PaginationConfig={"PageSize": 2}))
    assert [len(p["Findings"]) for p in pages] == [2, 2, 1]
    assert sorted(f["Id"] for p in pages for f in p["Findings"]) == [f"test/finding/{n}" for n in range(5)]
    first = c.get_findings(Filters=filters, MaxResults=2)
    with pytest.raises(ClientError) as err:
        c.get_findings(Filters={"Title": [{"Value": "finding", "Comparison": "PREFIX"}]},
                       NextToken=first["NextToken"], MaxResults=2)
    assert _error(err) == (400, "InvalidInputException")


def test_errors_speak_security_hub(hub: HubStack) -> None:
    c = strict(hub.client())
    with pytest.raises(ClientError) as err:
        c.get_findings(Filters={"Keyword": [{"Value": "x"}]})
    assert _error(err) == (400, "InvalidInputException")
    assert err.value.response["Code"] == "InvalidInputException" and err.value.response["Message"]
    with pytest.raises(c.exceptions.InvalidInputException):
        c.get_findings(Filters={"CreatedAt": [{"DateRange": {"Value": 3, "Unit": "DAYS"},
                                               "Start": "yesterday"}]})
    with pytest.raises(ClientError) as err:
        strict(hub.client("reader")).batch_update_findings(
            FindingIdentifiers=[{"Id": "test/finding/1", "ProductArn": PRODUCT}], Workflow={"Status": "NEW"})
    assert _error(err) == (403, "AccessDeniedException")
    with pytest.raises(ClientError) as err:
        c.describe_action_targets(ActionTargetArns=["arn:aws:securityhub:us-east-1:123456789012:action/custom/x"])
    assert _error(err) == (404, "ResourceNotFoundException")
    hub_arn = c.describe_hub()["HubArn"]
    assert hub_arn.endswith(":hub/default") and c.describe_hub(HubArn=hub_arn)["HubArn"] == hub_arn
    with pytest.raises(ClientError) as err:
        c.describe_hub(HubArn=hub_arn.replace("123456789012", "111122223333"))
    assert _error(err) == (404, "ResourceNotFoundException")


def test_insights_and_standards_page_and_parse(hub: HubStack) -> None:
    c = strict(hub.client())
    pages = list(c.get_paginator("get_insights").paginate(PaginationConfig={"PageSize": 1}))
    assert [len(p["Insights"]) for p in pages] == [1, 1, 1]
    first = c.get_insights(MaxResults=1)
    with pytest.raises(ClientError) as err:  # a token only continues its own listing
        c.get_insights(MaxResults=1, NextToken=first["NextToken"],
                       InsightArns=[i["InsightArn"] for i in pages[0]["Insights"]])
    assert _error(err) == (400, "InvalidInputException")
    (standard,) = c.describe_standards()["Standards"]
    (subscription,) = c.get_enabled_standards()["StandardsSubscriptions"]
    assert subscription["StandardsArn"] == standard["StandardsArn"]
    assert subscription["StandardsStatus"] == "READY"
    arn = subscription["StandardsSubscriptionArn"]
    only = c.get_enabled_standards(StandardsSubscriptionArns=[arn])["StandardsSubscriptions"]
    assert only == [subscription]


def test_import_failures_and_insight_results_fit_their_shapes(hub: HubStack) -> None:
    c = strict(hub.client())
    blocked = [finding(10 + n, GeneratorId="wafproxy/waf/blocked/rule-a") for n in range(3)]
    bad = finding(20, Severity={"Label": "EXTREME"})
    out = c.batch_import_findings(Findings=[*blocked, bad])
    assert out["SuccessCount"] == 3 and out["FailedCount"] == 1
    (failed,) = out["FailedFindings"]
    assert failed["Id"] == "test/finding/20" and failed["ErrorCode"] and failed["ErrorMessage"]
    arns = {i["Name"]: i["InsightArn"] for i in c.get_insights()["Insights"]}
    results = c.get_insight_results(InsightArn=arns["Top blocking rules"])["InsightResults"]
    assert results["ResultValues"] == [{"GroupByAttributeValue": "wafproxy/waf/blocked/rule-a", "Count": 3}]
