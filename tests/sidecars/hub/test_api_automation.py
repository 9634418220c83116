"""Automation rules through boto3: created, listed, read, updated and deleted per rule; applied to
findings as they are imported (a user's BatchImportFindings and a producer's import alike), in
RuleOrder, stopping at a terminal rule, never while DISABLED; criteria mean what GetFindings means
by them; all of it kept across a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sidecars.hub.factory import PRODUCT, finding
from tests.sidecars.hub.stack import running_hub
from tests.support.awsshapes import strict
from wafproxy.sidecars.hub.filters import finding_predicate


def _action(**fields: Any) -> list[dict[str, Any]]:
    return [{"Type": "FINDING_FIELDS_UPDATE", "FindingFieldsUpdate": fields}]


def _by_id(client: Any) -> dict[int, dict[str, Any]]:
    return {int(f["Id"].rsplit("/", 1)[1]): f for f in client.get_findings()["Findings"]}


def test_rules_apply_on_import_in_order_and_survive_a_restart(tmp_path: Path) -> None:
    high = {"SeverityLabel": [{"Value": "HIGH", "Comparison": "EQUALS"}]}
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        suppress = c.create_automation_rule(
            RuleName="suppress probes",
            Description="known scanner",
            RuleOrder=1,
            IsTerminal=True,
            Criteria={"Title": [{"Value": "finding 1", "Comparison": "EQUALS"}]},
            Actions=_action(Workflow={"Status": "SUPPRESSED"}, Note={"Text": "scanner", "UpdatedBy": "ops"}),
        )["RuleArn"]
        c.create_automation_rule(
            RuleName="escalate",
            Description="all findings",
            RuleOrder=5,
            Criteria={},
            Actions=_action(Criticality=90, UserDefinedFields={"triage": "auto"}),
        )
        c.create_automation_rule(
            RuleName="off",
            Description="disabled",
            RuleOrder=2,
            RuleStatus="DISABLED",
            Criteria={},
            Actions=_action(VerificationState="FALSE_POSITIVE"),
        )
        c.create_automation_rule(
            RuleName="high",
            Description="high ones",
            RuleOrder=3,
            Criteria=high,
            Actions=_action(Severity={"Label": "CRITICAL"}),
        )
        listed = c.list_automation_rules()["AutomationRulesMetadata"]
        assert [r["RuleOrder"] for r in listed] == [1, 2, 3, 5]
        c.batch_import_findings(Findings=[finding(n) for n in range(4)])
        found = _by_id(c)
        # 1 matched the terminal rule: suppressed with its note, and no later rule ran on it.
        assert found[1]["Workflow"]["Status"] == "SUPPRESSED" and found[1]["Note"]["Text"] == "scanner"
        assert "Criticality" not in found[1] and "UserDefinedFields" not in found[1]
        # The others went through the later rules; the disabled one never ran.
        for n in (0, 2, 3):
            assert found[n]["Criticality"] == 90 and found[n]["UserDefinedFields"] == {"triage": "auto"}
            assert found[n]["Workflow"]["Status"] == "NEW" and "VerificationState" not in found[n]
        assert found[2]["Severity"]["Label"] == "CRITICAL"  # finding 2 is HIGH
        assert found[3]["Severity"]["Label"] == "CRITICAL" and found[0]["Severity"]["Label"] == "LOW"
        # A producer's import runs the rules too.
        stack.service.hub.import_findings([finding(5, Title="finding 1")])
        assert _by_id(c)[5]["Workflow"]["Status"] == "SUPPRESSED"
        got = c.batch_update_automation_rules(
            UpdateAutomationRulesRequestItems=[
                {"RuleArn": suppress, "RuleStatus": "DISABLED"},
                {"RuleArn": suppress.replace("automation-rule/", "automation-rule/0"), "RuleOrder": 4},
                {"RuleArn": listed[1]["RuleArn"], "Criteria": {"Confidence": [{}]}},
            ]
        )
        assert got["ProcessedAutomationRules"] == [suppress]
        assert [
            (u["ErrorCode"], "Confidence" in u["ErrorMessage"]) for u in got["UnprocessedAutomationRules"]
        ] == [(404, False), (400, True)]
    with running_hub(tmp_path) as stack:  # the rules, their status and order, kept
        c = strict(stack.client())
        rules = c.batch_get_automation_rules(AutomationRulesArns=[suppress])["Rules"]
        assert rules[0]["RuleStatus"] == "DISABLED" and rules[0]["IsTerminal"] is True
        assert rules[0]["Criteria"] == {"Title": [{"Value": "finding 1", "Comparison": "EQUALS"}]}
        assert rules[0]["Actions"][0]["FindingFieldsUpdate"]["Workflow"] == {"Status": "SUPPRESSED"}
        assert rules[0]["CreatedBy"].startswith("arn:aws:iam::") and rules[0]["CreatedBy"].endswith(
            ":user/admin"
        )
        c.batch_import_findings(Findings=[finding(7, Title="finding 1")])
        seven = _by_id(c)[7]
        assert (
            seven["Workflow"]["Status"] == "NEW" and seven["Criticality"] == 90
        )  # the disabled rule did not run
        deleted = c.batch_delete_automation_rules(AutomationRulesArns=[suppress, suppress + "x"])
        assert deleted["ProcessedAutomationRules"] == [suppress]
        assert [u["ErrorCode"] for u in deleted["UnprocessedAutomationRules"]] == [404]
        assert len(c.list_automation_rules()["AutomationRulesMetadata"]) == 3


def test_rule_input_is_validated_like_the_api(tmp_path: Path) -> None:
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        bad: list[dict[str, Any]] = [
            {"Criteria": {"Confidence": [{}]}, "Actions": _action(Criticality=1)},
            {"Criteria": {}, "Actions": _action(Workflow={"Status": "DONE"})},
            {"Criteria": {}, "Actions": _action()},
            {"Criteria": {}, "Actions": [{"Type": "FINDING_FIELDS_UPDATE"}]},
        ]
        for extra in bad:
            with pytest.raises(ClientError) as err:
                c.create_automation_rule(RuleName="r", Description="d", RuleOrder=1, **extra)
            assert err.value.response["Error"]["Code"] == "InvalidInputException", extra
        assert c.list_automation_rules()["AutomationRulesMetadata"] == []
        reader = strict(stack.client("reader"))
        with pytest.raises(ClientError) as err:
            reader.create_automation_rule(
                RuleName="r", Description="d", RuleOrder=1, Criteria={}, Actions=_action(Criticality=1)
            )
        assert err.value.response["Error"]["Code"] == "AccessDeniedException"


CRITERIA = [
    {"SeverityLabel": [{"Value": "LOW", "Comparison": "EQUALS"}, {"Value": "HIGH", "Comparison": "EQUALS"}]},
    {
        "Type": [{"Value": "TTPs", "Comparison": "PREFIX"}],
        "GeneratorId": [{"Value": "-1", "Comparison": "CONTAINS"}],
    },
    {"ResourceId": [{"Value": "198.51.100.3", "Comparison": "NOT_EQUALS"}]},
    {"Id": [{"Value": "test/finding/", "Comparison": "PREFIX_NOT_EQUALS"}]},
    {
        "SeverityNormalized": [{"Gte": 40, "Lt": 90}],
        "WorkflowStatus": [{"Value": "NEW", "Comparison": "EQUALS"}],
    },
    {
        "CreatedAt": [{"Start": "2026-12-01T00:00:00Z", "End": "2026-12-02T00:00:00Z"}],
        "Title": [{"Value": "finding 2", "Comparison": "NOT_EQUALS"}],
    },
    {
        "ProductArn": [{"Value": PRODUCT, "Comparison": "EQUALS"}],
        "RecordState": [{"Value": "ARCHIVED", "Comparison": "EQUALS"}],
    },
]


@pytest.mark.parametrize("criteria", CRITERIA)
def test_criteria_match_what_get_findings_selects(tmp_path: Path, criteria: dict[str, Any]) -> None:
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        c.batch_import_findings(Findings=[finding(n) for n in range(8)])
        everything = c.get_findings()["Findings"]
        selected = {f["Id"] for f in c.get_findings(Filters=criteria)["Findings"]}
        check = finding_predicate(criteria, stack.service.hub.clock.now())
        assert {f["Id"] for f in everything if check(f)} == selected
