"""Benchmark: the cost of one hit with 100 vs 100,000 tracked keys (issue 5: "must not slow
requests measurably"). Reported, not asserted: compare the two means in the benchmark table
(group ``memory-hit``); docs/ratelimit.md records the ratio measured in one run.
"""

from __future__ import annotations

import itertools
import random

import pytest

from wafproxy.engine.ratecheck import RateCheck
from wafproxy.stores.memory import MemoryRateStore

T0 = 1_764_000_000.0


@pytest.mark.parametrize("keys", [100, 100_000])
@pytest.mark.parametrize("limit", [10, 100])
def test_hit_cost_by_tracked_keys(benchmark: pytest.FixtureRequest, keys: int, limit: int) -> None:
    benchmark.group = f"memory-hit L={limit}"  # type: ignore[attr-defined]
    store = MemoryRateStore(max_keys=4 * keys)
    checks = [
        RateCheck("acl/rate", f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", limit, 60) for i in range(keys)
    ]
    for c in checks:
        store.hit(c, T0)
    random.Random(0).shuffle(checks)
    cycle = itertools.cycle(checks)
    clock = itertools.count(1)
    # Same traffic shape at both sizes: every key sends at half its limit, so every hit takes
    # the same (allowed) path and only the table size differs.
    step = 60 / (keys * limit * 0.5)

    def one_hit() -> bool:
        return store.hit(next(cycle), T0 + next(clock) * step)

    benchmark.pedantic(one_hit, rounds=20, iterations=2000, warmup_rounds=2)  # type: ignore[attr-defined]
    assert store.tracked_keys() == keys
    assert store.evictions == 0
