"""Every operation of botocore's ``kms`` and ``wafv2`` models answers as AWS would: served, or an
error the operation's model lists — none unserved, none broken (``load_tests/api_sweep.py``)."""

from __future__ import annotations

from pathlib import Path

import botocore.session

from load_tests.api_sweep import Outcome, run_all, table


def test_every_operation_served_or_answered_with_a_modeled_error(tmp_path: Path) -> None:
    outcomes = run_all(tmp_path)
    session = botocore.session.get_session()
    for service in ("kms", "wafv2"):
        swept = sorted(o.operation for o in outcomes if o.service == service)
        assert swept == sorted(session.get_service_model(service).operation_names)
    bad: list[Outcome] = [o for o in outcomes if o.verdict not in ("served", "modeled")]
    assert not bad, table(bad)
    served = {(o.service, o.operation) for o in outcomes if o.verdict == "served"}
    # the sweep reaches real resources, not only errors: the calls a user makes most succeed
    assert {
        ("kms", "Encrypt"),
        ("kms", "ImportKeyMaterial"),
        ("kms", "DeriveSharedSecret"),
        ("kms", "Decapsulate"),
        ("wafv2", "UpdateIPSet"),
        ("wafv2", "PutPermissionPolicy"),
        ("wafv2", "GetDecryptedAPIKey"),
    } <= served


def test_every_operation_naming_nothing_answers_a_modeled_error(tmp_path: Path) -> None:
    """Called with the input shapes' minimum values only (no key, set or group that exists): every
    operation still answers as AWS would — its not-found or invalid-parameter error, or a success
    where nothing needs to exist (a listing)."""
    outcomes = run_all(tmp_path, absent=True)
    bad = [o for o in outcomes if o.verdict not in ("served", "modeled")]
    assert not bad, table(bad)
    assert {(o.service, o.detail) for o in outcomes if o.operation in ("DescribeKey", "GetIPSet")} == {
        ("kms", "NotFoundException"),
        ("wafv2", "WAFNonexistentItemException"),
    }
