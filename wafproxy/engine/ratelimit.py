"""Exact sliding-window rate limiting: the algorithm, with no I/O and no clock (``now`` comes in).

The promise (issue 5): for limit L and window W, in ANY window of length W the requests let
through for one key are at most L, from L = 1, and request L+1 is refused at once. AWS WAF
(fixed evaluation, blocking "within 30 s") and Envoy's fixed windows (up to 2L at a boundary)
do not keep it. ``docs/ratelimit.md`` compares sliding log, sliding window counter and GCRA
with measured numbers; the outcome is this hybrid:

* ``ExactLog`` (L <= ``EXACT_MAX``): the timestamps of the allowed requests still inside the
  window, as uint32 milliseconds in a compact ``array``. Exact both ways: never more than L in
  a window, never a refusal the ideal limiter would not make (up to 1 ms of quantisation).
* ``BucketRing`` (larger L): B + 1 counters of width ceil(W / B). A request is counted until its
  whole bucket is out of the window, so the limiter is conservative: never more than L in any
  window, and at most one bucket (W / B) late in letting a key back in. Memory is fixed
  (independent of L), which is what keeps a tracked key under ~200 bytes.

Per-key state is a fixed-size record in a per-rule ``array`` slab (no object per key: every
byte is per key); the policy objects below are created once per rule and hold the parameters.
Times are integer milliseconds; records keep them modulo 2**32 and compare ages modulo 2**32,
which is sound because a store drops keys idle for longer than their window long before the
49 days a wrap takes.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Protocol

EXACT_MAX = 16
"""Largest limit kept as an exact log (16 x 4 bytes); above it, a bucket ring."""
DEFAULT_BUCKETS = 31
"""Buckets per window for ``BucketRing``: at most W/31 (3 %) late in letting a key back in.
B + 1 must be a power of two so ring slots stay consistent when indices wrap modulo 2**32."""
MIN_WINDOW_SECONDS = 1
MAX_WINDOW_SECONDS = 3600

_MASK = 0xFFFFFFFF
_HALF = 0x80000000


class RateLimitError(ValueError):
    """An impossible rate-based rule parameter; ``path`` names it (e.g. ``Limit``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def _age(now_ms: int, then_ms: int) -> int:
    """Milliseconds from ``then_ms`` to ``now_ms``, both modulo 2**32.

    A timestamp "in the future" (the clock stepped back, or another process's clock is ahead)
    has age 0: it keeps counting, so a clock step can never let extra requests through.
    """
    age = (now_ms - then_ms) & _MASK
    return 0 if age >= _HALF else age


class Limiter(Protocol):
    """A rate policy for one (limit, window): how to create, update and read one key's record.

    A key's state is a fixed-size record of ``record_size`` items at ``base`` in an
    ``array(typecode)`` slab. Stores keep one slab per rule, so a tracked key costs its record
    plus a slot number, not an object of its own (see docs/ratelimit.md for the bytes).
    """

    @property
    def limit(self) -> int: ...

    @property
    def window_ms(self) -> int: ...

    @property
    def typecode(self) -> str:
        """The ``array`` typecode of the slab holding this limiter's records."""
        ...

    @property
    def record_size(self) -> int:
        """Items per key in the slab."""
        ...

    def init(self, buf: array[int], base: int, now_ms: int) -> None: ...

    def hit(self, buf: array[int], base: int, now_ms: int, wait: bool = True) -> int:
        """Record one request at ``now_ms``; 0 when let through, else ms until one would be
        (just 1 when ``wait`` is False: a refused request under a flood need not pay for it)."""
        ...

    def count(self, buf: array[int], base: int, now_ms: int) -> int:
        """Requests let through that still count at ``now_ms`` (no update)."""
        ...

    def is_idle(self, buf: array[int], base: int, now_ms: int) -> bool:
        """True when nothing in the record counts any more: the key can be dropped exactly."""
        ...

    def new_state(self, now_ms: int) -> array[int]:
        """A standalone one-record state (base 0), for tests and single keys."""
        ...


@dataclass(frozen=True, slots=True)
class ExactLog:
    """Sliding log of the allowed timestamps still in the window; exact for any arrival order.

    Record (``array('I')``): ``[n, t_0, ..., t_{L-1}]``, the first ``n`` timestamps in use,
    oldest first.

    >>> log = ExactLog(limit=2, window_ms=1000); s = log.new_state(0)
    >>> [log.hit(s, 0, t) for t in (0, 10, 20, 1001, 1011)]
    [0, 0, 981, 0, 0]
    """

    limit: int
    window_ms: int

    @property
    def typecode(self) -> str:
        return "I"

    @property
    def record_size(self) -> int:
        return self.limit + 1

    def init(self, buf: array[int], base: int, now_ms: int) -> None:
        buf[base] = 0

    def new_state(self, now_ms: int) -> array[int]:
        return array("I", bytes(4 * self.record_size))

    def hit(self, buf: array[int], base: int, now_ms: int, wait: bool = True) -> int:
        n = buf[base]
        first = base + 1
        # Oldest first; an entry counts while its age is <= W ms (ms quantisation errs on the
        # side of counting: a real gap < W always has an ms gap <= W).
        expired = 0
        window = self.window_ms
        while expired < n and _age(now_ms, buf[first + expired]) > window:
            expired += 1
        if expired:
            n -= expired
            buf[first : first + n] = buf[first + expired : first + expired + n]
        if n < self.limit:
            buf[first + n] = now_ms & _MASK
            buf[base] = n + 1
            return 0
        buf[base] = n
        return window - _age(now_ms, buf[first]) + 1

    def count(self, buf: array[int], base: int, now_ms: int) -> int:
        window = self.window_ms
        return sum(1 for i in range(buf[base]) if _age(now_ms, buf[base + 1 + i]) <= window)

    def is_idle(self, buf: array[int], base: int, now_ms: int) -> bool:
        n = buf[base]
        return n == 0 or _age(now_ms, buf[base + n]) > self.window_ms


@dataclass(frozen=True, slots=True)
class BucketRing:
    """B + 1 counters of allowed requests, each ``width_ms`` = ceil(W / B) wide, as a ring.

    Record: ``[index_high, index_low, count_0, ..., count_B]`` (``array('H')``: 16-bit counts,
    so L <= 65535; ``array('I')`` above). ``index`` is the newest bucket modulo 2**32; bucket
    ``j`` lives at slot ``j % (B + 1)``. A request in bucket ``j`` counts while the current
    bucket is at most ``j + B``, which covers every request less than W ago.
    """

    limit: int
    window_ms: int
    buckets: int = DEFAULT_BUCKETS

    @property
    def width_ms(self) -> int:
        return -(-self.window_ms // self.buckets)

    @property
    def typecode(self) -> str:
        return "H" if self.limit <= 0xFFFF else "I"

    @property
    def record_size(self) -> int:
        return self.buckets + 3

    def _index(self, buf: array[int], base: int) -> int:
        return (buf[base] << 16) | buf[base + 1]

    def _set_index(self, buf: array[int], base: int, index: int) -> None:
        buf[base] = index >> 16
        buf[base + 1] = index & 0xFFFF

    def init(self, buf: array[int], base: int, now_ms: int) -> None:
        for i in range(base + 2, base + self.record_size):
            buf[i] = 0
        self._set_index(buf, base, (now_ms // self.width_ms) & _MASK)

    def new_state(self, now_ms: int) -> array[int]:
        state = array(self.typecode, bytes(array(self.typecode).itemsize * self.record_size))
        self.init(state, 0, now_ms)
        return state

    def _advance(self, buf: array[int], base: int, now_ms: int) -> int:
        """Zero the buckets that left the window; returns the current bucket index (mod 2**32)."""
        current = (now_ms // self.width_ms) & _MASK
        ring = self.buckets + 1
        newest = self._index(buf, base)
        gap = (current - newest) & _MASK
        if gap >= _HALF:  # clock stepped back: keep counting into the newest bucket
            return newest
        if gap:
            slots = base + 2
            if gap >= ring:
                for i in range(slots, slots + ring):
                    buf[i] = 0
            else:
                for step in range(1, gap + 1):
                    buf[slots + ((newest + step) & _MASK) % ring] = 0
            self._set_index(buf, base, current)
        return current

    def hit(self, buf: array[int], base: int, now_ms: int, wait: bool = True) -> int:
        current = self._advance(buf, base, now_ms)
        ring = self.buckets + 1
        slots = base + 2
        total = sum(buf[slots : slots + ring])
        if total < self.limit:
            buf[slots + current % ring] += 1
            return 0
        if not wait:
            return 1
        # Refused: walk from the oldest bucket until enough of them have left the window.
        width = self.width_ms
        for back in range(self.buckets, -1, -1):
            total -= buf[slots + ((current - back) & _MASK) % ring]
            if total < self.limit:
                # That bucket stops counting when the current bucket passes it by B.
                leaves = (now_ms // width - back + self.buckets + 1) * width
                return max(1, leaves - now_ms)
        return self.window_ms  # unreachable: an empty ring has total 0

    def count(self, buf: array[int], base: int, now_ms: int) -> int:
        current = (now_ms // self.width_ms) & _MASK
        newest = self._index(buf, base)
        gap = (current - newest) & _MASK
        if gap >= _HALF:
            gap = 0
        if gap > self.buckets:
            return 0
        ring = self.buckets + 1
        slots = base + 2
        return sum(buf[slots + ((newest - back) & _MASK) % ring] for back in range(self.buckets + 1 - gap))

    def is_idle(self, buf: array[int], base: int, now_ms: int) -> bool:
        return self.count(buf, base, now_ms) == 0


def choose(
    limit: int, window_seconds: int, *, exact_max: int = EXACT_MAX, buckets: int = DEFAULT_BUCKETS
) -> ExactLog | BucketRing:
    """The limiter for one rate-based rule: an exact log for small limits, a bucket ring above.

    Validates once (compile time), so ``hit`` never has to.
    """
    if not isinstance(limit, int) or limit < 1:
        raise RateLimitError("Limit", f"must be an integer >= 1, got {limit!r}")
    if not isinstance(window_seconds, int) or not MIN_WINDOW_SECONDS <= window_seconds <= MAX_WINDOW_SECONDS:
        raise RateLimitError(
            "EvaluationWindowSec",
            f"must be an integer from {MIN_WINDOW_SECONDS} to {MAX_WINDOW_SECONDS}, got {window_seconds!r}",
        )
    if limit > 0xFFFFFFFF:
        raise RateLimitError("Limit", "must fit in 32 bits")
    if buckets < 1 or (buckets + 1) & buckets:
        raise RateLimitError("buckets", f"buckets + 1 must be a power of two, got {buckets}")
    window_ms = window_seconds * 1000
    if limit <= exact_max:
        return ExactLog(limit, window_ms)
    return BucketRing(limit, window_ms, buckets)


def to_ms(now: float) -> int:
    """Epoch seconds to integer milliseconds (floor), the unit every limiter works in."""
    return int(now * 1000)
