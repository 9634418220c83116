"""Every operation of botocore's ``kms`` and ``wafv2`` models answers as AWS would: served, or an
error the operation's model lists — none unserved, none broken (``load_tests/api_sweep.py``)."""

from __future__ import annotations

from pathlib import Path

import botocore.session

from load_tests.api_sweep import run_all
from tests.support.opsweep import table

# What a user of a single-machine product calls: really implemented, so served in the sweep.
KMS_SERVED = {
    "Encrypt",
    "ImportKeyMaterial",
    "GetParametersForImport",
    "DeleteImportedKeyMaterial",
    "DeriveSharedSecret",
    "Encapsulate",
    "Decapsulate",
    "ReplicateKey",
    "UpdatePrimaryRegion",
    "GetKeyLastUsage",
}
WAFV2_SERVED = {
    "UpdateIPSet",
    "PutPermissionPolicy",
    "GetPermissionPolicy",
    "DeletePermissionPolicy",
    "CreateAPIKey",
    "ListAPIKeys",
    "GetDecryptedAPIKey",
    "DeleteAPIKey",
    "DescribeAllManagedProducts",
    "DescribeManagedProductsByVendor",
    "ListAvailableManagedRuleGroupVersions",
}


def test_every_operation_served_or_answered_with_a_modeled_error(tmp_path: Path) -> None:
    results = run_all(tmp_path)
    session = botocore.session.get_session()
    for service, served in (("kms", KMS_SERVED), ("wafv2", WAFV2_SERVED)):
        outcomes = results[service]
        assert sorted(o.operation for o in outcomes) == sorted(
            session.get_service_model(service).operation_names
        )
        broken = [o for o in outcomes if o.kind == "broken"]
        assert not broken, table(broken)
        kinds = {o.operation: o.kind for o in outcomes}
        assert {op for op in served if kinds[op] != "served"} == set(), table(outcomes)


def test_every_operation_naming_nothing_answers_a_modeled_error(tmp_path: Path) -> None:
    """Called with the input shapes' minimum values only (no key, set or group that exists): every
    operation still answers as AWS would — its not-found or invalid-parameter error, or a success
    where nothing needs to exist (a listing)."""
    results = run_all(tmp_path, absent=True)
    for outcomes in results.values():
        broken = [o for o in outcomes if o.kind == "broken"]
        assert not broken, table(broken)
    details = {(s, o.operation): o.detail for s, outcomes in results.items() for o in outcomes}
    assert details[("kms", "DescribeKey")] == "NotFoundException"
    assert details[("wafv2", "GetIPSet")] == "WAFNonexistentItemException"
