"""Benchmark: one RedisRateStore hit (a Lua script round trip on loopback) with 100,000 keys
already in Redis, next to the in-memory store. Reported, not asserted (docs/ratelimit.md)."""

from __future__ import annotations

import asyncio
import itertools

import pytest
import redis

from tests.support.redis import RedisServer
from wafproxy.engine.ratecheck import RateCheck
from wafproxy.stores.redis import RedisRateStore

T0 = 1_764_000_000.0
KEYS = 100_000


@pytest.mark.parametrize("limit", [10, 100])
def test_redis_hit_cost_with_100k_keys(
    benchmark: pytest.FixtureRequest, redis_server: RedisServer, limit: int
) -> None:
    benchmark.group = f"redis-hit L={limit}"  # type: ignore[attr-defined]
    loop = asyncio.new_event_loop()
    store = RedisRateStore(redis_server.url, timeout=1.0)
    all_checks = [
        RateCheck("acl/rate", f"10.{i >> 16}.{i >> 8 & 255}.{i & 255}", limit, 60) for i in range(KEYS)
    ]
    sync = redis.Redis.from_url(redis_server.url)
    pipe = sync.pipeline(transaction=False)
    for c in all_checks:  # 100k tracked keys, in the shape the store itself writes
        if limit <= 16:
            pipe.zadd(store.redis_key(c), {"seed": T0 * 1000})
        else:
            pipe.hset(store.redis_key(c), str(int(T0 * 1000) // (60_000 // 31 + 1)), 1)
    pipe.execute()
    assert sync.dbsize() == KEYS
    checks = itertools.cycle(all_checks[::7])
    clock = itertools.count()

    def one_hit() -> bool:
        return loop.run_until_complete(store.hit(next(checks), T0 + next(clock) * 1e-3))

    benchmark.pedantic(one_hit, rounds=10, iterations=200, warmup_rounds=1)  # type: ignore[attr-defined]
    assert store.fallbacks == 0
    loop.run_until_complete(store.aclose())
    loop.close()
