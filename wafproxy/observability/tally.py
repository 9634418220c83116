"""Adding many observations to prometheus-client series at once: one locked update per series.

prometheus-client guards every value with a lock (``MutexValue.inc``: a Python call and a
``with lock``; in multiprocess mode a global lock and a memory-mapped write). A forwarded request
touches six values that way (requests, two histogram buckets and sums, the upstream counter and
its histogram): ~32,000 machine instructions per request (callgrind), about a tenth of the proxy
path with an empty web ACL (issue 11). ``WafMetrics`` therefore queues each request's event and
tallies a batch of them here, adding each series' total once.

A ``Tally`` is local to one flush, so two threads flushing at once never share one; the values
are still added through prometheus-client's own (locked) ``inc``. Histograms put each amount in
the bucket ``Histogram.observe`` would (the first bound >= amount) and add the amounts to the sum
in one ``inc``; NaN goes through prometheus-client's own ``observe``.
"""

from __future__ import annotations

import atexit
import weakref
from bisect import bisect_left
from collections.abc import Callable, Iterable
from typing import Any

Inc = Callable[[float], None]


def incrementer(child: Any) -> Inc:
    """``inc(amount)`` of a counter child without its per-call checks (the value's own ``inc``,
    thread-safe in both value classes); ``child.inc`` if prometheus-client's layout changes."""
    value = getattr(child, "_value", None)
    if value is None or not hasattr(value, "inc"):
        return child.inc  # type: ignore[no-any-return]
    return value.inc  # type: ignore[no-any-return]


class Buckets:
    """A histogram child's buckets and sum, for a binary search instead of ``observe``'s scan."""

    __slots__ = ("bounds", "buckets", "add_sum", "slow")

    def __init__(self, bounds: list[float], buckets: list[Any], add_sum: Inc, slow: Inc) -> None:
        self.bounds = bounds
        self.buckets = buckets
        self.add_sum = add_sum
        self.slow = slow

    def observe(self, amount: float) -> None:
        """What ``Histogram.observe(amount)`` records, one amount."""
        i = bisect_left(self.bounds, amount)
        if i >= len(self.bounds) or amount != amount:  # NaN (or no +Inf bound): prometheus decides
            self.slow(amount)
            return
        self.add_sum(amount)
        self.buckets[i].inc(1)

    def observe_many(self, amounts: Iterable[float]) -> None:
        """What ``observe`` of each amount records, with one update per bucket touched."""
        bounds = self.bounds
        n = len(bounds)
        counts: dict[int, int] = {}
        total = 0.0
        summed = False
        for amount in amounts:
            i = bisect_left(bounds, amount)
            if i >= n or amount != amount:
                self.slow(amount)
                continue
            counts[i] = counts.get(i, 0) + 1
            total += amount
            summed = True
        if summed:
            self.add_sum(total)
        buckets = self.buckets
        for i, count in counts.items():
            buckets[i].inc(count)


def buckets_of(child: Any) -> Buckets | None:
    """The ``Buckets`` of a histogram child, or None when its layout is not the known one."""
    bounds = getattr(child, "_upper_bounds", None)
    buckets = getattr(child, "_buckets", None)
    total = getattr(child, "_sum", None)
    if bounds is None or buckets is None or total is None or len(bounds) != len(buckets):
        return None
    return Buckets(list(bounds), list(buckets), total.inc, child.observe)


class _SlowBuckets:
    """A histogram child whose layout is unknown: its own ``observe``, amount by amount."""

    __slots__ = ("observe",)

    def __init__(self, child: Any) -> None:
        self.observe: Inc = child.observe

    def observe_many(self, amounts: Iterable[float]) -> None:
        for amount in amounts:
            self.observe(amount)


def histogram(child: Any) -> Buckets | _SlowBuckets:
    """``observe`` / ``observe_many`` of a histogram child (binary-searched when possible)."""
    return buckets_of(child) or _SlowBuckets(child)


class Tally:
    """Counts and histogram amounts gathered from a batch of events, applied in one pass."""

    __slots__ = ("counts", "amounts")

    def __init__(self) -> None:
        self.counts: dict[Inc, float] = {}
        self.amounts: dict[Any, list[float]] = {}

    def count(self, inc: Inc, n: float = 1) -> None:
        counts = self.counts
        counts[inc] = counts.get(inc, 0) + n

    def amount(self, hist: Buckets | _SlowBuckets, value: float) -> None:
        found = self.amounts.get(hist)
        if found is None:
            self.amounts[hist] = [value]
        else:
            found.append(value)

    def apply(self) -> None:
        for inc, n in self.counts.items():
            inc(n)
        for hist, values in self.amounts.items():
            hist.observe_many(values)


class _FlushFirst:
    """Flushes queued observations when the registry is collected; yields no series itself."""

    def __init__(self, flush: Callable[[], None]) -> None:
        self._flush = weakref.WeakMethod(flush)  # type: ignore[arg-type]

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> list[Any]:
        flush = self._flush()
        if flush is not None:
            flush()
        return []


def _flush_at_exit(ref: weakref.WeakMethod[Callable[[], None]]) -> None:
    flush = ref()
    if flush is not None:
        flush()


def flush_on_collect(registry: Any, flush: Callable[[], None]) -> None:
    """Call ``flush`` (a bound method, held weakly) before every collection of ``registry``
    (``generate_latest``, ``get_sample_value``: register this before the series it feeds) and at
    interpreter exit (a worker that stops between a request and its tick's flush still counts it)."""
    registry.register(_FlushFirst(flush))
    atexit.register(_flush_at_exit, weakref.WeakMethod(flush))  # type: ignore[arg-type]
