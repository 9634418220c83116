"""One of several processes hammering one Redis: prints the times of the requests let through.

``python -m tests.stores.redis_worker URL LIMIT WINDOW START_AT DURATION CONCURRENCY CLOCK``

With CLOCK ``redis`` the times are Redis' (when the script counted the request), with
``caller`` this process's ``time.time()`` passed to the store.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from wafproxy.engine.ratecheck import RateCheck
from wafproxy.stores.redis import RedisRateStore


async def main(
    url: str, limit: int, window: int, start_at: float, duration: float, concurrency: int, clock: str
) -> None:
    store = RedisRateStore(url, timeout=1.0, clock=clock)  # type: ignore[arg-type]
    check = RateCheck("acl/shared", "203.0.113.9", limit, window)
    allowed: list[float] = []
    refused = 0

    async def client() -> None:
        nonlocal refused
        while (now := time.time()) < start_at + duration:
            verdict = await store.decide(check, now)
            if verdict.refused:
                refused += 1
            else:
                allowed.append(verdict.counted_at if verdict.counted_at is not None else now)

    await asyncio.sleep(max(0.0, start_at - time.time()))
    await asyncio.gather(*(client() for _ in range(concurrency)))
    await store.aclose()
    print(json.dumps({"allowed": allowed, "refused": refused, "fallbacks": store.fallbacks}))


if __name__ == "__main__":
    url, limit, window, start_at, duration, concurrency, clock = sys.argv[1:8]
    asyncio.run(main(url, int(limit), int(window), float(start_at), float(duration), int(concurrency), clock))
