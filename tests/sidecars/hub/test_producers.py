"""Producers: the WAF's aggregated blocks and block-rate jumps, KMS events from a real KMS, the
GuardDuty/Inspector2 converters through the FindingSink, and exposed-and-probed correlation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.sidecars.hub.test_store import NOW, make_hub
from tests.sidecars.kms.conftest import Kms, start_kms
from wafproxy.engine.decision import Action, Decision, RuleType
from wafproxy.engine.request import WafRequest
from wafproxy.events import RequestEvent
from wafproxy.sidecars.hub import asff
from wafproxy.sidecars.hub.correlate import Correlator
from wafproxy.sidecars.hub.filters import compile_filters
from wafproxy.sidecars.hub.kms_findings import KmsFindingProducer
from wafproxy.sidecars.hub.sink import HubFindingSink
from wafproxy.sidecars.hub.traffic import TrafficStats
from wafproxy.sidecars.hub.waf_findings import WafFindingConfig, WafFindingProducer


def event(
    ts: float, ip: str, rule: str = "SQLi", action: Action = Action.BLOCK, rtype: RuleType = RuleType.REGULAR
) -> RequestEvent:
    decision = Decision(
        action,
        terminating_rule_id=rule if action is not Action.ALLOW else "Default_Action",
        terminating_rule_type=rtype,
    )
    return RequestEvent(ts, "test-acl", WafRequest(ip, "GET", "/x"), decision, 403, 0.0001)


def test_waf_blocks_aggregate_into_one_finding_per_rule_ip_window() -> None:
    producer = WafFindingProducer(account="123456789012", region="us-east-1")
    for i in range(25):
        producer.emit(event(NOW + i, "203.0.113.9"))
    for i in range(3):  # below the threshold: no finding
        producer.emit(event(NOW + i, "203.0.113.10"))
    producer.emit(event(NOW, "203.0.113.11", action=Action.ALLOW))
    (f,) = producer.drain(NOW + 30)
    assert f["Title"] == "Rule SQLi blocked 25 requests from 203.0.113.9 in 5 min"
    assert f["Resources"][0]["Id"] == "203.0.113.9" and asff.normalize(f)["Severity"]["Label"] == "LOW"
    assert producer.drain(NOW + 31) == []  # nothing changed since
    for i in range(100):
        producer.emit(event(NOW + 40 + i / 10, "203.0.113.9"))
    (again,) = producer.drain(NOW + 60)
    assert again["Id"] == f["Id"] and again["ProductFields"]["wafproxy/blocked"] == "125"
    assert again["Severity"]["Label"] == "MEDIUM"
    hub = make_hub()
    hub.import_findings([f])
    hub.import_findings([again])
    assert hub.store.count(compile_filters(None, NOW)) == 1
    producer.drain(NOW + 10_000)  # windows closed: forgotten
    assert producer._blocks == {}


def test_waf_producer_is_bounded() -> None:
    producer = WafFindingProducer(account="1", region="r", config=WafFindingConfig(max_keys=100))
    for i in range(1000):
        producer.emit(event(NOW, f"10.0.{i // 256}.{i % 256}"))
    assert len(producer._blocks) == 100 and producer.dropped == 900


def test_managed_group_block_rate_jump() -> None:
    producer = WafFindingProducer(account="1", region="r")
    start = (int(NOW) // 60) * 60
    for minute in range(8):
        for i in range(10 if minute < 7 else 200):
            producer.emit(
                event(
                    start + minute * 60 + i * 0.1,
                    f"10.1.{minute}.{i % 200}",
                    rule="AWSManagedCommon",
                    rtype=RuleType.MANAGED_RULE_GROUP,
                )
            )
    findings = producer.drain(start + 8 * 60 + 1)
    (jump,) = [f for f in findings if f["GeneratorId"].startswith("wafproxy/waf/block-rate/")]
    assert "200/min" in jump["Title"] and "baseline 10.0/min" in jump["Title"]
    assert [f for f in producer.drain(start + 8 * 60 + 2) if "block-rate" in f["Id"]] == []


def test_traffic_stats_by_action_and_top_lists() -> None:
    stats = TrafficStats()
    stats.emit(event(NOW, "203.0.113.1"))
    stats.emit(event(NOW, "203.0.113.1", rule="Rate", rtype=RuleType.RATE_BASED))
    stats.emit(event(NOW + 1, "203.0.113.2", action=Action.ALLOW))
    series = stats.series(NOW + 1, seconds=3)
    assert series["counts"]["BLOCK"] == [0, 1, 0] and series["counts"]["RATE_LIMITED"] == [0, 1, 0]
    assert series["counts"]["ALLOW"] == [0, 0, 1]
    top = stats.top()
    assert top["ips"] == [("203.0.113.1", 2)] and dict(top["rules"]) == {"SQLi": 1, "Rate": 1}


@pytest.fixture
def kms(tmp_path: Path) -> Iterator[Kms]:
    running, stop = start_kms(tmp_path / "kms")
    try:
        yield running
    finally:
        stop()


def test_kms_findings_from_a_real_kms(kms: Kms) -> None:
    alice = kms.client("alice")
    producer = KmsFindingProducer(
        account="123456789012",
        region="us-east-1",
        audit_path=kms.data_dir / "audit.jsonl",
        records=lambda: list(kms.service.core.records.values()),
    )
    doomed = alice.create_key()["KeyMetadata"]["KeyId"]
    alice.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    retired = alice.create_key()["KeyMetadata"]["KeyId"]
    alice.disable_key(KeyId=retired)
    for _ in range(3):
        with pytest.raises(ClientError):
            alice.encrypt(KeyId=retired, Plaintext=b"x")
    good = alice.create_key()["KeyMetadata"]["KeyId"]
    blob = alice.encrypt(KeyId=good, Plaintext=b"secret")["CiphertextBlob"]
    for _ in range(12):
        with pytest.raises(ClientError):
            alice.decrypt(CiphertextBlob=blob, EncryptionContext={"wrong": "context"})
    by_kind = {f["Id"].split("/")[2]: f for f in producer.poll(kms.clock.now())}
    assert set(by_kind) == {"pending-deletion", "disabled-key-in-use", "failed-decrypts"}
    assert (
        doomed in by_kind["pending-deletion"]["Title"]
        and by_kind["pending-deletion"]["Severity"]["Label"] == "HIGH"
    )
    assert "(3 refused calls)" in by_kind["disabled-key-in-use"]["Title"]
    assert by_kind["failed-decrypts"]["Title"].startswith("12 failed Decrypt calls by arn:aws:iam::")
    for f in by_kind.values():
        asff.normalize(f)
    alice.cancel_key_deletion(KeyId=doomed)
    after = producer.poll(kms.clock.now())
    assert [f["RecordState"] for f in after if "pending-deletion" in f["Id"]] == ["ARCHIVED"]


GUARDDUTY = {  # the wire (camelCase) shape of GetFindings' Finding
    "accountId": "123456789012",
    "arn": "arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/f1",
    "createdAt": "2026-12-01T10:00:00.000Z",
    "updatedAt": "2026-12-01T10:05:00.000Z",
    "id": "f1",
    "region": "us-east-1",
    "schemaVersion": "2.0",
    "severity": 7.5,
    "title": "Probing of /admin",
    "type": "Recon:Runtime/WebProbe",
    "description": "203.0.113.50 probed /admin 40 times",
    "resource": {"resourceType": "Instance"},
    "service": {
        "detectorId": "d1",
        "count": 40,
        "archived": False,
        "eventFirstSeen": "2026-12-01T09:58:00Z",
        "eventLastSeen": "2026-12-01T10:05:00Z",
        "additionalInfo": {"value": json.dumps({"route": "/admin"}), "type": "default"},
        "action": {
            "actionType": "NETWORK_CONNECTION",
            "networkConnectionAction": {"remoteIpDetails": {"ipAddressV4": "203.0.113.50"}},
        },
    },
}
INSPECTOR = {
    "findingArn": "arn:aws:inspector2:us-east-1:123456789012:finding/abc",
    "awsAccountId": "123456789012",
    "type": "NETWORK_REACHABILITY",
    "title": "Admin route reachable without authentication",
    "description": "GET /admin answers 200 from the public listener",
    "severity": "HIGH",
    "firstObservedAt": "2026-12-01T09:00:00Z",
    "lastObservedAt": "2026-12-01T10:00:00Z",
    "status": "ACTIVE",
    "remediation": {"recommendation": {"text": "Require authentication on /admin"}},
    "resources": [{"type": "AWS_EC2_INSTANCE", "id": "http://shop.internal/admin?x=1"}],
    "inspectorScore": 7.3,
}


def test_converters_produce_valid_asff() -> None:
    from wafproxy.sidecars.hub import convert_guardduty, convert_inspector

    gd = asff.normalize(convert_guardduty.convert(GUARDDUTY))
    assert gd["Severity"] == {"Label": "HIGH", "Normalized": 70, "Original": "7.5"}
    assert gd["Types"] == ["TTPs/Discovery/Recon:Runtime-WebProbe"]
    assert [r["Id"] for r in gd["Resources"]] == ["203.0.113.50", "route:/admin"]
    assert gd["FirstObservedAt"] == "2026-12-01T09:58:00.000Z"
    pascal = {k[0].upper() + k[1:]: v for k, v in GUARDDUTY.items()}  # boto3's casing
    assert convert_guardduty.convert(pascal)["Id"] == gd["Id"]
    ins = asff.normalize(convert_inspector.convert(INSPECTOR))
    assert ins["Severity"]["Label"] == "HIGH" and ins["Remediation"]["Recommendation"]["Text"]
    assert "route:/admin" in [r["Id"] for r in ins["Resources"]]
    closed = convert_inspector.convert({**INSPECTOR, "status": "CLOSED"})
    assert closed["RecordState"] == "ARCHIVED"


def test_sink_correlates_exposed_and_probed_routes() -> None:
    hub = make_hub()
    hub.on_import.append(Correlator(hub))
    sink = HubFindingSink(hub)
    asyncio.run(sink.put_findings([INSPECTOR, {"junk": True}, {**GUARDDUTY, "severity": "high"}]))
    assert sink.imported == 1 and sink.failed == 2
    assert hub.store.count(compile_filters({"SeverityLabel": [{"Value": "CRITICAL"}]}, NOW)) == 0
    asyncio.run(sink.put_findings([GUARDDUTY]))
    (critical,) = hub.store.query(compile_filters({"SeverityLabel": [{"Value": "CRITICAL"}]}, NOW))
    assert critical["Title"] == "Exposed route /admin is being probed"
    assert {r["Id"] for r in critical["RelatedFindings"]} == {INSPECTOR["findingArn"], GUARDDUTY["arn"]}
    assert INSPECTOR["findingArn"] in critical["Description"] and GUARDDUTY["arn"] in critical["Description"]


def test_traffic_stats_charts_a_late_event_in_the_latest_second_before_it() -> None:
    stats = TrafficStats()
    stats.emit(event(NOW, "203.0.113.1", action=Action.ALLOW))
    stats.emit(event(NOW + 2, "203.0.113.1", action=Action.ALLOW))
    stats.emit(event(NOW + 1, "203.0.113.1", action=Action.ALLOW))  # late: counted in NOW (kept)
    stats.emit(event(NOW - 5, "203.0.113.1", action=Action.ALLOW))  # older than any second kept: not charted
    assert stats.series(NOW + 2, seconds=8)["counts"]["ALLOW"] == [0] * 5 + [2, 0, 1]
    assert stats.total == 4
