"""Every operation of botocore's ``guardduty`` and ``inspector2`` models, called through boto3
against a real ``wafproxy demo``: each is served (the answer fits the documented shape) or answered
with an error its model declares — never a 404 for the route, a 5xx, or a body boto3 cannot parse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sidecars import sweeps
from tests.sidecars.assessor.demo import Demo, running_demo
from tests.support.opsweep import Outcome, table

# What a user of a single-machine product uses: really implemented, so served in the sweep.
GUARDDUTY_SERVED = {
    "CreateThreatIntelSet",
    "GetThreatIntelSet",
    "UpdateThreatIntelSet",
    "ListThreatIntelSets",
    "DeleteThreatIntelSet",
    "CreateIPSet",
    "GetIPSet",
    "UpdateIPSet",
    "ListIPSets",
    "DeleteIPSet",
    "CreateThreatEntitySet",
    "GetThreatEntitySet",
    "ListTrustedEntitySets",
    "DeleteTrustedEntitySet",
    "CreatePublishingDestination",
    "DescribePublishingDestination",
    "UpdatePublishingDestination",
    "DeletePublishingDestination",
    "GetUsageStatistics",
    "GetCoverageStatistics",
    "ListCoverage",
    "GetRemainingFreeTrialDays",
    "UpdateFindingsFeedback",
    "GetMalwareScanSettings",
    "UpdateMalwareScanSettings",
    "GetMembers",
    "ListInvitations",
}
INSPECTOR2_SERVED = {
    "CreateFindingsReport",
    "GetFindingsReportStatus",
    "CreateSbomExport",
    "GetSbomExport",
    "SearchVulnerabilities",
    "BatchGetFindingDetails",
    "BatchGetCodeSnippet",
    "ListUsageTotals",
    "BatchGetFreeTrialInfo",
    "ListAccountPermissions",
    "UpdateEncryptionKey",
    "GetEncryptionKey",
    "ResetEncryptionKey",
    "GetDelegatedAdminAccount",
    "GetEc2DeepInspectionConfiguration",
}


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo-state")


@pytest.fixture(scope="module")
def demo(state: Path) -> Iterator[Demo]:
    with running_demo("--account-id", sweeps.ACCOUNT, "--state-dir", str(state)) as running:
        yield running


def _check(outcomes: list[Outcome], served: set[str], operations: int) -> None:
    assert len(outcomes) == operations
    broken = [o for o in outcomes if o.kind == "broken"]
    assert not broken, table(broken)
    kinds = {o.operation: o.kind for o in outcomes}
    assert {op for op in served if kinds[op] != "served"} == set(), table(outcomes)


def test_every_guardduty_operation_is_answered(demo: Demo, state: Path) -> None:
    lists = state / ".wafproxy" / "intel"  # where a set's Location may point
    lists.mkdir(parents=True, exist_ok=True)
    outcomes = sweeps.guardduty(demo, lists)
    _check(
        outcomes, GUARDDUTY_SERVED, len(sweeps.client(demo, "guardduty").meta.service_model.operation_names)
    )


def test_every_inspector2_operation_is_answered(demo: Demo, tmp_path: Path) -> None:
    outcomes = sweeps.inspector2(demo, tmp_path)
    _check(
        outcomes, INSPECTOR2_SERVED, len(sweeps.client(demo, "inspector2").meta.service_model.operation_names)
    )
