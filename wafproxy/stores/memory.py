"""Rate counts in process memory: the embedded default ``RateStore``.

Bounded and cheap per key (issue 5: a cap on tracked keys, <= ~200 bytes each, 100,000 active
keys without slowing requests):

* One table per rule (``RateCheck.rule_id``). Each key's state is a fixed-size record in the
  table's ``array`` slab (see ``engine.ratelimit``); the table maps key -> slot number. A
  tracked key costs its dict entry and string, one int, and the record: ~150-180 bytes.
* Recency is two generations of plain dicts (``new``/``old``), an O(1) approximation of LRU
  without OrderedDict's extra ~45 bytes a key: a hit moves its key into ``new``; when ``new``
  holds half the cap, or the generation is older than the rule's window, ``old`` is dropped
  and ``new`` becomes ``old``. A rotation by age loses nothing (every key in ``old`` has been
  idle longer than the window, so it no longer counts); a rotation by size evicts keys that
  were not seen for a whole generation, and those still counting are tallied in ``evictions``.
* A rotation does not walk the dropped generation at once (100,000 keys took 0.1-0.5 s, on one
  request, stalling every other connection of the loop): the generation is set aside as it was
  (``retiring``) and each later request frees ``RETIRE_STEP`` of its slots, judging each key at
  the rotation's time exactly as the rotation would have. Its slots stay unused until then, so
  a table holds at most 1.5 × ``max_keys`` records for a while; ``evictions`` settles the rest
  when read.
* Counters live under ``rule_id``, so a web ACL reload that keeps a rule (same id, same limit
  and window) keeps counting; ``forget_rules`` drops the tables of rules a reload removed.

Not thread-safe: one store per event loop (uvicorn runs the app on one thread per worker).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from wafproxy.engine.ratecheck import RateCheck
from wafproxy.engine.ratelimit import DEFAULT_BUCKETS, EXACT_MAX, Limiter, choose, to_ms

DEFAULT_MAX_KEYS = 200_000
"""Tracked keys per rule: 100,000 active keys fit in one generation with no eviction."""
RETIRE_STEP = 32
"""Slots of a dropped generation freed per request (a rotation's work, spread out)."""


@dataclass(frozen=True, slots=True)
class RateVerdict:
    """The answer for one hit: refuse it or not, and when the key may send again."""

    refused: bool
    retry_after_seconds: int = 0
    counted_at: float | None = None
    """Epoch seconds the store counted the request at, when that is not the caller's ``now``
    (``RedisRateStore`` with the Redis clock)."""


class _RuleTable:
    """The keys of one rate-based rule: slot numbers in two generations, records in a slab."""

    __slots__ = ("limiter", "buf", "free", "new", "old", "started_ms", "half_cap", "size", "lost", "blank",
                 "retiring", "retired_ms")

    def __init__(self, limiter: Limiter, max_keys: int, now_ms: int) -> None:
        self.limiter = limiter
        self.buf: array[int] = array(limiter.typecode)
        self.free: list[int] = []
        self.new: dict[str, int] = {}
        self.old: dict[str, int] = {}
        self.started_ms = now_ms
        self.half_cap = max(1, max_keys // 2)
        self.size = limiter.record_size
        self.lost = 0
        self.blank: array[int] = array(limiter.typecode, bytes(self.buf.itemsize * self.size))
        self.retiring: dict[str, int] = {}  # the generation the last rotation dropped, not yet freed
        self.retired_ms = now_ms

    def _rotate(self, now_ms: int) -> None:
        self.retire(len(self.retiring))  # what is left of the one before (a quiet table)
        self.retiring = self.old
        self.retired_ms = now_ms
        self.old = self.new
        self.new = {}
        self.started_ms = now_ms

    def retire(self, n: int) -> None:
        """Free ``n`` slots of the dropped generation; a key still counting at the rotation is lost."""
        retiring = self.retiring
        limiter, buf, size, when, free = self.limiter, self.buf, self.size, self.retired_ms, self.free
        for _ in range(min(n, len(retiring))):
            slot = retiring.popitem()[1]
            if not limiter.is_idle(buf, slot * size, when):  # untouched since: no key maps to it
                self.lost += 1
            free.append(slot)

    def _slot_for(self, key: str, now_ms: int) -> int:
        if len(self.new) >= self.half_cap or now_ms - self.started_ms > self.limiter.window_ms:
            self._rotate(now_ms)
        if self.retiring:
            self.retire(RETIRE_STEP)
        slot = self.new.get(key)
        if slot is not None:
            return slot
        slot = self.old.pop(key, None)
        if slot is None:
            if self.free:
                slot = self.free.pop()
            else:
                slot = len(self.buf) // self.size
                self.buf.extend(self.blank)
            self.limiter.init(self.buf, slot * self.size, now_ms)
        self.new[key] = slot
        return slot

    def hit(self, key: str, now_ms: int, wait: bool = True) -> int:
        slot = self._slot_for(key, now_ms)
        return self.limiter.hit(self.buf, slot * self.size, now_ms, wait)

    def limited(self, now_ms: int) -> list[str]:
        limiter, buf, size = self.limiter, self.buf, self.size
        return [
            key
            for generation in (self.old, self.new)
            for key, slot in generation.items()
            if limiter.count(buf, slot * size, now_ms) >= limiter.limit
        ]

    def __len__(self) -> int:
        return len(self.new) + len(self.old)


class MemoryRateStore:
    """``RateStore`` in process memory, exact per key (see ``engine.ratelimit``), bounded.

    ``max_keys`` caps tracked keys per rule. ``exact_max`` and ``buckets`` choose between the
    exact log and the bucket ring (``engine.ratelimit.choose``).
    """

    def __init__(
        self, *, max_keys: int = DEFAULT_MAX_KEYS, exact_max: int = EXACT_MAX, buckets: int = DEFAULT_BUCKETS
    ) -> None:
        if max_keys < 2:
            raise ValueError(f"max_keys: must be >= 2, got {max_keys}")
        self.max_keys = max_keys
        self.exact_max = exact_max
        self.buckets = buckets
        self._tables: dict[str, _RuleTable] = {}

    def _table(self, check: RateCheck, now_ms: int) -> _RuleTable:
        table = self._tables.get(check.rule_id)
        if table is not None:
            limiter = table.limiter
            if limiter.limit == check.limit and limiter.window_ms == check.window_seconds * 1000:
                return table
        # New rule, or its Limit / EvaluationWindowSec changed on reload: start counting afresh.
        fresh = choose(check.limit, check.window_seconds, exact_max=self.exact_max, buckets=self.buckets)
        table = _RuleTable(fresh, self.max_keys, now_ms)
        self._tables[check.rule_id] = table
        return table

    def decide(self, check: RateCheck, now: float) -> RateVerdict:
        """Record one request; whether to refuse it and the ``Retry-After`` (whole seconds, >= 1)."""
        now_ms = to_ms(now)
        wait_ms = self._table(check, now_ms).hit(check.key, now_ms)
        if wait_ms == 0:
            return RateVerdict(False)
        return RateVerdict(True, max(1, -(-wait_ms // 1000)))

    def hit(self, check: RateCheck, now: float) -> bool:
        """``ports.RateStore``: True when ``check.key`` is over its limit (refuse the request)."""
        now_ms = to_ms(now)
        return self._table(check, now_ms).hit(check.key, now_ms, wait=False) != 0

    def limited_keys(self, rule_id: str, now: float) -> list[str]:
        """Keys the next request of which would be refused (like GetRateBasedStatementManagedKeys)."""
        table = self._tables.get(rule_id)
        return [] if table is None else table.limited(to_ms(now))

    def forget_rules(self, keep: Iterable[str]) -> None:
        """After a reload: drop the counters of every rule not in ``keep``."""
        kept = set(keep)
        for rule_id in [r for r in self._tables if r not in kept]:
            del self._tables[rule_id]

    def tracked_keys(self, rule_id: str | None = None) -> int:
        """Keys held (for one rule, or all): for metrics and tests."""
        if rule_id is not None:
            table = self._tables.get(rule_id)
            return 0 if table is None else len(table)
        return sum(len(t) for t in self._tables.values())

    @property
    def evictions(self) -> int:
        """Keys dropped by the cap while they still counted (each may over-admit once)."""
        for table in self._tables.values():
            table.retire(len(table.retiring))
        return sum(t.lost for t in self._tables.values())
