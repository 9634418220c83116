"""The per-request half of ``WafMetrics``: a plain request counted in place, compiled.

``WafMetrics`` subclasses prometheus-client's types at run time, so mypyc cannot compile it, and
its ``observe`` ran as ~200 interpreted bytecodes on every request (~11 k machine instructions of
a compiled served GET's ~117 k, issue 11). The counting itself needs none of that: a plain
request (no rule matched, no label) adds to a few ints and floats (``unfolded``). ``PlainLane``
is that counting as a plain class the mypyc build compiles; the dispatcher calls its ``emit``
directly (``WafMetrics.emit`` is this lane's), and it hands every other event, a first (web ACL,
action) or upstream status to bind, a full batch and the flush timer back to its ``WafMetrics``.
Same series, same values as before (``tests/observability``).
"""

from __future__ import annotations

import threading
from typing import Final, Protocol

from wafproxy.events import RequestEvent
from wafproxy.observability.unfolded import UnfoldedCounter, UnfoldedHistogram, UnfoldedRequests

#: Plain requests counted in place before they are folded into the series (``WafMetrics.flush``).
FLUSH_EVERY: Final = 256


class Owner(Protocol):
    """What the lane asks of its ``WafMetrics`` (all of it rare: not once per request)."""

    flush_armed: bool

    def bind_plain(self, web_acl: str, action: object) -> None: ...

    def bind_upstream(self, status: int) -> None: ...

    def queue(self, event: RequestEvent) -> None: ...

    def flush(self) -> None: ...

    def arm(self) -> None: ...


class PlainLane:
    """The in-place counts of plain requests, by (web ACL, action) and by upstream status."""

    def __init__(self, owner: Owner, upstream: UnfoldedHistogram | None) -> None:
        self.owner = owner
        self.lock = threading.Lock()  # guards every count below against a concurrent fold
        self.plain: dict[tuple[str, object], UnfoldedRequests] = {}
        self.upstream: dict[int, UnfoldedCounter] = {}
        self.up_hist = upstream  # the upstream duration histogram, when countable in place
        # The last (web ACL, action) counted and its counts: most requests repeat it, and two
        # identity checks cost less than the dict lookup (its key's hash calls Enum.__hash__).
        self.last: tuple[object, object, UnfoldedRequests | None] = (None, None, None)
        self.unfolded = 0  # plain requests counted since the last fold

    def emit(self, event: RequestEvent) -> None:
        """Count one request: in place when plain (then a full batch folds, or the flush timer is
        armed), else queued by the owner for its general tally."""
        decision = event.decision
        if decision.matches or decision.non_terminating or decision.labels:
            self.owner.queue(event)
            return
        web_acl, action = event.web_acl, decision.action
        last_acl, last_action, plain = self.last
        if web_acl is not last_acl or action is not last_action:
            plain = self.plain.get((web_acl, action))
            if plain is None:  # the first of its kind: bind its series (None: not countable in place)
                self.owner.bind_plain(web_acl, action)
                plain = self.plain.get((web_acl, action))
            if plain is not None:  # one store: another thread sees all of it or none
                self.last = (web_acl, action, plain)
        upstream = event.upstream_seconds
        up: UnfoldedCounter | None = None
        if upstream is not None:
            status = event.response_status
            up = self.upstream.get(status)
            if up is None:
                self.owner.bind_upstream(status)
                up = self.upstream.get(status)
        seconds = event.evaluation_seconds
        up_hist = self.up_hist
        # NaN goes the general way (prometheus-client decides where it lands).
        if plain is None or seconds != seconds or (upstream is not None and (
                up is None or up_hist is None or upstream != upstream)):
            self.owner.queue(event)
            return
        size = event.request.body_size
        lock = self.lock
        lock.acquire()  # not ``with``: two calls instead of looking up and calling both dunders
        try:
            plain.requests.n += 1
            h = plain.evaluation
            h.counts[first_at_least(h.bounds, seconds)] += 1
            h.total += seconds
            h = plain.body
            h.counts[first_at_least(h.bounds, size)] += 1
            h.total += size
            if decision.oversize:
                plain.oversize.n += 1
            if up is not None and up_hist is not None and upstream is not None:
                up.n += 1
                up_hist.counts[first_at_least(up_hist.bounds, upstream)] += 1
                up_hist.total += upstream
            self.unfolded += 1
            full = self.unfolded >= FLUSH_EVERY
        finally:
            lock.release()
        if full:
            self.owner.flush()
        elif not self.owner.flush_armed:
            self.owner.arm()


def first_at_least(bounds: list[float], amount: float) -> int:
    """``bisect_left(bounds, amount)`` (the bucket ``Histogram.observe`` picks: the first bound >=
    ``amount``) for a number that is not NaN, without a call into the ``bisect`` module: compiled,
    a loop over unboxed floats costs a fraction of that call's argument parsing."""
    lo, hi = 0, len(bounds)
    while lo < hi:
        mid = (lo + hi) // 2
        if bounds[mid] < amount:
            lo = mid + 1
        else:
            hi = mid
    return lo
