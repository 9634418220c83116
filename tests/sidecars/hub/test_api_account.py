"""Security Hub's account, standards, tagging and custom-insight operations through boto3 (strict
shapes), on the hub mounted on a real admin listener: EnableSecurityHub / DisableSecurityHub and
what a disabled hub answers, DescribeHub consistent with them, BatchEnable/BatchDisableStandards
(and the controls they stop), TagResource / UntagResource / ListTagsForResource, CreateInsight /
UpdateInsight / DeleteInsight evaluated by GetInsightResults; all of it across a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sidecars.hub.factory import finding
from tests.sidecars.hub.stack import HubStack, running_hub
from tests.support.awsshapes import strict
from wafproxy.sidecars.hub.controls import ControlRunner, Result, to_findings

STANDARD = "arn:aws:securityhub:us-east-1::standards/wafproxy-foundational/v/1.0.0"
SUBSCRIPTION = "arn:aws:securityhub:us-east-1:123456789012:subscription/wafproxy-foundational/v/1.0.0"
HUB = "arn:aws:securityhub:us-east-1:123456789012:hub/default"


@pytest.fixture()
def hub(tmp_path: Path) -> Iterator[HubStack]:
    with running_hub(tmp_path) as stack:
        yield stack


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    r = err.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]


def _refused(call: Any) -> tuple[int, str]:
    with pytest.raises(ClientError) as err:
        call()
    return _error(err)


def test_enable_disable_and_what_a_disabled_hub_answers(hub: HubStack) -> None:
    c = strict(hub.client())
    before = c.describe_hub()
    assert before["HubArn"] == HUB and before["ControlFindingGenerator"] == "SECURITY_CONTROL"
    assert _refused(lambda: c.enable_security_hub()) == (409, "ResourceConflictException")
    c.disable_security_hub()
    for call in (c.describe_hub, lambda: c.get_findings(), c.get_enabled_standards, c.get_insights,
                 c.disable_security_hub,
                 lambda: c.batch_import_findings(Findings=[finding(1)])):
        assert _refused(call) == (401, "InvalidAccessException")
    # The producers' findings are dropped too while the hub is disabled.
    assert hub.service.hub.import_findings([finding(2)]) == (0, [])
    c.enable_security_hub(EnableDefaultStandards=False, ControlFindingGenerator="STANDARD_CONTROL",
                          Tags={"team": "edge"})
    after = c.describe_hub()
    assert after["ControlFindingGenerator"] == "STANDARD_CONTROL" and after["AutoEnableControls"] is True
    assert after["SubscribedAt"] >= before["SubscribedAt"]
    assert c.get_enabled_standards()["StandardsSubscriptions"] == []  # EnableDefaultStandards=False
    assert c.list_tags_for_resource(ResourceArn=HUB)["Tags"] == {"team": "edge"}
    assert c.get_findings()["Findings"] == []  # nothing came in while disabled
    reader = strict(hub.client("reader"))
    assert _refused(lambda: reader.disable_security_hub()) == (403, "AccessDeniedException")
    assert _refused(lambda: c.update_security_hub_configuration(ControlFindingGenerator="BOTH")) == (
        400, "InvalidInputException")
    c.update_security_hub_configuration(AutoEnableControls=False, ControlFindingGenerator="SECURITY_CONTROL")
    assert c.describe_hub()["AutoEnableControls"] is False


def test_standards_enable_disable_and_the_controls_they_govern(hub: HubStack) -> None:
    c = strict(hub.client())
    enabled = c.get_enabled_standards()["StandardsSubscriptions"]
    assert [s["StandardsSubscriptionArn"] for s in enabled] == [SUBSCRIPTION]
    evaluated: list[int] = []

    class Evaluated(Exception):
        pass

    def inputs() -> Any:
        evaluated.append(1)
        raise Evaluated

    runner = ControlRunner(hub.service.hub, inputs)
    now = hub.service.hub.clock.now()
    controls = to_findings([Result("WAFP.1", "logging on", "MEDIUM", "FAILED", "no log"),
                            Result("WAFP.2", "keys rotated", "LOW", "PASSED", "rotated")],
                           account="123456789012", region="us-east-1", now=now)
    assert hub.service.hub.import_findings(controls) == (2, [])
    c.batch_import_findings(Findings=[finding(1, GeneratorId="security-control/not-ours")])
    states = {"RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}]}
    assert len(c.get_findings(Filters=states)["Findings"]) == 3
    gone = c.batch_disable_standards(StandardsSubscriptionArns=[SUBSCRIPTION])["StandardsSubscriptions"]
    assert gone[0]["StandardsStatus"] == "DELETING"
    assert c.get_enabled_standards()["StandardsSubscriptions"] == []
    assert runner.run() == [] and evaluated == []  # a disabled standard's controls do not run
    # ... and their findings are archived (an importer's look-alike generator is not theirs).
    active = c.get_findings(Filters=states)["Findings"]
    assert [f["GeneratorId"] for f in active] == ["security-control/not-ours"]
    archived = c.get_findings(Filters={"RecordState": [{"Value": "ARCHIVED", "Comparison": "EQUALS"}]})
    assert sorted(f["Id"] for f in archived["Findings"]) == [
        "wafproxy/controls/WAFP.1", "wafproxy/controls/WAFP.2"]
    back = c.batch_enable_standards(StandardsSubscriptionRequests=[{"StandardsArn": STANDARD}])
    assert back["StandardsSubscriptions"][0]["StandardsStatus"] == "READY"
    with pytest.raises(Evaluated):
        runner.run()
    assert evaluated == [1]
    assert _refused(lambda: c.batch_enable_standards(
        StandardsSubscriptionRequests=[{"StandardsArn": STANDARD.replace("wafproxy", "cis")}])) == (
        400, "InvalidInputException")
    assert _refused(lambda: c.batch_disable_standards(StandardsSubscriptionArns=[SUBSCRIPTION + "x"])) == (
        400, "InvalidInputException")
    assert len(c.get_enabled_standards()["StandardsSubscriptions"]) == 1


def test_tags_on_the_hub(hub: HubStack) -> None:
    c = strict(hub.client())
    assert c.list_tags_for_resource(ResourceArn=HUB)["Tags"] == {}
    c.tag_resource(ResourceArn=HUB, Tags={"team": "edge", "env": "prod"})
    c.untag_resource(ResourceArn=HUB, TagKeys=["env"])
    assert c.list_tags_for_resource(ResourceArn=HUB)["Tags"] == {"team": "edge"}
    other = HUB.replace("123456789012", "111122223333")
    assert _refused(lambda: c.list_tags_for_resource(ResourceArn=other)) == (404, "ResourceNotFoundException")
    assert _refused(lambda: c.tag_resource(ResourceArn=HUB, Tags={"aws:x": "1"})) == (
        400, "InvalidInputException")
    assert _refused(lambda: c.tag_resource(ResourceArn=HUB, Tags={f"k{i}": "v" for i in range(50)})) == (
        400, "InvalidInputException")
    assert c.list_tags_for_resource(ResourceArn=HUB)["Tags"] == {"team": "edge"}
    reader = strict(hub.client("reader"))
    assert _refused(lambda: reader.list_tags_for_resource(ResourceArn=HUB)) == (403, "AccessDeniedException")


def test_products_are_the_hubs_producers(hub: HubStack) -> None:
    c = strict(hub.client())
    products = c.describe_products()["Products"]
    arns = [p["ProductArn"] for p in products]
    assert "arn:aws:securityhub:us-east-1:123456789012:product/wafproxy/waf" in arns
    assert "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default" in arns
    # The findings our producers file carry these product ARNs (here, the default product's).
    c.batch_import_findings(Findings=[finding(1)])
    assert c.get_findings()["Findings"][0]["ProductArn"] in arns
    one = c.describe_products(ProductArn=arns[0], MaxResults=1)["Products"]
    assert [p["ProductArn"] for p in one] == arns[:1]
    unknown = "arn:aws:securityhub:us-east-1::product/aws/x"
    assert _refused(lambda: c.describe_products(ProductArn=unknown)) == (400, "InvalidInputException")
    subscriptions = c.list_enabled_products_for_import()["ProductSubscriptions"]
    assert len(subscriptions) == len(arns) and all(":product-subscription/" in s for s in subscriptions)
    c.disable_security_hub()
    assert _refused(c.describe_products) == (401, "InvalidAccessException")


def test_custom_insights_are_evaluated_like_get_findings(hub: HubStack) -> None:
    c = strict(hub.client())
    c.batch_import_findings(Findings=[finding(n) for n in range(8)])
    high = {"SeverityLabel": [{"Value": "HIGH", "Comparison": "EQUALS"}]}
    created = c.create_insight(Name="high by generator", Filters=high, GroupByAttribute="GeneratorId")
    arn = created["InsightArn"]
    assert arn.startswith("arn:aws:securityhub:us-east-1:123456789012:insight/123456789012/custom/")
    results = c.get_insight_results(InsightArn=arn)["InsightResults"]
    expected = [f["GeneratorId"] for f in c.get_findings(Filters=high)["Findings"]]
    assert {v["GroupByAttributeValue"]: v["Count"] for v in results["ResultValues"]} == {
        g: expected.count(g) for g in expected}
    assert sum(v["Count"] for v in results["ResultValues"]) == 2  # findings 2 and 6
    c.update_insight(InsightArn=arn, GroupByAttribute="SeverityLabel", Name="high")
    mine = c.get_insights(InsightArns=[arn])["Insights"][0]
    assert mine["Name"] == "high" and mine["Filters"] == high
    assert c.get_insight_results(InsightArn=arn)["InsightResults"]["ResultValues"] == [
        {"GroupByAttributeValue": "HIGH", "Count": 2}]
    by_type = c.create_insight(Name="by resource type", Filters=high, GroupByAttribute="ResourceType")
    assert c.get_insight_results(InsightArn=by_type["InsightArn"])["InsightResults"]["ResultValues"] == [
        {"GroupByAttributeValue": "Other", "Count": 2}]
    c.delete_insight(InsightArn=by_type["InsightArn"])
    managed = c.get_insights()["Insights"]
    assert len(managed) == 4 and arn in [i["InsightArn"] for i in managed]
    for bad in ({"Name": "x", "Filters": high, "GroupByAttribute": "Title"},
                {"Name": "x", "Filters": {"Keyword": [{"Value": "x"}]}, "GroupByAttribute": "GeneratorId"}):
        assert _refused(lambda bad=bad: c.create_insight(**bad)) == (400, "InvalidInputException")
    assert _refused(lambda: c.create_insight(Name="high", Filters={}, GroupByAttribute="ResourceId")) == (
        409, "ResourceConflictException")
    assert _refused(lambda: c.update_insight(InsightArn=managed[0]["InsightArn"], Name="mine")) == (
        400, "InvalidInputException")
    assert c.delete_insight(InsightArn=arn)["InsightArn"] == arn
    for call in (lambda: c.delete_insight(InsightArn=arn), lambda: c.get_insight_results(InsightArn=arn),
                 lambda: c.update_insight(InsightArn=arn, Name="again")):
        assert _refused(call) == (404, "ResourceNotFoundException")
    reader = strict(hub.client("reader"))
    assert _refused(lambda: reader.create_insight(Name="r", Filters={}, GroupByAttribute="ResourceId")) == (
        403, "AccessDeniedException")


def test_settings_tags_and_insights_survive_a_restart(tmp_path: Path) -> None:
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        c.batch_import_findings(Findings=[finding(n) for n in range(4)])
        arn = c.create_insight(Name="by severity", Filters={}, GroupByAttribute="SeverityLabel")["InsightArn"]
        c.tag_resource(ResourceArn=HUB, Tags={"team": "edge"})
        c.batch_disable_standards(StandardsSubscriptionArns=[SUBSCRIPTION])
        c.update_security_hub_configuration(ControlFindingGenerator="STANDARD_CONTROL")
        hub_before = c.describe_hub()
        results_before = c.get_insight_results(InsightArn=arn)["InsightResults"]
        c.disable_security_hub()
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        assert _refused(c.describe_hub) == (401, "InvalidAccessException")  # disabled stays disabled
        c.enable_security_hub(EnableDefaultStandards=False)
        assert c.get_insight_results(InsightArn=arn)["InsightResults"] == results_before
        assert c.list_tags_for_resource(ResourceArn=HUB)["Tags"] == {}  # EnableSecurityHub set new tags
        c.tag_resource(ResourceArn=HUB, Tags={"team": "edge"})
        c.update_security_hub_configuration(ControlFindingGenerator="STANDARD_CONTROL")
        subscribed = c.describe_hub()["SubscribedAt"]
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        now = c.describe_hub()
        assert now["SubscribedAt"] == subscribed and now["SubscribedAt"] >= hub_before["SubscribedAt"]
        assert now["ControlFindingGenerator"] == "STANDARD_CONTROL"
        assert c.list_tags_for_resource(ResourceArn=HUB)["Tags"] == {"team": "edge"}
        assert c.get_enabled_standards()["StandardsSubscriptions"] == []
        assert [i["Name"] for i in c.get_insights(InsightArns=[arn])["Insights"]] == ["by severity"]


def test_a_standalone_account_has_no_members_or_administrator(hub: HubStack) -> None:
    c = strict(hub.client())
    assert c.list_members()["Members"] == [] and c.list_invitations()["Invitations"] == []
    assert c.get_invitations_count()["InvitationsCount"] == 0
    assert "Administrator" not in c.get_administrator_account()
    reader = strict(hub.client("reader"))
    assert reader.get_invitations_count()["InvitationsCount"] == 0
    assert _refused(lambda: reader.list_members()) == (403, "AccessDeniedException")  # no List* for reader
