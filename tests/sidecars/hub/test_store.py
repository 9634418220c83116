"""The hub's model and store: ASFF validation, dedup/update in place, filters, retention, encryption."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.sidecars.hub.factory import finding
from wafproxy.awsapi.errors import AwsError
from wafproxy.sidecars.hub import asff
from wafproxy.sidecars.hub.core import Hub, public
from wafproxy.sidecars.hub.crypt import HubCryptError, RowCipher
from wafproxy.sidecars.hub.filters import compile_filters
from wafproxy.sidecars.hub.history import MAX_PER_FINDING
from wafproxy.sidecars.hub.store import FindingStore, HubStoreError


class FixedClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def now(self) -> float:
        return self.t


NOW = 1796119200.0  # 2026-12-01T10:00:00Z


def make_hub(path: Path | str = ":memory:", **kw: Any) -> Hub:
    return Hub(FindingStore(path, **kw), account="123456789012", region="us-east-1", clock=FixedClock(NOW))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"SchemaVersion": "2017-01-01"}, "SchemaVersion"),
        ({"Id": ""}, "Id"),
        ({"Severity": {}}, "Severity"),
        ({"Severity": {"Label": "SEVERE"}}, "Severity.Label"),
        ({"Severity": {"Normalized": 101}}, "Severity.Normalized"),
        ({"CreatedAt": "yesterday"}, "CreatedAt"),
        ({"UpdatedAt": "2026-12-01T10:00:00"}, "UpdatedAt"),
        ({"Resources": []}, "Resources"),
        ({"Resources": [{"Type": "Other"}]}, "Resources[0].Id"),
        ({"Types": "not-a-list"}, "Types"),
        ({"Title": "x" * 257}, "Title"),
        ({"Workflow": {"Status": "DONE"}}, "Workflow.Status"),
        ({"RecordState": "DELETED"}, "RecordState"),
        ({"Compliance": {"Status": "MAYBE"}}, "Compliance.Status"),
        ({"Note": {"Text": "x"}}, "UpdatedBy"),
        ({"Description": "d" * (asff.MAX_FINDING_BYTES + 1)}, "Finding"),
    ],
)
def test_invalid_findings_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(asff.InvalidFinding) as exc:
        asff.normalize(finding(1, **change))
    assert exc.value.field == field


def test_normalize_fills_severity_workflow_and_canonical_times() -> None:
    f = asff.normalize(finding(1, Severity={"Normalized": 75}, CreatedAt="2026-12-01T11:00:00+01:00"))
    assert f["Severity"] == {"Label": "HIGH", "Normalized": 75}
    assert f["Workflow"] == {"Status": "NEW"} and f["RecordState"] == "ACTIVE"
    assert f["CreatedAt"] == "2026-12-01T10:00:00.000Z"
    assert asff.normalize(finding(2, Severity={"Label": "MEDIUM"}))["Severity"]["Normalized"] == 40


def test_import_keeps_the_valid_ones_and_reports_each_bad_one() -> None:
    hub = make_hub()
    ok, failed = hub.import_findings([finding(1), finding(2, Severity={}), "junk", finding(3)])
    assert ok == 2
    assert [(f.id, f.code) for f in failed] == [("test/finding/2", "InvalidInput"), ("#2", "InvalidInput")]
    assert "Severity" in failed[0].message
    assert sorted(hub.store.get_many(["test/finding/1", "test/finding/3", "test/finding/2"])) == [
        "test/finding/1",
        "test/finding/3",
    ]


def test_reimport_updates_in_place_and_keeps_customer_fields() -> None:
    hub = make_hub()
    hub.import_findings([finding(1)])
    hub.update(
        ["test/finding/1"],
        {
            "Workflow": {"Status": "NOTIFIED"},
            "Note": {"Text": "looking", "UpdatedBy": "alice"},
            "Severity": {"Label": "LOW", "Normalized": 1},
            "Criticality": 20,
        },
        by="alice",
    )
    later = finding(
        1,
        Title="finding 1, again",
        UpdatedAt="2026-12-01T11:00:00Z",
        Severity={"Label": "CRITICAL"},
        Workflow={"Status": "NEW"},
        Criticality=90,
        Types=["Effects/Data Exposure"],
    )
    hub.import_findings([later])
    (stored,) = hub.store.get_many(["test/finding/1"]).values()
    assert stored["Title"] == "finding 1, again"
    assert stored["Workflow"]["Status"] == "NOTIFIED" and stored["Note"]["Text"] == "looking"
    assert stored["Severity"]["Label"] == "LOW"  # changed by the customer: the provider cannot override
    assert stored["Criticality"] == 20 and stored["Types"] == ["Effects/Data Exposure"]  # Types: not changed
    assert stored["CreatedAt"] == "2026-12-01T10:00:00.000Z"
    assert "WafproxyHub" not in public(stored)
    assert hub.store.count(compile_filters(None, NOW)) == 1
    # A stale update (older UpdatedAt) is ignored.
    hub.import_findings([finding(1, Title="stale", UpdatedAt="2026-12-01T09:00:00Z")])
    assert hub.store.get_many(["test/finding/1"])["test/finding/1"]["Title"] == "finding 1, again"


def test_workflow_resets_follow_compliance() -> None:
    hub = make_hub()
    hub.import_findings([finding(1, Compliance={"Status": "FAILED"})])
    hub.import_findings([finding(1, Compliance={"Status": "PASSED"}, UpdatedAt="2026-12-01T10:01:00Z")])
    assert hub.store.get_many(["test/finding/1"])["test/finding/1"]["Workflow"]["Status"] == "RESOLVED"
    hub.import_findings([finding(1, Compliance={"Status": "FAILED"}, UpdatedAt="2026-12-01T10:02:00Z")])
    assert hub.store.get_many(["test/finding/1"])["test/finding/1"]["Workflow"]["Status"] == "NEW"


def test_filters_select_by_indexed_attributes() -> None:
    hub = make_hub()
    hub.import_findings(
        [
            finding(n, UpdatedAt=f"2026-11-{1 + n % 28:02d}T00:00:00Z", CreatedAt="2026-11-01T00:00:00Z")
            for n in range(40)
        ]
    )

    def ids(filters: dict[str, Any]) -> set[int]:
        rows = hub.store.query(compile_filters(filters, NOW), limit=100)
        return {int(r["Id"].rsplit("/", 1)[1]) for r in rows}

    assert ids({"SeverityLabel": [{"Value": "HIGH", "Comparison": "EQUALS"}]}) == {
        n for n in range(40) if n % 4 == 2
    }
    assert ids(
        {
            "SeverityLabel": [
                {"Value": "HIGH", "Comparison": "EQUALS"},
                {"Value": "LOW", "Comparison": "EQUALS"},
            ]
        }
    ) == {n for n in range(40) if n % 2 == 0}
    assert ids({"GeneratorId": [{"Value": "test-generator-1", "Comparison": "NOT_EQUALS"}]}) == {
        n for n in range(40) if n % 3 != 1
    }
    assert ids({"ResourceId": [{"Value": "198.51.100.7", "Comparison": "EQUALS"}]}) == {7}
    assert ids({"Id": [{"Value": "test/finding/1", "Comparison": "PREFIX"}]}) == {1, *range(10, 20)}
    assert ids({"Type": [{"Value": "TTPs/Initial Access", "Comparison": "PREFIX"}]}) == set(range(40))
    assert ids({"Type": [{"Value": "TTPs", "Comparison": "EQUALS"}]}) == set()
    assert ids({"SeverityNormalized": [{"Gte": 70}]}) == {n for n in range(40) if n % 4 >= 2}
    assert ids({"UpdatedAt": [{"Start": "2026-11-05T00:00:00Z", "End": "2026-11-06T00:00:00Z"}]}) == {
        4,
        5,
        32,
        33,
    }
    assert ids({"UpdatedAt": [{"DateRange": {"Value": 2, "Unit": "DAYS"}}]}) == set()
    assert ids({"WorkflowStatus": [{"Value": "NEW"}], "RecordState": [{"Value": "ACTIVE"}]}) == set(range(40))
    for bad in (
        {"Keyword": [{"Value": "x"}]},
        {"SeverityLabel": [{"Value": "HIGH", "Comparison": "LIKE"}]},
        {"UpdatedAt": [{"Start": "yesterday"}]},
        {"SeverityLabel": "HIGH"},
    ):
        with pytest.raises(AwsError) as exc:
            compile_filters(bad, NOW)
        assert exc.value.code == "ValidationException"


def test_retention_purges_old_findings() -> None:
    hub = make_hub(retention_days=30)
    hub.import_findings(
        [finding(1, UpdatedAt="2026-10-01T00:00:00Z", CreatedAt="2026-10-01T00:00:00Z"), finding(2)]
    )
    assert sorted(hub.store.get_many(["test/finding/1", "test/finding/2"])) == ["test/finding/2"]


def test_state_survives_reopen_and_is_wal(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    hub = make_hub(path)
    hub.import_findings([finding(1)])
    hub.store.close()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert "test/finding/1" in make_hub(path).store.get_many(["test/finding/1"])


def test_encrypted_rows_hold_no_plaintext_and_need_the_key(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    hub = make_hub(path)
    hub.store.use_cipher(RowCipher(b"k" * 32, "key-1"))
    hub.import_findings([finding(1, Description="secret-description-text")])
    hub.store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("hub.sqlite3*"))
    assert b"secret-description-text" not in raw
    reopened = make_hub(path)
    with pytest.raises(HubStoreError):
        reopened.store.get_many(["test/finding/1"])  # sealed, and no key given
    with pytest.raises(HubStoreError):
        reopened.store.use_cipher(RowCipher(b"x" * 32, "key-2"))
    reopened.store.cipher = RowCipher(b"x" * 32, "key-1")  # right id, wrong material
    with pytest.raises(HubCryptError):
        reopened.store.get_many(["test/finding/1"])
    reopened.store.use_cipher(RowCipher(b"k" * 32, "key-1"))
    assert (
        reopened.store.get_many(["test/finding/1"])["test/finding/1"]["Description"]
        == "secret-description-text"
    )


def test_history_is_bounded_per_finding(tmp_path: Path) -> None:
    hub = Hub(FindingStore(tmp_path / "h.db"), account="123456789012", region="us-east-1")
    for n in range(MAX_PER_FINDING + 5):
        hub.import_findings([finding(1, Title=f"t{n}", UpdatedAt=f"2026-12-01T10:{n:02d}:00Z")])
    entries = hub.store.history("test/finding/1", None, None, 0, 1000)
    assert len(entries) == MAX_PER_FINDING
    assert entries[0].updates[0]["NewValue"] == f"t{MAX_PER_FINDING + 4}" and not entries[-1].created


def test_a_store_written_before_customer_set_keeps_the_customers_severity() -> None:
    hub = make_hub()
    hub.import_findings([finding(1)])
    (old,) = hub.store.get_many(["test/finding/1"]).values()
    hub.store.put_many([{**old, "Severity": {"Label": "LOW", "Normalized": 1},
                         "WafproxyHub": {"severityByCustomer": True}}])
    hub.import_findings([finding(1, UpdatedAt="2026-12-01T11:00:00Z", Severity={"Label": "CRITICAL"})])
    (stored,) = hub.store.get_many(["test/finding/1"]).values()
    assert stored["Severity"]["Label"] == "LOW" and stored["WafproxyHub"] == {"customerSet": ["Severity"]}
