"""Custom actions, the finding aggregator, product import switches, finding history, UpdateFindings
and the multi-account operations through boto3; every change kept across a restart."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sidecars.hub.factory import PRODUCT, finding
from tests.sidecars.hub.stack import running_hub
from tests.support.awsshapes import strict

ACTION = "arn:aws:securityhub:us-east-1:123456789012:action/custom/"
SUBSCRIPTION = PRODUCT.replace(":product/", ":product-subscription/")


def _error(call: Any) -> tuple[int, str]:
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response["ResponseMetadata"]["HTTPStatusCode"], str(err.value.response["Error"]["Code"])


def test_action_targets_and_the_aggregator_are_kept(tmp_path: Path) -> None:
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        arn = c.create_action_target(Name="Send to ops", Description="page the on-call", Id="sendops")[
            "ActionTargetArn"
        ]
        assert arn == ACTION + "sendops"
        assert _error(lambda: c.create_action_target(Name="x", Description="y", Id="sendops")) == (
            409,
            "ResourceConflictException",
        )
        assert _error(lambda: c.create_action_target(Name="x", Description="y", Id="no-dash")) == (
            400,
            "InvalidInputException",
        )
        c.create_action_target(Name="Ticket", Description="open a ticket", Id="ticket")
        c.update_action_target(ActionTargetArn=arn, Description="page the on-call engineer")
        assert (
            c.delete_action_target(ActionTargetArn=ACTION + "ticket")["ActionTargetArn"] == ACTION + "ticket"
        )
        assert _error(lambda: c.delete_action_target(ActionTargetArn=ACTION + "ticket")) == (
            404,
            "ResourceNotFoundException",
        )
        made = c.create_finding_aggregator(RegionLinkingMode="SPECIFIED_REGIONS", Regions=["eu-west-1"])
        assert made["FindingAggregationRegion"] == "us-east-1" and made["Regions"] == ["eu-west-1"]
        assert _error(lambda: c.create_finding_aggregator(RegionLinkingMode="ALL_REGIONS")) == (
            429,
            "LimitExceededException",
        )
        aggregator = made["FindingAggregatorArn"]
        assert _error(
            lambda: c.update_finding_aggregator(
                FindingAggregatorArn=aggregator, RegionLinkingMode="SPECIFIED_REGIONS", Regions=["us-east-1"]
            )
        ) == (400, "InvalidInputException")
        c.update_finding_aggregator(
            FindingAggregatorArn=aggregator,
            RegionLinkingMode="ALL_REGIONS_EXCEPT_SPECIFIED",
            Regions=["ap-south-1"],
        )
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        assert c.describe_action_targets()["ActionTargets"] == [
            {"ActionTargetArn": arn, "Name": "Send to ops", "Description": "page the on-call engineer"}
        ]
        assert c.list_finding_aggregators()["FindingAggregators"] == [{"FindingAggregatorArn": aggregator}]
        got = c.get_finding_aggregator(FindingAggregatorArn=aggregator)
        assert (got["RegionLinkingMode"], got["Regions"]) == ("ALL_REGIONS_EXCEPT_SPECIFIED", ["ap-south-1"])
        c.delete_finding_aggregator(FindingAggregatorArn=aggregator)
        assert c.list_finding_aggregators()["FindingAggregators"] == []
        assert _error(lambda: c.get_finding_aggregator(FindingAggregatorArn=aggregator)) == (
            404,
            "ResourceNotFoundException",
        )


def test_disabling_a_products_import_refuses_its_findings(tmp_path: Path) -> None:
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        assert SUBSCRIPTION in c.list_enabled_products_for_import()["ProductSubscriptions"]
        c.disable_import_findings_for_product(ProductSubscriptionArn=SUBSCRIPTION)
        assert _error(lambda: c.disable_import_findings_for_product(ProductSubscriptionArn=SUBSCRIPTION)) == (
            404,
            "ResourceNotFoundException",
        )
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        assert SUBSCRIPTION not in c.list_enabled_products_for_import()["ProductSubscriptions"]
        refused = c.batch_import_findings(Findings=[finding(1)])
        assert (refused["SuccessCount"], refused["FailedFindings"][0]["ErrorCode"]) == (0, "AccessDenied")
        assert c.get_findings()["Findings"] == []
        assert (
            c.enable_import_findings_for_product(ProductArn=PRODUCT)["ProductSubscriptionArn"] == SUBSCRIPTION
        )
        assert _error(lambda: c.enable_import_findings_for_product(ProductArn=PRODUCT)) == (
            409,
            "ResourceConflictException",
        )
        assert c.batch_import_findings(Findings=[finding(1)])["SuccessCount"] == 1


def test_finding_history_records_imports_and_updates(tmp_path: Path) -> None:
    ident = {"Id": "test/finding/1", "ProductArn": PRODUCT}
    related = [{"ProductArn": PRODUCT, "Id": "test/finding/9"}]
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    renamed = finding(1, UpdatedAt=soon.strftime("%Y-%m-%dT%H:%M:%SZ"), Title="renamed")
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        c.batch_import_findings(Findings=[finding(1)])
        c.batch_update_findings(
            FindingIdentifiers=[ident], Workflow={"Status": "NOTIFIED"}, RelatedFindings=related
        )
        c.batch_import_findings(Findings=[renamed])
        c.batch_import_findings(Findings=[renamed])  # nothing changed: no entry
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        records = c.get_finding_history(FindingIdentifier=ident)["Records"]
        assert [r["UpdateSource"]["Type"] for r in records] == [
            "BATCH_IMPORT_FINDINGS",
            "BATCH_UPDATE_FINDINGS",
            "BATCH_IMPORT_FINDINGS",
        ]  # newest first
        assert records[-1]["FindingCreated"] is True and records[-1]["UpdateSource"]["Identity"] == PRODUCT
        update = records[1]
        assert update["UpdateSource"]["Identity"].endswith(":user/admin")
        assert {"UpdatedField": "Workflow.Status", "OldValue": "NEW", "NewValue": "NOTIFIED"} in update[
            "Updates"
        ]
        assert c.get_findings()["Findings"][0]["RelatedFindings"] == related
        assert {"UpdatedField": "Title", "OldValue": "finding 1", "NewValue": "renamed"} in records[0][
            "Updates"
        ]
        assert c.get_findings()["Findings"][0]["RelatedFindings"] == related
        page = c.get_finding_history(FindingIdentifier=ident, MaxResults=2)
        rest = c.get_finding_history(FindingIdentifier=ident, MaxResults=2, NextToken=page["NextToken"])
        assert page["Records"] + rest["Records"] == records and "NextToken" not in rest
        later = c.get_finding_history(
            FindingIdentifier=ident, StartTime=soon - datetime.timedelta(minutes=30)
        )
        assert later["Records"] == records[:1]
        other = c.get_finding_history(FindingIdentifier={**ident, "ProductArn": PRODUCT + "x"})
        assert other["Records"] == []


def test_update_findings_sets_note_and_record_state(tmp_path: Path) -> None:
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        c.batch_import_findings(Findings=[finding(n) for n in range(4)])
        c.update_findings(
            Filters={"SeverityLabel": [{"Value": "LOW", "Comparison": "EQUALS"}]},
            Note={"Text": "noise", "UpdatedBy": "ops"},
            RecordState="ARCHIVED",
        )
        archived = c.get_findings(Filters={"RecordState": [{"Value": "ARCHIVED", "Comparison": "EQUALS"}]})
        assert [(f["Id"], f["Note"]["Text"]) for f in archived["Findings"]] == [("test/finding/0", "noise")]
        assert _error(lambda: c.update_findings(Filters={})) == (400, "InvalidInputException")


def test_a_standalone_account_has_no_members_or_administrator(tmp_path: Path) -> None:
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        made = c.create_members(AccountDetails=[{"AccountId": "210987654321", "Email": "a@example.com"}])
        assert [u["AccountId"] for u in made["UnprocessedAccounts"]] == ["210987654321"]
        got = c.get_members(AccountIds=["210987654321"])
        assert got["Members"] == [] and len(got["UnprocessedAccounts"]) == 1
        assert c.list_members()["Members"] == [] and "Master" not in c.get_master_account()
        assert _error(
            lambda: c.accept_administrator_invitation(AdministratorId="210987654321", InvitationId="i-1")
        ) == (404, "ResourceNotFoundException")
        assert _error(c.describe_organization_configuration) == (401, "InvalidAccessException")
        assert _error(c.list_configuration_policies) == (403, "AccessDeniedException")
        assert _error(lambda: c.get_findings_v2()) == (403, "AccessDeniedException")
        assert _error(c.describe_security_hub_v2) == (404, "ResourceNotFoundException")
        assert c.list_connectors()["Connectors"] == []
        reader = strict(stack.client("reader"))
        assert _error(lambda: reader.create_members(AccountDetails=[{"AccountId": "210987654321"}])) == (
            403,
            "AccessDeniedException",
        )
