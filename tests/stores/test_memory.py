"""MemoryRateStore: exact per key, bounded, cheap per key, counters surviving reloads."""

from __future__ import annotations

import random
import tracemalloc

import pytest

from tests.engine.test_ratelimit import max_in_window
from wafproxy.engine.ratecheck import RateCheck
from wafproxy.stores.memory import MemoryRateStore

T0 = 1_764_000_000.0


def check(key: str, limit: int = 5, window: int = 10, rule: str = "acl/rule") -> RateCheck:
    return RateCheck(rule_id=rule, key=key, limit=limit, window_seconds=window)


@pytest.mark.parametrize("limit", [1, 5, 40])
def test_interleaved_keys_each_stay_within_limit(limit: int) -> None:
    rng = random.Random(limit)
    store = MemoryRateStore(max_keys=1000)
    keys = [f"10.0.0.{i}" for i in range(20)]
    allowed: dict[str, list[float]] = {k: [] for k in keys}
    t = T0
    for _ in range(20_000):
        t += rng.expovariate(200.0)
        key = rng.choice(keys[:3]) if rng.random() < 0.7 else rng.choice(keys)
        if not store.hit(check(key, limit), t):
            allowed[key].append(t)
    for key in keys:
        assert max_in_window(allowed[key], 10.0) <= limit
        assert len(allowed[key]) >= limit  # each key got its quota at least once
    assert store.evictions == 0


def test_request_limit_plus_one_refused_with_retry_after() -> None:
    store = MemoryRateStore()
    verdicts = [store.decide(check("a", limit=3, window=60), T0 + i * 0.001) for i in range(4)]
    assert [v.refused for v in verdicts] == [False, False, False, True]
    assert verdicts[3].retry_after_seconds == 60
    assert not store.hit(check("a", limit=3, window=60), T0 + 60.001)


def test_cap_evicts_the_least_recently_seen_keys() -> None:
    store = MemoryRateStore(max_keys=10)
    hot = check("hot", limit=2, window=60)
    assert not store.hit(hot, T0)
    assert not store.hit(hot, T0)
    for i in range(100):
        store.hit(check(f"spray-{i}", limit=2, window=60), T0 + 1)
        assert store.hit(hot, T0 + 1)  # seen all along: still counted, still refused
        assert store.tracked_keys() <= 10
    assert store.evictions > 0  # spray keys still in their window were dropped (and tallied)


def test_idle_keys_leave_without_loss() -> None:
    store = MemoryRateStore(max_keys=100)
    for i in range(40):
        store.hit(check(f"k{i}", window=1), T0)
    for step in range(1, 4):
        store.hit(check("other", window=1), T0 + 1.5 * step)
    assert store.tracked_keys() == 1
    assert store.evictions == 0


def test_counters_survive_a_reload_that_keeps_the_rule() -> None:
    store = MemoryRateStore()
    kept, removed = check("ip", limit=2, rule="acl/kept"), check("ip", limit=2, rule="acl/gone")
    for c in (kept, removed):
        store.hit(c, T0)
        store.hit(c, T0)
    store.forget_rules({"acl/kept"})
    assert store.hit(kept, T0 + 1)  # still over the limit
    assert not store.hit(removed, T0 + 1)  # counts dropped with the rule
    assert not store.hit(check("ip", limit=3, rule="acl/kept"), T0 + 1)  # limit changed: afresh


def test_limited_keys_lists_the_keys_over_their_limit() -> None:
    store = MemoryRateStore()
    for key, n in (("198.51.100.1", 3), ("198.51.100.2", 1), ("2001:db8::/64", 5)):
        for _ in range(n):
            store.hit(check(key, limit=3), T0)
    assert sorted(store.limited_keys("acl/rule", T0 + 1)) == ["198.51.100.1", "2001:db8::/64"]
    assert store.limited_keys("acl/rule", T0 + 11) == []
    assert store.limited_keys("acl/none", T0) == []


def bytes_per_key(limit: int, window: int, n: int = 5_000) -> float:
    """Traced bytes per key, key strings included (built inside the traced region)."""
    store = MemoryRateStore(max_keys=4 * n)
    store.hit(check("warm", limit, window), T0)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(n):
        c = check(f"203.0.{i // 256}.{i % 256}", limit, window)  # typical IPv4 aggregate keys
        for _ in range(min(limit, 3)):
            store.hit(c, T0 + i * 1e-4)
    del c
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / n


@pytest.mark.parametrize(
    ("limit", "window", "budget"), [(10, 60, 200), (16, 300, 200), (100, 300, 200), (2000, 300, 200)]
)
def test_bytes_per_tracked_key(limit: int, window: int, budget: int) -> None:
    measured = bytes_per_key(limit, window)
    print(f"\nbytes per tracked key, L={limit} W={window}: {measured:.0f}")
    assert measured <= budget


def _spray(store: MemoryRateStore, rng: random.Random, n: int) -> list[bool]:
    """Hot keys among a spray of fresh ones, over several windows: many rotations of both kinds."""
    t, out = T0, []
    for i in range(n):
        t += rng.expovariate(50.0)
        key = f"hot-{rng.randrange(5)}" if rng.random() < 0.3 else f"spray-{i}"
        out.append(store.hit(check(key, limit=3, window=2), t))
    return out


def test_a_rotation_spread_over_requests_decides_as_one_done_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Freeing the dropped generation a few slots per request changes no verdict and no eviction
    count against freeing it all on the first request after the rotation."""
    from wafproxy.stores import memory

    monkeypatch.setattr(memory, "RETIRE_STEP", 10**9)
    at_once = MemoryRateStore(max_keys=64)
    expected = _spray(at_once, random.Random(7), 5000)
    monkeypatch.setattr(memory, "RETIRE_STEP", 1)
    spread = MemoryRateStore(max_keys=64)
    assert _spray(spread, random.Random(7), 5000) == expected
    assert spread.evictions == at_once.evictions > 0
    assert spread.tracked_keys() == at_once.tracked_keys()


def test_no_request_walks_a_whole_dropped_generation() -> None:
    from wafproxy.stores.memory import RETIRE_STEP

    store = MemoryRateStore(max_keys=400)  # a generation is 200 keys
    for i in range(200):
        store.hit(check(f"k{i}"), T0)
    for i in range(200):  # the first rotates: k* become the old generation
        store.hit(check(f"j{i}"), T0)
    table = next(iter(store._tables.values()))
    assert not table.retiring
    store.hit(check("x"), T0)  # rotates again: the k* generation is dropped
    assert len(table.retiring) == 200 - RETIRE_STEP  # one step of the work, not the whole walk
    store.hit(check("y"), T0)
    assert len(table.retiring) == 200 - 2 * RETIRE_STEP
    assert store.evictions == 200  # all still counting when dropped (settled on read)
    assert not table.retiring
