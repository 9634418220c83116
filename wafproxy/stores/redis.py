"""Rate counts in Redis: one limit for every uvicorn worker and every proxy host (``--redis URL``).

Each hit is one atomic Lua script (``ratelimit_log.lua`` for limits <= ``EXACT_MAX``: a sorted
set of allowed times; ``ratelimit_ring.lua`` above: a hash of bucket counts), the same two
algorithms as ``engine.ratelimit``, so the promise holds across processes: in any window of
length W at most L requests are let through per key, whatever order the scripts run in (a
request's time is counted against every entry within W of it, earlier or later). Keys carry a
PEXPIRE slightly longer than their window, so Redis forgets idle keys on its own.

When Redis is unreachable (connection refused, or no answer within ``timeout``, 50 ms by
default, so a hit falls back in well under 100 ms) the store answers from local memory with
the limit divided by ``processes`` (the K replicas sharing the limit; floor, at least 1), or
lets everything through (``on_failure="open"``) or refuses everything (``"closed"``). It logs
the change once, counts it (``fallbacks``, ``fallback_hits``, and the ``on_state_change``
callback for metrics), retries Redis at most once per ``retry_interval`` seconds and, when an
attempt succeeds, goes back to the shared counts (re-converges) and drops the local ones.

Time: with ``clock="redis"`` (the default) the scripts read Redis' own clock (TIME), so every
process and host counts on one clock, in the order the scripts run: exact across processes.
With ``clock="caller"`` they use the ``now`` the caller passes (deterministic tests, or one
process): across processes that is exact only up to the delay between a client reading its
clock and its script running, because a later client may already have purged entries the
delayed one still has to count (measured in docs/ratelimit.md). Skew never loosens the limit
(entries ahead of ``now`` keep counting).
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from wafproxy.engine.ratecheck import RateCheck
from wafproxy.engine.ratelimit import DEFAULT_BUCKETS, EXACT_MAX, BucketRing, ExactLog, choose, to_ms
from wafproxy.stores.memory import MemoryRateStore, RateVerdict

log = logging.getLogger(__name__)

OnFailure = Literal["local", "open", "closed"]
ClockSource = Literal["redis", "caller"]
_HERE = Path(__file__).parent
_LOG_LUA = (_HERE / "ratelimit_log.lua").read_text()
_RING_LUA = (_HERE / "ratelimit_ring.lua").read_text()
_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)


class RedisRateStore:
    """``AsyncRateStore`` backed by Redis, with a local fallback while Redis is down.

    ``processes`` (K): how many proxy processes share each limit; while Redis is down each one
    enforces ``limit // K`` locally so the fleet stays near L. ``prefix`` namespaces the keys.
    Not for sharing between event loops: create one per loop (per uvicorn worker).
    """

    def __init__(
        self,
        url: str,
        *,
        processes: int = 1,
        on_failure: OnFailure = "local",
        clock: ClockSource = "redis",
        timeout: float = 0.05,
        retry_interval: float = 1.0,
        prefix: str = "wafproxy:rate:",
        exact_max: int = EXACT_MAX,
        buckets: int = DEFAULT_BUCKETS,
        max_local_keys: int = 100_000,
        max_connections: int = 256,
        on_state_change: Callable[[bool], None] | None = None,
    ) -> None:
        if processes < 1:
            raise ValueError(f"processes: must be >= 1, got {processes}")
        if on_failure not in ("local", "open", "closed"):
            raise ValueError(f"on_failure: must be local, open or closed, got {on_failure!r}")
        if clock not in ("redis", "caller"):
            raise ValueError(f"clock: must be redis or caller, got {clock!r}")
        self.clock: ClockSource = clock
        self.processes = processes
        self.on_failure: OnFailure = on_failure
        self.retry_interval = retry_interval
        self.prefix = prefix
        self.exact_max = exact_max
        self.buckets = buckets
        self.on_state_change = on_state_change
        # A blocking pool: more hits in flight than connections wait (up to ``timeout``) for one
        # instead of failing at once, which redis-py's default pool reports as MaxConnectionsError
        # and this store would take for "Redis down" (seen at 500 concurrent hits, 100 connections).
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),  # fall back at once; we retry on our own schedule
        )
        self.redis = aioredis.Redis(connection_pool=pool)
        self._log_script = self.redis.register_script(_LOG_LUA)
        self._ring_script = self.redis.register_script(_RING_LUA)
        self._local = MemoryRateStore(max_keys=max_local_keys, exact_max=exact_max, buckets=buckets)
        self._members = itertools.count()
        self._member_prefix = f"{os.getpid()}:{id(self):x}:"
        self._rules: dict[str, tuple[int, int]] = {}  # rule_id -> (limit, window) seen here
        self.available = True
        self._last_attempt = float("-inf")
        self.fallbacks = 0
        """Times Redis became unavailable (each logged once)."""
        self.fallback_hits = 0
        """Hits answered without Redis (locally, open or closed)."""
        self._refused_until: dict[tuple[str, str, int, int], float] = {}
        self._max_refusals = max_local_keys
        self.cached_refusals = 0
        """Hits refused from the local refusal cache, without a Redis round trip."""

    async def decide(self, check: RateCheck, now: float) -> RateVerdict:
        """Record one request; whether to refuse it and the ``Retry-After`` (whole seconds).

        A refusal from Redis says when the key could next pass; until then every request would
        be refused too (other processes can only add entries, and refused requests are not
        counted), so they are refused here without a round trip. The deadline is taken from
        the caller's clock read before the script ran, so it is never later than Redis' own.
        """
        cache_key = (check.rule_id, check.key, check.limit, check.window_seconds)
        until = self._refused_until.get(cache_key)
        if until is not None:
            if now < until:
                self.cached_refusals += 1
                return RateVerdict(True, max(1, math.ceil(until - now)))
            del self._refused_until[cache_key]
        if not self.available and now - self._last_attempt < self.retry_interval:
            return self._fallback(check, now)
        self._last_attempt = now
        try:
            wait_ms, at_ms = await self._run(check, to_ms(now) if self.clock == "caller" else "")
        except _UNAVAILABLE as exc:
            self._went_down(exc)
            return self._fallback(check, now)
        if not self.available:
            self._came_back()
        at = at_ms / 1000 if self.clock == "redis" else None
        if wait_ms == 0:
            return RateVerdict(False, counted_at=at)
        self._remember_refusal(cache_key, now + wait_ms / 1000, now)
        return RateVerdict(True, max(1, -(-wait_ms // 1000)), at)

    def _remember_refusal(self, cache_key: tuple[str, str, int, int], until: float, now: float) -> None:
        table = self._refused_until
        if len(table) >= self._max_refusals:
            for stale in [k for k, t in table.items() if t <= now]:
                del table[stale]
            if len(table) >= self._max_refusals:
                table.clear()  # bounded: forgetting a refusal only costs a round trip
        table[cache_key] = until

    async def hit(self, check: RateCheck, now: float) -> bool:
        """``ports.AsyncRateStore``: True when ``check.key`` is over its limit (refuse)."""
        return (await self.decide(check, now)).refused

    async def _run(self, check: RateCheck, now_ms: int | str) -> tuple[int, int]:
        limiter = _limiter(check.limit, check.window_seconds, self.exact_max, self.buckets)
        if len(self._rules) < 10_000:
            self._rules[check.rule_id] = (check.limit, check.window_seconds)
        key = self.redis_key(check)
        if isinstance(limiter, BucketRing):
            args = [now_ms, limiter.window_ms, limiter.limit, limiter.width_ms, limiter.buckets]
            wait_ms, at_ms = await self._ring_script(keys=[key], args=args)
        else:
            member = f"{self._member_prefix}{next(self._members)}"
            args = [now_ms, limiter.window_ms, limiter.limit, member]
            wait_ms, at_ms = await self._log_script(keys=[key], args=args)
        return int(wait_ms), int(at_ms)

    def redis_key(self, check: RateCheck) -> str:
        """``PREFIX + log|ring + ":" + rule_id + NUL + key``: the kind is part of the name, so a
        reload moving a rule's Limit across ``exact_max`` starts afresh instead of hitting a key
        of the other type (WRONGTYPE); NUL cannot occur in a rule id."""
        return self._key(self._kind(check.limit, check.window_seconds), check.rule_id, check.key)

    def _kind(self, limit: int, window_seconds: int) -> str:
        limiter = _limiter(limit, window_seconds, self.exact_max, self.buckets)
        return "ring" if isinstance(limiter, BucketRing) else "log"

    def _key(self, kind: str, rule_id: str, key: str) -> str:
        return f"{self.prefix}{kind}:{rule_id}\x00{key}"

    def _fallback(self, check: RateCheck, now: float) -> RateVerdict:
        self.fallback_hits += 1
        if self.on_failure == "open":
            return RateVerdict(False)
        if self.on_failure == "closed":
            return RateVerdict(True, max(1, int(self.retry_interval)))
        share = RateCheck(
            check.rule_id, check.key, max(1, check.limit // self.processes), check.window_seconds
        )
        return self._local.decide(share, now)

    def _went_down(self, exc: BaseException) -> None:
        if not self.available:
            return
        self.available = False
        self.fallbacks += 1
        # The exception type only: messages can carry the URL, and URLs can carry a password.
        log.warning(
            "redis unavailable (%s): rate limits now %s per process",
            type(exc).__name__,
            {"local": f"local at limit/{self.processes}", "open": "open", "closed": "closed"}[
                self.on_failure
            ],
        )
        if self.on_state_change is not None:
            self.on_state_change(False)

    def _came_back(self) -> None:
        self.available = True
        # Shared counts are authoritative again; local ones would only be stale next outage.
        self._local = MemoryRateStore(
            max_keys=self._local.max_keys, exact_max=self.exact_max, buckets=self.buckets
        )
        log.warning("redis available again: rate limits shared")
        if self.on_state_change is not None:
            self.on_state_change(True)

    async def limited_keys(self, rule_id: str, now: float) -> list[str]:
        """Keys of ``rule_id`` over their limit (GetRateBasedStatementManagedKeys), via SCAN.

        Knows the limit of rules this process has seen; others return []. O(keys of the rule).
        """
        if rule_id not in self._rules:
            return []
        limit, window = self._rules[rule_id]
        limiter = _limiter(limit, window, self.exact_max, self.buckets)
        now_ms = to_ms(now)
        head = self._key(self._kind(limit, window), rule_id, "")
        out = []
        async for raw in self.redis.scan_iter(match=_glob_escape(head) + "*", count=500):
            name = raw.decode() if isinstance(raw, bytes) else str(raw)
            if isinstance(limiter, BucketRing):
                current = now_ms // limiter.width_ms
                counts = await self.redis.hgetall(name)
                total = sum(int(v) for k, v in counts.items() if int(k) >= current - limiter.buckets)
            else:
                total = await self.redis.zcount(name, now_ms - limiter.window_ms, "+inf")
            if total >= limit:
                out.append(name[len(head) :])
        return out

    def forget_rules(self, keep: Iterable[str]) -> None:
        """After a reload: stop tracking removed rules here (their Redis keys expire on their own)."""
        kept = set(keep)
        self._rules = {r: v for r, v in self._rules.items() if r in kept}
        self._local.forget_rules(kept)

    async def aclose(self) -> None:
        await self.redis.aclose()
        await self.redis.connection_pool.disconnect()  # a pool we passed in is not closed for us


@functools.lru_cache(maxsize=1024)
def _limiter(limit: int, window_seconds: int, exact_max: int, buckets: int) -> ExactLog | BucketRing:
    """Validated once per (limit, window), not once per request."""
    return choose(limit, window_seconds, exact_max=exact_max, buckets=buckets)


def _glob_escape(text: str) -> str:
    """Escape SCAN MATCH glob characters so a rule id is matched literally."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)
