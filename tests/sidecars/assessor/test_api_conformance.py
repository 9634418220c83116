"""The Inspector2 API against botocore's model, as boto3 users call it: responses fit the documented
shapes (timestamps as datetimes), the FilterCriteria grammar (string, date, number filters),
page tokens bound to their listing, the filter lifecycle including UpdateFilter,
BatchGetAccountStatus, and Inspector2's error shapes (ValidationException with reason and fields,
403 AccessDeniedException, 404 ResourceNotFoundException)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.sidecars.assessor.test_api import KEYS, endpoint  # noqa: F401 — the served store fixture
from tests.support.awsshapes import strict


def _client(url: str, who: str = "alice") -> Any:
    key, secret = KEYS[who]
    return strict(boto3.client("inspector2", endpoint_url=url, region_name="us-east-1",
                               aws_access_key_id=key, aws_secret_access_key=secret,
                               config=Config(retries={"max_attempts": 1}, parameter_validation=True)))


def _titles(client: Any, criteria: dict[str, Any]) -> list[str]:
    return sorted(f["title"] for f in client.list_findings(filterCriteria=criteria)["findings"])


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    return err.value.response["ResponseMetadata"]["HTTPStatusCode"], err.value.response["Error"]["Code"]


def test_findings_parse_and_filter_criteria_grammar(endpoint: str) -> None:  # noqa: F811
    c = _client(endpoint)
    findings = c.list_findings()["findings"]
    assert all(isinstance(f["firstObservedAt"], datetime.datetime) for f in findings)
    assert _titles(c, {"title": [{"comparison": "PREFIX", "value": "high"}]}) == ["high one"]
    not_high = {"severity": [{"comparison": "NOT_EQUALS", "value": "HIGH"}]}
    assert _titles(c, not_high) == ["low one", "medium one"]
    assert _titles(c, {"severity": [{"comparison": "EQUALS", "value": "HIGH"},
                                    {"comparison": "EQUALS", "value": "LOW"}]}) == ["high one", "low one"]
    seen = findings[0]["lastObservedAt"]
    recent = {"lastObservedAt": [{"startInclusive": seen - datetime.timedelta(minutes=5)}]}
    assert len(_titles(c, recent)) == 3
    assert _titles(c, {"lastObservedAt": [{"endInclusive": seen - datetime.timedelta(days=1)}]}) == []
    assert _titles(c, {"inspectorScore": [{"lowerInclusive": 4.0, "upperInclusive": 6.9}]}) == ["medium one"]
    assert len(_titles(c, {"findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}]})) == 3


def test_aggregations_fit_their_shapes(endpoint: str) -> None:  # noqa: F811
    c = _client(endpoint)
    for kind, member in (("ACCOUNT", "accountAggregation"), ("FINDING_TYPE", "findingTypeAggregation"),
                         ("TITLE", "titleAggregation")):
        out = c.list_finding_aggregations(aggregationType=kind)
        assert out["aggregationType"] == kind and all(member in r for r in out["responses"])
    titles = c.list_finding_aggregations(aggregationType="TITLE")["responses"]
    assert sum(r["titleAggregation"]["severityCounts"]["all"] for r in titles) == 3


def test_next_token_bound_to_its_listing(endpoint: str) -> None:  # noqa: F811
    c = _client(endpoint)
    first = c.list_findings(maxResults=1)
    paged = [f["title"] for p in c.get_paginator("list_findings").paginate(PaginationConfig={"PageSize": 1})
             for f in p["findings"]]
    assert sorted(paged) == ["high one", "low one", "medium one"]
    for bad in (
        lambda: c.list_findings(nextToken="garbage"),
        lambda: c.list_filters(nextToken=first["nextToken"]),
        lambda: c.list_findings(nextToken=first["nextToken"],
                                filterCriteria={"severity": [{"comparison": "EQUALS", "value": "LOW"}]}),
    ):
        with pytest.raises(ClientError) as err:
            bad()
        assert _error(err) == (400, "ValidationException")
        # Inspector2's ValidationException requires reason; fields name the member at fault.
        assert err.value.response["reason"] == "FIELD_VALIDATION_FAILED"
        assert err.value.response["fields"][0]["name"] == "nextToken"


def test_filter_lifecycle_with_update(endpoint: str) -> None:  # noqa: F811
    c = _client(endpoint)
    arn = c.create_filter(name="lows", action="NONE",
                          filterCriteria={"severity": [{"comparison": "EQUALS", "value": "LOW"}]})["arn"]
    assert _titles(c, {"findingStatus": [{"comparison": "EQUALS", "value": "SUPPRESSED"}]}) == []
    updated = c.update_filter(filterArn=arn, action="SUPPRESS", name="low-noise", description="noise")
    assert updated["arn"] == arn
    (listed,) = c.list_filters(arns=[arn])["filters"]
    assert (listed["name"], listed["action"], listed["description"]) == ("low-noise", "SUPPRESS", "noise")
    assert isinstance(listed["updatedAt"], datetime.datetime)
    assert _titles(c, {"findingStatus": [{"comparison": "EQUALS", "value": "SUPPRESSED"}]}) == ["low one"]
    c.update_filter(filterArn=arn, filterCriteria={"severity": [{"comparison": "EQUALS", "value": "HIGH"}]})
    assert _titles(c, {"findingStatus": [{"comparison": "EQUALS", "value": "SUPPRESSED"}]}) == ["high one"]
    assert c.delete_filter(arn=arn)["arn"] == arn
    assert _titles(c, {"findingStatus": [{"comparison": "EQUALS", "value": "SUPPRESSED"}]}) == []
    for gone in (lambda: c.delete_filter(arn=arn), lambda: c.update_filter(filterArn=arn, name="x")):
        with pytest.raises(ClientError) as err:
            gone()
        assert _error(err) == (404, "ResourceNotFoundException")


def test_account_status_and_errors(endpoint: str) -> None:  # noqa: F811
    c = _client(endpoint)
    (account,) = c.batch_get_account_status()["accounts"]
    assert account["state"]["status"] == "ENABLED" and account["resourceState"]["ec2"]["status"] == "DISABLED"
    failed = c.batch_get_account_status(accountIds=["111122223333"])["failedAccounts"]
    assert failed[0]["accountId"] == "111122223333"
    with pytest.raises(ClientError) as err:
        _client(endpoint, "bob").create_filter(name="nope", action="NONE", filterCriteria={})
    assert _error(err) == (403, "AccessDeniedException")
    with pytest.raises(ClientError) as err:
        c.list_findings(filterCriteria={"ec2InstanceVpcId": [{"comparison": "EQUALS", "value": "vpc-1"}]})
    assert _error(err) == (400, "ValidationException") and err.value.response["reason"]


def test_aggregation_requests_are_honoured(endpoint: str) -> None:  # noqa: F811
    c = _client(endpoint)

    def titles(**kw: Any) -> list[str]:
        rows = c.list_finding_aggregations(aggregationType="TITLE", **kw)["responses"]
        return [r["titleAggregation"]["title"] for r in rows]

    assert titles(aggregationRequest={"titleAggregation": {
        "titles": [{"comparison": "PREFIX", "value": "high"}]}}) == ["high one"]
    by_high = {"findingType": "NETWORK_REACHABILITY", "sortBy": "HIGH", "sortOrder": "DESC"}
    assert titles(aggregationRequest={"titleAggregation": by_high})[0] == "high one"
    assert titles(accountIds=[{"comparison": "EQUALS", "value": "000000000000"}])
    assert titles(accountIds=[{"comparison": "EQUALS", "value": "111122223333"}]) == []
    reachability = {"accountAggregation": {"findingType": "NETWORK_REACHABILITY"}}
    (account,) = c.list_finding_aggregations(aggregationType="ACCOUNT",
                                             aggregationRequest=reachability)["responses"]
    assert account["accountAggregation"]["severityCounts"]["all"] == 2
    with pytest.raises(ClientError) as err:  # a request for another aggregation type is refused
        c.list_finding_aggregations(aggregationType="ACCOUNT",
                                    aggregationRequest={"titleAggregation": {"sortBy": "ALL"}})
    assert _error(err) == (400, "ValidationException")


def test_wire_timestamps_are_epoch_numbers(endpoint: str) -> None:  # noqa: F811
    """rest-json's timestamp wire form is epoch seconds: SDKs stricter than boto3 (Go, Java) reject
    ISO strings there."""
    c = _client(endpoint)
    bodies: list[dict[str, Any]] = []
    c.meta.events.register("after-call",
                           lambda http_response, **_: bodies.append(json.loads(http_response.content)))
    c.create_filter(name="epoch", action="NONE",
                    filterCriteria={"severity": [{"comparison": "EQUALS", "value": "LOW"}]})
    c.list_findings()
    c.list_filters()
    c.list_coverage()
    findings, filters, coverage = bodies[1]["findings"], bodies[2]["filters"], bodies[3]["coveredResources"]
    assert all(isinstance(f[k], int | float) for f in findings for k in ("firstObservedAt", "updatedAt"))
    assert all(isinstance(f["createdAt"], int | float) for f in filters)
    assert all(isinstance(r["lastScannedAt"], int | float) for r in coverage)


def test_coverage_filters(endpoint: str) -> None:  # noqa: F811
    c = _client(endpoint)

    def ids(criteria: dict[str, Any]) -> list[str]:
        return [r["resourceId"] for r in c.list_coverage(filterCriteria=criteria)["coveredResources"]]

    (covered,) = c.list_coverage()["coveredResources"]
    assert ids({"accountId": [{"comparison": "EQUALS", "value": "000000000000"}]}) == [covered["resourceId"]]
    assert ids({"accountId": [{"comparison": "NOT_EQUALS", "value": "000000000000"}]}) == []
    scanned = covered["lastScannedAt"]
    assert ids({"lastScannedAt": [{"startInclusive": scanned - datetime.timedelta(minutes=1)}]})
    assert ids({"lastScannedAt": [{"endInclusive": scanned - datetime.timedelta(days=1)}]}) == []
    assert ids({"scanStatusCode": [{"comparison": "EQUALS", "value": "ACTIVE"}]})


def test_filter_tags(endpoint: str) -> None:  # noqa: F811
    c = _client(endpoint)
    arn = c.create_filter(name="tagged", action="NONE", tags={"team": "sec"},
                          filterCriteria={"severity": [{"comparison": "EQUALS", "value": "LOW"}]})["arn"]
    (listed,) = c.list_filters(arns=[arn])["filters"]
    assert listed["tags"] == {"team": "sec"}
    c.tag_resource(resourceArn=arn, tags={"env": "prod"})
    c.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert c.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "prod"}
    with pytest.raises(ClientError) as err:
        c.list_tags_for_resource(resourceArn=arn + "0")
    assert _error(err) == (404, "ResourceNotFoundException")
    with pytest.raises(ClientError) as err:
        c.tag_resource(resourceArn=arn, tags={"aws:x": "y"})
    assert _error(err) == (400, "ValidationException")


def test_sort_fields(endpoint: str) -> None:  # noqa: F811
    c = _client(endpoint)
    for field in ("SEVERITY", "INSPECTOR_SCORE", "FIRST_OBSERVED_AT", "LAST_OBSERVED_AT", "FINDING_TYPE",
                  "FINDING_STATUS", "AWS_ACCOUNT_ID", "RESOURCE_TYPE", "VULNERABILITY_ID"):
        asc = c.list_findings(sortCriteria={"field": field, "sortOrder": "ASC"})["findings"]
        assert len(asc) == 3
    by_severity = c.list_findings(sortCriteria={"field": "SEVERITY", "sortOrder": "ASC"})["findings"]
    assert [f["severity"] for f in by_severity] == ["LOW", "MEDIUM", "HIGH"]
    with pytest.raises(ClientError) as err:
        c.list_findings(sortCriteria={"field": "EPSS_SCORE", "sortOrder": "ASC"})
    assert _error(err) == (400, "ValidationException")


def test_coverage_statistics(endpoint: str) -> None:  # noqa: F811
    c = _client(endpoint)
    assert c.list_coverage_statistics()["totalCounts"] == 1
    by_status = c.list_coverage_statistics(groupBy="SCAN_STATUS_CODE")
    assert by_status["countsByGroup"] == [{"groupKey": "ACTIVE", "count": 1}]
    none = c.list_coverage_statistics(
        filterCriteria={"scanStatusCode": [{"comparison": "EQUALS", "value": "INACTIVE"}]})
    assert none["totalCounts"] == 0
    with pytest.raises(ClientError) as err:
        c.list_coverage_statistics(groupBy="ECR_REPOSITORY_NAME")
    assert _error(err) == (400, "ValidationException")
