"""Prometheus series of the WAF (issue 6): the AWS WAF CloudWatch counters plus proxy health.

``WafMetrics`` is an ``EventSink``: the adapter calls ``emit(event)`` once per request and serves
``render()`` on ``/metrics``. Series that are not per request (reloads, IP-set sizes, open
connections, fail-open) have helper methods called where those things happen; they and the
families themselves (names, labels, buckets, label caps) are defined in ``metric_families``. This
module is the per-request counting (batched: ``tally``, ``unfolded``) and the exposition.

Multiprocess (``uvicorn --workers N``): set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory
*before* ``prometheus_client`` is first imported (it picks its value storage at import time); every
worker then writes to memory-mapped files there and ``render()`` merges them with
``MultiProcessCollector``. Gauges declare how to merge: connections add up across workers
(``livesum``); IP-set sizes and reload timestamps are the same fact seen by each worker
(``mostrecent`` / ``max``), so they must not be summed.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections import deque
from collections.abc import Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client import multiprocess as _mp

from wafproxy.events import RequestEvent
from wafproxy.observability.metric_families import (
    CHILD_CACHE_MAX,
    MetricFamilies,
    status_code_label,
)
from wafproxy.observability.plain_lane import FLUSH_EVERY, PlainLane
from wafproxy.observability.tally import (
    Buckets,
    Inc,
    Tally,
    buckets_of,
    flush_on_collect,
    histogram,
    incrementer,
)
from wafproxy.observability.unfolded import (
    UnfoldedCounter,
    UnfoldedHistogram,
    UnfoldedRequests,
    take_all,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Upstream status codes whose counter is bound (and countable in place); beyond this, looked up.
_CAP_STATUS = 1024
# Batches of queued events (``WafMetrics.queue``): a batch's locked updates cost about what one
# request's used to, so they are spread over up to FLUSH_EVERY requests (and its memory bounded).
FLUSH_SECONDS = 1.0  # the longest a direct read of a series' value lags (scrapes flush first)


def multiprocess_enabled() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def mark_process_dead(pid: int) -> None:
    """Drop a dead worker's ``live*`` gauge files (call from the worker supervisor)."""
    if multiprocess_enabled():
        _mp.mark_process_dead(pid)  # type: ignore[no-untyped-call]


class _Bound:
    """The series one request of a (web ACL, action) touches, ready to be tallied."""

    __slots__ = ("requests", "evaluation", "body", "oversize")

    def __init__(self, requests: Inc, evaluation: Any, body: Any, oversize: Inc) -> None:
        self.requests = requests
        self.evaluation = evaluation
        self.body = body
        self.oversize = oversize


def _observer(child: Any) -> Callable[[float], None]:
    """``child.observe`` with a binary search over the bucket bounds instead of a linear scan
    and per-call checks: the same sum and the same bucket (the first bound >= amount, as
    ``Histogram.observe``). Falls back to ``child.observe`` if the layout is not the known one."""
    found = buckets_of(child)
    return child.observe if found is None else found.observe  # type: ignore[no-any-return]


def _unfolded_histogram(hist: object) -> UnfoldedHistogram | None:
    """Counts for a histogram child of the known layout whose last bound is +Inf (every amount
    but NaN has a bucket); None otherwise (its events take the general path)."""
    if isinstance(hist, Buckets) and hist.bounds and hist.bounds[-1] == math.inf:
        return UnfoldedHistogram(hist)
    return None


class WafMetrics(MetricFamilies):
    """The metric registry of one wafproxy process, and an ``EventSink``.

    One per process: in multiprocess mode two instances would share (and clobber) the same
    memory-mapped series.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        # Per (web ACL, action): the bound series one request touches (see ``_bind``).
        self._bound: dict[tuple[str, object], _Bound] = {}
        self._upstream_bound: dict[object, Inc] = {}
        # Events not yet added to the series (at most FLUSH_EVERY): appended per request
        # (lock-free: ``deque.append`` is atomic), tallied in batches (``queue``, ``flush``).
        self._pending: deque[RequestEvent] = deque()
        self.flush_armed = False
        # Everything ``flush`` folds into the series from the plain requests' in-place counts.
        self._parts: list[UnfoldedCounter | UnfoldedHistogram] = []
        flush_on_collect(registry, self.flush)  # before our series: a collection flushes first
        super().__init__(registry)
        self._upstream_hist = histogram(self.upstream_duration)
        upstream_unfolded = _unfolded_histogram(self._upstream_hist)
        if upstream_unfolded is not None:
            self._parts.append(upstream_unfolded)
        # Plain requests (no match, no label) are counted in place by the lane (compiled), under
        # its lock; the dispatcher calls the lane's ``emit`` itself (no interpreted frame).
        self._lane = PlainLane(self, upstream_unfolded)
        self.emit = self._lane.emit

    # -- per request -------------------------------------------------------------------------

    def _bind(self, web_acl: str, action: Any) -> _Bound:
        acl = self._cap_acl(web_acl)
        bound = _Bound(
            incrementer(self._child(self.requests, acl, action.value)),
            histogram(self._child(self.evaluation_duration, acl)),
            histogram(self._child(self.request_body_bytes, acl)),
            incrementer(self._child(self.oversize_requests, acl)),
        )
        if len(self._bound) < CHILD_CACHE_MAX:
            self._bound[(web_acl, action)] = bound
            evaluation, body = _unfolded_histogram(bound.evaluation), _unfolded_histogram(bound.body)
            if evaluation is not None and body is not None:
                plain = UnfoldedRequests(bound.requests, evaluation.target, body.target, bound.oversize)
                self._parts.extend(plain.parts())
                self._lane.plain[(web_acl, action)] = plain
        return bound

    def observe(self, event: RequestEvent) -> None:
        """Count one request. Upstream series are recorded here when the request was forwarded
        (``event.upstream_seconds`` set); do not also call ``upstream_request`` for it.

        Hot path (once per request, as ``emit``): a plain request (no rule match, no label) is
        counted in place by the lane (``plain_lane``: a few int and float additions under one
        lock); any other event is queued (``queue``) and tallied with the others. ``flush`` adds
        both to the series, so prometheus-client's locked updates happen once per series per batch
        instead of six per request. A batch ends at ``FLUSH_EVERY`` events, at every collection of
        the registry (a scrape sees every event emitted before it), after ``FLUSH_SECONDS`` on this
        thread's event loop, or - in multiprocess mode, where another process renders from this
        one's files - at the end of the current loop tick. Without a running loop in this thread
        (tests, synchronous callers) the event is added at once.
        """
        self._lane.emit(event)

    def queue(self, event: RequestEvent) -> None:
        """An event the lane does not count in place: tallied with the next batch."""
        pending = self._pending
        pending.append(event)
        if len(pending) >= FLUSH_EVERY:
            self.flush()
        elif not self.flush_armed:
            self.arm()

    def bind_plain(self, web_acl: str, action: Any) -> None:
        """The lane's first plain request of (web ACL, action): its series bound (``_bind``)."""
        self._bind(web_acl, action)

    def bind_upstream(self, status: int) -> None:
        """The lane's first forwarded request answered ``status``: its counter bound."""
        self._upstream_inc(status)

    def arm(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self.flush_armed = True
        if multiprocess_enabled():
            loop.call_soon(self._timed_flush)
        else:
            loop.call_later(FLUSH_SECONDS, self._timed_flush)

    def _timed_flush(self) -> None:
        self.flush_armed = False  # first: an event queued from now on arms the next one
        self.flush()

    def flush(self) -> None:
        """Add the plain requests' counts and the queued events to the series."""
        lane = self._lane
        if lane.unfolded:
            with lane.lock:
                applies = take_all(self._parts)
                lane.unfolded = 0
            for apply in applies:
                apply()
        pending = self._pending
        if not pending:
            return
        tally = Tally()
        pop = pending.popleft
        for _ in range(len(pending)):
            try:
                event = pop()
            except IndexError:  # another thread's flush took the rest
                break
            self._tally(event, tally)
        tally.apply()

    def _tally(self, event: RequestEvent, tally: Tally) -> None:
        decision = event.decision
        bound = self._bound.get((event.web_acl, decision.action))
        if bound is None:
            bound = self._bind(event.web_acl, decision.action)
        tally.count(bound.requests)
        tally.amount(bound.evaluation, event.evaluation_seconds)
        tally.amount(bound.body, event.request.body_size)
        if decision.oversize:
            tally.count(bound.oversize)
        matches = decision.matches or decision.non_terminating
        if matches or decision.labels:
            acl = self._cap_acl(event.web_acl)
            for match in matches:
                group = self._cap_group(match.rule_group) if match.rule_group else ""
                self._child(
                    self.rule_matches, acl, group, self._cap_rule(match.rule_name), match.action.value
                ).inc()
            for label in decision.labels:
                self._child(self.label_matches, acl, self._cap_label(label)).inc()
        if event.upstream_seconds is not None:
            status = event.response_status
            inc = self._upstream_bound.get(status)
            if inc is None:
                inc = self._upstream_inc(status)
            tally.count(inc)
            tally.amount(self._upstream_hist, event.upstream_seconds)

    def _upstream_inc(self, status: int) -> Inc:
        """The upstream counter of ``status``, bound (and countable in place) while under the cap."""
        inc = incrementer(self._child(self.upstream_requests, status_code_label(status)))
        if len(self._upstream_bound) < _CAP_STATUS:
            self._upstream_bound[status] = inc
            unfolded = UnfoldedCounter(inc)
            self._parts.append(unfolded)
            self._lane.upstream[status] = unfolded
        return inc

    # -- exposition --------------------------------------------------------------------------

    def render(self) -> tuple[bytes, str]:
        """The text exposition and its content type; merges all workers in multiprocess mode."""
        if multiprocess_enabled():
            self.flush()  # this process's own queued events, into its files
            merged = CollectorRegistry()
            _mp.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return generate_latest(merged), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
