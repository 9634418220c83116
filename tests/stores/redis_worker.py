"""One of several processes hammering one Redis: prints the times of the requests let through.

``python -m tests.stores.redis_worker URL LIMIT WINDOW START_AT DURATION CONCURRENCY``
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from wafproxy.engine.ratecheck import RateCheck
from wafproxy.stores.redis import RedisRateStore


async def main(url: str, limit: int, window: int, start_at: float, duration: float, concurrency: int) -> None:
    store = RedisRateStore(url, timeout=1.0)
    check = RateCheck("acl/shared", "203.0.113.9", limit, window)
    allowed: list[float] = []
    refused = 0

    async def client() -> None:
        nonlocal refused
        while (now := time.time()) < start_at + duration:
            if await store.hit(check, now):
                refused += 1
            else:
                allowed.append(now)

    await asyncio.sleep(max(0.0, start_at - time.time()))
    await asyncio.gather(*(client() for _ in range(concurrency)))
    await store.aclose()
    print(json.dumps({"allowed": allowed, "refused": refused, "fallbacks": store.fallbacks}))


if __name__ == "__main__":
    url, limit, window, start_at, duration, concurrency = sys.argv[1:7]
    asyncio.run(main(url, int(limit), int(window), float(start_at), float(duration), int(concurrency)))
