"""WafMetrics tallies queued events in batches: the series end up exactly as if each event had been
added on its own, and any collection (render, get_sample_value) sees every event emitted so far."""

from __future__ import annotations

import asyncio
import math
import threading

import pytest
from prometheus_client import CollectorRegistry, Histogram

from tests.observability import factories as f
from wafproxy.observability import metrics as metrics_mod
from wafproxy.observability.metric_families import EVALUATION_BUCKETS
from wafproxy.observability.metrics import WafMetrics
from wafproxy.observability.tally import histogram

ALLOWED = f.event(f.allowed_decision(), upstream_seconds=0.003, response_status=200)
BLOCKED = f.event()


def _count(m: WafMetrics, action: str) -> float | None:
    return m.registry.get_sample_value("wafproxy_requests_total", {"web_acl": "main", "action": action})


def test_a_scrape_sees_every_event_emitted_before_it() -> None:
    m = WafMetrics()

    async def serve() -> tuple[float | None, str]:
        for _ in range(5):
            m.emit(ALLOWED)
        m.emit(BLOCKED)
        seen = _count(m, "ALLOW")  # queued, not flushed yet: the collection flushes first
        for _ in range(3):
            m.emit(ALLOWED)
        body = m.render()[0].decode()
        m.emit(ALLOWED)
        return seen, body

    seen, body = asyncio.run(serve())
    assert seen == 5
    assert 'wafproxy_requests_total{action="ALLOW",web_acl="main"} 8.0' in body
    assert _count(m, "ALLOW") == 9 and _count(m, "BLOCK") == 1
    upstream = m.registry.get_sample_value("wafproxy_upstream_request_duration_seconds_count")
    assert upstream == 9
    assert m.registry.get_sample_value("wafproxy_upstream_request_duration_seconds_sum") == 9 * 0.003
    assert m.registry.get_sample_value("wafproxy_upstream_requests_total", {"code": "200"}) == 9
    assert m.registry.get_sample_value("wafproxy_oversize_requests_total", {"web_acl": "main"}) == 1


def _direct(m: WafMetrics) -> float:
    """The series' value read without a collection (no flush on the way)."""
    return float(m.requests.labels("main", "ALLOW")._value.get())


def test_a_full_batch_is_added_at_once() -> None:
    m = WafMetrics()

    async def burst() -> float:
        for _ in range(metrics_mod.FLUSH_EVERY):
            m.emit(ALLOWED)
        return _direct(m)

    assert asyncio.run(burst()) == metrics_mod.FLUSH_EVERY


def test_a_quiet_loop_adds_its_queue_after_flush_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics_mod, "FLUSH_SECONDS", 0.01)
    m = WafMetrics()

    async def few() -> float:
        for _ in range(3):
            m.emit(ALLOWED)
        for _ in range(3000):  # polled, up to 30 s on a loaded machine
            if _direct(m) >= 3:
                break
            await asyncio.sleep(0.01)
        return _direct(m)

    assert asyncio.run(few()) == 3


def test_batched_and_one_by_one_record_the_same_series() -> None:
    one_by_one, batched = WafMetrics(), WafMetrics()
    failed = f.event(f.allowed_decision(), upstream_seconds=0.2, response_status=502)
    events = [ALLOWED, BLOCKED, ALLOWED, failed]
    for event in events * 3:
        one_by_one.emit(event)  # no running loop: added at once

    async def burst() -> None:
        for event in events * 3:
            batched.emit(event)

    asyncio.run(burst())

    def samples(m: WafMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return {(s.name, tuple(sorted(s.labels.items()))): s.value for fam in m.registry.collect()
                for s in fam.samples if not s.name.endswith("_created")}

    got, want = samples(batched), samples(one_by_one)
    assert got.keys() == want.keys()
    for key, value in want.items():
        if key[0].endswith("_sum"):  # a tick's amounts are summed first: float association only
            assert math.isclose(got[key], value, rel_tol=1e-12), key
        else:
            assert got[key] == value, key


def test_observe_many_matches_histogram_observe() -> None:
    amounts = [0.0, 5e-6, 5.1e-6, 3e-4, 0.25, 7.0, math.inf, -1.0, *EVALUATION_BUCKETS]
    ref_reg, fast_reg = CollectorRegistry(), CollectorRegistry()
    ref = Histogram("h", "h", buckets=EVALUATION_BUCKETS, registry=ref_reg)
    for amount in amounts:
        ref.observe(amount)
    histogram(Histogram("h", "h", buckets=EVALUATION_BUCKETS, registry=fast_reg)).observe_many(amounts)

    def samples(r: CollectorRegistry) -> dict[tuple[str, str], float]:
        return {(s.name, s.labels.get("le", "")): s.value for fam in r.collect() for s in fam.samples
                if not s.name.endswith("_created")}

    fast, slow = samples(fast_reg), samples(ref_reg)
    assert fast.keys() == slow.keys()
    for key, value in slow.items():
        assert math.isclose(fast[key], value, rel_tol=1e-12), key


def test_threads_and_a_loop_emitting_at_once_lose_nothing() -> None:
    m = WafMetrics()
    per_thread = 2000

    def plain() -> None:  # no loop in this thread: each event is added at once
        for _ in range(per_thread):
            m.emit(ALLOWED)

    async def looped() -> None:
        for i in range(per_thread):
            m.emit(ALLOWED)
            if i % 50 == 0:
                await asyncio.sleep(0)

    threads = [threading.Thread(target=plain) for _ in range(3)]
    threads += [threading.Thread(target=asyncio.run, args=(looped(),)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _count(m, "ALLOW") == 5 * per_thread


def test_plain_requests_of_alternating_web_acls_and_actions_count_under_their_own_labels() -> None:
    """The in-place path remembers the last (web ACL, action): a request of another one, or an
    equal web ACL name that is another string object, must still land on its own series."""
    from wafproxy.engine.decision import Action, Decision

    m = WafMetrics()
    other = "".join(["ma", "in"])  # equal to "main", not the same object
    assert other == "main" and other is not "main"  # noqa: F632 - the point of the test
    plan = [("main", Action.ALLOW), ("edge", Action.ALLOW), ("main", Action.BLOCK), (other, Action.ALLOW),
            ("main", Action.ALLOW), ("edge", Action.BLOCK), ("main", Action.ALLOW)]

    async def serve() -> None:
        for web_acl, action in plan * 3:
            m.emit(f.event(Decision(action=action), web_acl=web_acl))

    asyncio.run(serve())
    got = {(acl, action): m.registry.get_sample_value("wafproxy_requests_total",
                                                      {"web_acl": acl, "action": action})
           for acl in ("main", "edge") for action in ("ALLOW", "BLOCK")}
    assert got == {("main", "ALLOW"): 12, ("main", "BLOCK"): 3, ("edge", "ALLOW"): 3, ("edge", "BLOCK"): 3}
