"""RequestSampler bounds: rings per rule, ring count, header budget, redaction, time window."""

from __future__ import annotations

from wafproxy.control.sampler import ALL_REQUESTS, HEADER_BUDGET, RequestSampler, rule_key
from wafproxy.engine.decision import Action, Decision, RuleMatch
from wafproxy.engine.request import WafRequest
from wafproxy.events import RequestEvent


def _event(ts: float, rule: str | None, headers: tuple[tuple[str, str], ...] = ()) -> RequestEvent:
    if rule is None:
        decision = Decision(Action.ALLOW)
    else:
        decision = Decision(Action.BLOCK, terminating_rule_id=rule, matches=(RuleMatch(rule, Action.BLOCK),))
    request = WafRequest(
        client_ip="192.0.2.1", method="GET", uri_path="/p", query_string="a=1", headers=headers
    )
    return RequestEvent(ts, "acl", request, decision, 403 if rule else 200, 0.0)


def test_rings_are_bounded_per_rule_and_in_number() -> None:
    sampler = RequestSampler(per_rule=3, max_rules=4)  # ALL + Default_Action + 2 rules
    for i in range(10):
        sampler.emit(_event(float(i), None))
        sampler.emit(_event(float(i), f"R{i}"))
    got, population = sampler.samples(ALL_REQUESTS, 0, 100, 500)
    assert population == 3 and [s.timestamp for s in got] == [8.0, 9.0, 9.0]
    assert sampler.samples("R0", 0, 100, 10)[1] == 1 and sampler.samples("R1", 0, 100, 10)[1] == 1
    assert sampler.samples("R5", 0, 100, 10) == ([], 0)
    assert sampler.dropped_rules == 8
    assert sampler.samples("R0", 1, 100, 10) == ([], 0)  # outside the time window


def test_headers_are_redacted_and_budgeted() -> None:
    sampler = RequestSampler()
    big = tuple((f"x-h{i}", "v" * 1000) for i in range(20))
    sampler.emit(_event(1.0, None, (("Cookie", "session=secret"), ("Authorization", "Bearer t"), *big)))
    (sample,), _ = sampler.samples(ALL_REQUESTS, 0, 2, 1)
    assert (
        dict(sample.headers)["Cookie"] == "<redacted>"
        and dict(sample.headers)["Authorization"] == "<redacted>"
    )
    assert sum(len(n) + len(v) for n, v in sample.headers) <= HEADER_BUDGET
    shape = sample.to_shape()
    assert shape["Request"]["URI"] == "/p?a=1" and shape["Action"] == "ALLOW" and shape["Weight"] == 1


def test_rule_metric_names_map_to_rings() -> None:
    acl = {
        "VisibilityConfig": {"MetricName": "acl-metric"},
        "Rules": [{"Name": "A", "VisibilityConfig": {"MetricName": "a-metric"}}],
    }
    assert rule_key("acl-metric", acl) == ALL_REQUESTS
    assert rule_key("a-metric", acl) == "A" and rule_key("A", acl) == "A"
    assert rule_key("Default_Action", acl) == "Default_Action"
    assert rule_key("other", acl) is None
