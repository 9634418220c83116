"""The findings store: ACTIVE -> CLOSED when fixed, SUPPRESSED by filter, kept across reopen."""

from __future__ import annotations

from pathlib import Path

from wafproxy.sidecars.assessor.findings import Assessed, to_finding
from wafproxy.sidecars.assessor.model import CheckSpec, Observation
from wafproxy.sidecars.assessor.store import FindingStore

SPEC = CheckSpec("WAFP-TEST-1", "http", "NETWORK_REACHABILITY", "MEDIUM", "t", "d", "r")
LOW = CheckSpec("WAFP-TEST-2", "http", "NETWORK_REACHABILITY", "LOW", "low one", "d", "r")


def seen(spec: CheckSpec, resource: str, now: float) -> Assessed:
    return to_finding(
        Observation(spec, resource, "AWS_WAFPROXY_ENDPOINT", "e"),
        account="000000000000",
        region="us-east-1",
        now=now,
    )


def by_arn(store: FindingStore) -> dict[str, dict[str, object]]:
    return {f["findingArn"]: f for f in store.findings()}  # type: ignore[misc]


def test_lifecycle_across_runs_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "state" / "assessor.sqlite3"
    store = FindingStore(path)
    a, b = seen(SPEC, "http://a", 100.0), seen(SPEC, "http://b", 100.0)
    assert store.record([a, b], {"http|http://a", "http|http://b"}, 100.0) == {
        "new": 2,
        "active": 2,
        "suppressed": 0,
        "closed": 0,
    }
    store.close()
    store = FindingStore(path)  # state written is state kept
    a2 = seen(SPEC, "http://a", 200.0)
    # b was not seen again, but this run did not look at http://b: it stays ACTIVE.
    store.record([a2], {"http|http://a"}, 200.0)
    found = by_arn(store)
    assert found[a.finding["findingArn"]]["firstObservedAt"] == a.finding["firstObservedAt"]
    assert found[a.finding["findingArn"]]["lastObservedAt"] == a2.finding["lastObservedAt"]
    assert found[b.finding["findingArn"]]["status"] == "ACTIVE"
    store.record([a2], {"http|http://a", "http|http://b"}, 300.0)
    assert by_arn(store)[b.finding["findingArn"]]["status"] == "CLOSED"
    store.record([a2, seen(SPEC, "http://b", 400.0)], {"http|http://b"}, 400.0)
    assert by_arn(store)[b.finding["findingArn"]]["status"] == "ACTIVE"  # back again: reopened
    store.close()


def test_suppress_filter_applies_now_and_to_later_runs(tmp_path: Path) -> None:
    store = FindingStore(tmp_path / "s.sqlite3")
    low, medium = seen(LOW, "http://a", 1.0), seen(SPEC, "http://a", 1.0)
    store.record([low, medium], {"http|http://a"}, 1.0)
    arn = store.create_filter(
        "no-low", "SUPPRESS", {"severity": [{"comparison": "EQUALS", "value": "LOW"}]}, 2.0
    )
    statuses = {f["findingArn"]: f["status"] for f in store.findings()}
    assert statuses == {low.finding["findingArn"]: "SUPPRESSED", medium.finding["findingArn"]: "ACTIVE"}
    store.record([seen(LOW, "http://a", 3.0), seen(SPEC, "http://a", 3.0)], {"http|http://a"}, 3.0)
    assert {f["status"] for f in store.findings()} == {"SUPPRESSED", "ACTIVE"}
    assert store.delete_filter(arn, 4.0)
    assert {f["status"] for f in store.findings()} == {"ACTIVE"}
    store.close()


def test_managed_group_left_in_count_escalates_after_a_week(tmp_path: Path) -> None:
    from wafproxy.sidecars.assessor.checks_config import COUNTED

    store = FindingStore(tmp_path / "s.sqlite3")
    day = 86400.0
    store.record([seen(COUNTED, "wafproxy:webacl/x/Common", 0.0)], {"config|wafproxy:webacl/x/Common"}, 0.0)
    assert store.findings()[0]["severity"] == "MEDIUM"
    store.record(
        [seen(COUNTED, "wafproxy:webacl/x/Common", 8 * day)], {"config|wafproxy:webacl/x/Common"}, 8 * day
    )
    finding = store.findings()[0]
    assert finding["severity"] == "HIGH" and finding["inspectorScore"] == 7.5
    assert finding["inspectorScoreDetails"]["adjustedCvss"]["adjustments"][-1]["metric"] == "duration"
    store.close()


def test_a_store_from_before_filter_tags_opens_and_keeps_its_filters(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE filters (arn TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, action TEXT NOT NULL,"
               " criteria TEXT NOT NULL, description TEXT, reason TEXT, created REAL NOT NULL,"
               " updated REAL NOT NULL)")
    db.execute("INSERT INTO filters VALUES ('arn:f', 'old', 'NONE', '{}', NULL, NULL, 1.0, 1.0)")
    db.commit()
    db.close()
    store = FindingStore(path)
    try:
        (old,) = store.filters()
        assert old["name"] == "old" and old["tags"] == {}
        assert store.retag_filter("arn:f", {"k": "v"}) == {"k": "v"}
        assert store.filters()[0]["tags"] == {"k": "v"}
    finally:
        store.close()
