"""One of several processes hammering one Redis: prints the times of the requests let through.

``python -m tests.stores.redis_worker URL LIMIT WINDOW DURATION CONCURRENCY CLOCK``

The start is a barrier, not a guess: the worker connects, prints ``ready``, and waits for the
parent to write the common start time on stdin (so an interpreter slow to import on a loaded
machine never shortens its share of the run). With CLOCK ``redis`` the times are Redis' (when
the script counted the request), with ``caller`` this process's ``time.time()`` passed to the
store; ``max_delay`` is the longest time from reading that clock to the answer, which bounds how
stale a caller's clock can be when its script runs.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from wafproxy.engine.ratecheck import RateCheck
from wafproxy.stores.redis import RedisRateStore

# Generous for 2 shared cores: a Redis answer slower than this counts as a fallback, which the
# test asserts never happens.
TIMEOUT = 10.0


async def main(url: str, limit: int, window: int, duration: float, concurrency: int, clock: str) -> None:
    store = RedisRateStore(url, timeout=TIMEOUT, clock=clock)  # type: ignore[arg-type]
    check = RateCheck("acl/shared", "203.0.113.9", limit, window)
    allowed: list[float] = []
    refused = 0
    max_delay = 0.0

    async def client() -> None:
        nonlocal refused, max_delay
        while (now := time.time()) < start_at + duration:
            verdict = await store.decide(check, now)
            max_delay = max(max_delay, time.time() - now)
            if verdict.refused:
                refused += 1
                # A refusal from the store's local cache returns without awaiting anything: yield,
                # or this client spins alone and starves the others' answers for up to a window.
                await asyncio.sleep(0)
            else:
                allowed.append(verdict.counted_at if verdict.counted_at is not None else now)

    await store.redis.ping()
    print("ready", flush=True)
    start_at = float(await asyncio.to_thread(sys.stdin.readline))
    await asyncio.sleep(max(0.0, start_at - time.time()))  # a shared instant, not a condition
    await asyncio.gather(*(client() for _ in range(concurrency)))
    await store.aclose()
    print(json.dumps({"allowed": allowed, "refused": refused, "fallbacks": store.fallbacks,
                      "max_delay": max_delay}))


if __name__ == "__main__":
    url, limit, window, duration, concurrency, clock = sys.argv[1:7]
    asyncio.run(main(url, int(limit), int(window), float(duration), int(concurrency), clock))
