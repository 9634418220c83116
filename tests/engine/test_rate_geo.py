"""Rate-based keys (IP, FORWARDED_IP, CUSTOM_KEYS, CONSTANT) and Geo/ASN matches over a real mmdb."""

from __future__ import annotations

from pathlib import Path

import maxminddb
import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from tests.engine.aclkit import byte_match, compile_with, req, rule, tt, web_acl
from wafproxy.engine import Action, evaluate, evaluate_steps
from wafproxy.engine.ratecheck import RateCheck


def _checks(statement, request, *, over: bool = False):
    """All RateChecks yielded, answering ``over`` to each, and the final decision."""
    acl = compile_with(web_acl(rule("rate", 0, {"RateBasedStatement": statement})))
    steps = evaluate_steps(acl, request)
    checks = []
    try:
        check = next(steps)
        while True:
            checks.append(check)
            check = steps.send(over)
    except StopIteration as done:
        return checks, done.value


XFF = {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH"}


@pytest.mark.parametrize(
    ("statement", "request_", "key"),
    [
        ({"Limit": 10, "AggregateKeyType": "IP"}, req(ip="198.51.100.1"), "198.51.100.1"),
        ({"Limit": 10, "AggregateKeyType": "IP"}, req(ip="2001:db8:1:2:3::4"), "2001:db8:1:2::/64"),
        (
            {"Limit": 10, "AggregateKeyType": "FORWARDED_IP", "ForwardedIPConfig": XFF},
            req(headers=(("X-Forwarded-For", "192.0.2.8, 10.0.0.1"),)),
            "192.0.2.8",
        ),
        (
            {"Limit": 10, "AggregateKeyType": "CONSTANT", "ScopeDownStatement": byte_match("/login")},
            req("/login"),
            "CONSTANT",
        ),
        (
            {
                "Limit": 10,
                "AggregateKeyType": "CUSTOM_KEYS",
                "CustomKeys": [
                    {"Header": {"Name": "X-Api-Key", "TextTransformations": tt("LOWERCASE")}},
                    {"HTTPMethod": {}},
                ],
            },
            req(method="POST", headers=(("x-api-key", "ABC"),)),
            "abc\x1fPOST",
        ),
        (
            {
                "Limit": 10,
                "AggregateKeyType": "CUSTOM_KEYS",
                "CustomKeys": [{"IP": {}}, {"UriPath": {"TextTransformations": tt()}}],
            },
            req("/p", ip="198.51.100.2"),
            "198.51.100.2\x1f/p",
        ),
    ],
)
def test_rate_keys(statement, request_, key):
    checks, decision = _checks(statement, request_, over=True)
    assert [c.key for c in checks] == [key]
    assert checks[0].limit == 10 and checks[0].window_seconds == 300
    assert decision.action is Action.BLOCK and decision.terminating_rule_type.value == "RATE_BASED"


@pytest.mark.parametrize(
    ("statement", "request_"),
    [
        # scope-down does not match: no check, no match
        (
            {"Limit": 10, "AggregateKeyType": "CONSTANT", "ScopeDownStatement": byte_match("/login")},
            req("/x"),
        ),
        # a custom key component is missing: AWS does not count the request
        (
            {
                "Limit": 10,
                "AggregateKeyType": "CUSTOM_KEYS",
                "CustomKeys": [{"Header": {"Name": "X-Api-Key", "TextTransformations": tt()}}],
            },
            req(),
        ),
        # forwarded header missing, FallbackBehavior NO_MATCH
        ({"Limit": 10, "AggregateKeyType": "FORWARDED_IP", "ForwardedIPConfig": XFF}, req()),
    ],
)
def test_rate_not_checked(statement, request_):
    checks, decision = _checks(statement, request_, over=True)
    assert checks == [] and decision.action is Action.ALLOW


def test_rate_ids_are_stable_and_the_sync_driver_uses_the_store():
    class Store:
        def __init__(self):
            self.seen: list[RateCheck] = []

        def hit(self, check: RateCheck, now: float) -> bool:
            self.seen.append(check)
            return len(self.seen) > 2

    acl = compile_with(
        web_acl(
            rule(
                "rate",
                0,
                {"RateBasedStatement": {"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "IP"}},
            )
        )
    )
    store = Store()
    actions = [evaluate(acl, req(ip="192.0.2.1"), store, now=float(i)).action for i in range(4)]
    assert actions == [Action.ALLOW, Action.ALLOW, Action.BLOCK, Action.BLOCK]
    assert {c.rule_id for c in store.seen} == {"test-acl/rate"} and store.seen[0].window_seconds == 60


@pytest.fixture(scope="module")
def mmdb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("geo") / "test.mmdb"
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-Country")
    writer.insert_network(
        IPSet(["203.0.113.0/24"]), {"country": {"iso_code": "NZ"}, "autonomous_system_number": 64500}
    )
    writer.insert_network(
        IPSet(["2001:db8:1::/48"]), {"country": {"iso_code": "DE"}, "autonomous_system_number": 64501}
    )
    writer.to_db_file(str(path))
    return path


@pytest.mark.parametrize(
    ("statement", "ip", "expected"),
    [
        ({"GeoMatchStatement": {"CountryCodes": ["NZ", "AU"]}}, "203.0.113.7", True),
        ({"GeoMatchStatement": {"CountryCodes": ["NZ"]}}, "2001:db8:1::1", False),
        ({"GeoMatchStatement": {"CountryCodes": ["DE"]}}, "2001:db8:1::1", True),
        ({"GeoMatchStatement": {"CountryCodes": ["NZ"]}}, "192.0.2.1", False),  # unknown address
        ({"AsnMatchStatement": {"AsnList": [64500]}}, "203.0.113.7", True),
        ({"AsnMatchStatement": {"AsnList": [64500]}}, "2001:db8:1::1", False),
    ],
)
def test_geo_and_asn(mmdb, statement, ip, expected):
    with maxminddb.open_database(str(mmdb)) as db:
        acl = compile_with(web_acl(rule("geo", 0, statement)), geo=db)
        assert (evaluate(acl, req(ip=ip)).action is Action.BLOCK) is expected


def test_geo_adds_country_label_and_reads_forwarded_ip(mmdb):
    stmt = {"GeoMatchStatement": {"CountryCodes": ["US"], "ForwardedIPConfig": XFF}}
    with maxminddb.open_database(str(mmdb)) as db:
        acl = compile_with(web_acl(rule("geo", 0, stmt, "Count")), geo=db)
        d = evaluate(acl, req(ip="10.0.0.1", headers=(("X-Forwarded-For", "203.0.113.9"),)))
    assert d.labels == ("awswaf:clientip:geo:country:NZ",)


def test_geo_without_database_is_a_compile_error():
    from wafproxy.engine import WebAclError

    with pytest.raises(WebAclError, match="MaxMind"):
        compile_with(web_acl(rule("geo", 0, {"GeoMatchStatement": {"CountryCodes": ["NZ"]}})))


def test_rate_rule_inside_a_rule_group_has_a_stable_nested_id():
    from tests.engine.aclkit import VIS

    group = {
        "Name": "g",
        "Capacity": 10,
        "VisibilityConfig": VIS,
        "Rules": [
            rule("inner", 0, {"RateBasedStatement": {"Limit": 20, "AggregateKeyType": "IP"}}, "Challenge")
        ],
    }
    acl = compile_with(
        web_acl(rule("grp", 0, {"RuleGroupReferenceStatement": {"ARN": "g"}}, OverrideAction={"None": {}})),
        group,
    )
    steps = evaluate_steps(acl, req(ip="192.0.2.3"))
    check = next(steps)
    assert check.rule_id == "test-acl/grp/inner" and check.limit == 20
    with pytest.raises(StopIteration) as done:
        steps.send(True)
    decision = done.value.value
    assert decision.action is Action.CHALLENGE
    assert (decision.terminating_rule_id, decision.terminating_group_rule_id) == ("grp", "inner")


def test_rate_key_by_label_namespace():
    acl = compile_with(
        web_acl(
            rule("tag", 0, byte_match("/api"), "Count", labels=("tier:gold",)),
            rule(
                "rate",
                1,
                {
                    "RateBasedStatement": {
                        "Limit": 10,
                        "AggregateKeyType": "CUSTOM_KEYS",
                        "CustomKeys": [{"LabelNamespace": {"Namespace": "tier:"}}],
                    }
                },
            ),
        )
    )
    steps = evaluate_steps(acl, req("/api/x"))
    assert next(steps).key == "awswaf:000000000000:webacl:test-acl:tier:gold"
    steps = evaluate_steps(acl, req("/web"))
    with pytest.raises(StopIteration):  # no label in the namespace: not counted
        next(steps)


def test_limits_below_aws_minimum_and_any_window_up_to_an_hour_are_exact():
    """Our extension (issue 5): L from 1 and windows of 1..3600 s; request L+1 is refused at once."""
    from wafproxy.stores.memory import MemoryRateStore

    acl = compile_with(
        web_acl(
            rule(
                "rate",
                0,
                {"RateBasedStatement": {"Limit": 1, "AggregateKeyType": "IP", "EvaluationWindowSec": 2}},
            )
        )
    )
    store = MemoryRateStore()
    first = evaluate(acl, req(ip="198.51.100.7"), store, now=1000.0)
    second = evaluate(acl, req(ip="198.51.100.7"), store, now=1000.5)
    later = evaluate(acl, req(ip="198.51.100.7"), store, now=1002.6)
    assert (first.action, second.action, later.action) == (Action.ALLOW, Action.BLOCK, Action.ALLOW)
    checks, _ = _checks(
        {"Limit": 1, "AggregateKeyType": "IP", "EvaluationWindowSec": 3600}, req(ip="192.0.2.1")
    )
    assert checks[0].limit == 1 and checks[0].window_seconds == 3600
