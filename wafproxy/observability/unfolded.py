"""Per-request counts kept in plain ints and lists until they are folded into prometheus series.

``WafMetrics.observe`` used to queue every event and tally the queue later (``tally.Tally``): a
dozen Python calls per event on top of the queueing. A plain request (no rule matched, no label)
touches a fixed set of values: its (web ACL, action) counter, two histograms, perhaps the
oversize counter and the upstream counter and histogram. Those are now incremented in place,
under one uncontended lock, in the ``Unfolded*`` objects below, and ``fold`` adds them to the
prometheus values (through prometheus-client's own locked ``inc``, as the tally did) when the
registry is collected, after ``FLUSH_SECONDS``, every ``FLUSH_EVERY`` events, or at each loop
tick in multiprocess mode. Same series, same values: a histogram amount lands in the bucket
``Histogram.observe`` would choose (the first bound >= amount: ``bisect_left``).
"""

from __future__ import annotations

from collections.abc import Callable

from wafproxy.observability.tally import Buckets, Inc


class UnfoldedHistogram:
    """Bucket counts and the sum of amounts not yet added to one histogram child."""

    __slots__ = ("bounds", "counts", "total", "target")

    def __init__(self, target: Buckets) -> None:
        self.target = target
        self.bounds = target.bounds
        self.counts = [0] * len(target.bounds)
        self.total = 0.0

    def take(self) -> Callable[[], None] | None:
        """Zero the counts (under the caller's lock); the returned call adds them to the child."""
        counts = self.counts
        if not any(counts):
            return None
        total = self.total
        self.counts = [0] * len(counts)
        self.total = 0.0
        buckets = self.target.buckets
        add_sum = self.target.add_sum

        def apply() -> None:
            add_sum(total)
            for i, n in enumerate(counts):
                if n:
                    buckets[i].inc(n)

        return apply


class UnfoldedCounter:
    """Increments not yet added to one counter child."""

    __slots__ = ("n", "inc")

    def __init__(self, inc: Inc) -> None:
        self.inc = inc
        self.n = 0

    def take(self) -> Callable[[], None] | None:
        n = self.n
        if not n:
            return None
        self.n = 0
        inc = self.inc
        return lambda: inc(n)


class UnfoldedRequests:
    """What plain requests of one (web ACL, action) add: the counter, the evaluation and body
    histograms, the oversize counter."""

    __slots__ = ("requests", "evaluation", "body", "oversize")

    def __init__(self, requests: Inc, evaluation: Buckets, body: Buckets, oversize: Inc) -> None:
        self.requests = UnfoldedCounter(requests)
        self.evaluation = UnfoldedHistogram(evaluation)
        self.body = UnfoldedHistogram(body)
        self.oversize = UnfoldedCounter(oversize)

    def parts(self) -> tuple[UnfoldedCounter | UnfoldedHistogram, ...]:
        return (self.requests, self.evaluation, self.body, self.oversize)


def take_all(parts: list[UnfoldedCounter | UnfoldedHistogram]) -> list[Callable[[], None]]:
    """Zero every part (call under the lock that guards the increments); apply the result after."""
    out = []
    for part in parts:
        apply = part.take()
        if apply is not None:
            out.append(apply)
    return out
