"""Prometheus series of the WAF (issue 6): the AWS WAF CloudWatch counters plus proxy health.

``WafMetrics`` is an ``EventSink``: the adapter calls ``emit(event)`` once per request and serves
``render()`` on ``/metrics``. Series that are not per request (reloads, IP-set sizes, open
connections, fail-open) have helper methods called where those things happen.

Labels are bounded by construction: only names that come from configuration (web ACL, rule, rule
group, label, IP set) or closed sets (action, status code, reason) — never client IP, URI or user
agent. Configuration-derived values are still capped per label (``_Cap``), so a runaway config or a
bug cannot grow the registry without limit; overflow lands in the value ``__other__``.

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
import platform
import threading
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _mp

from wafproxy import __version__
from wafproxy.events import RequestEvent
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
OTHER = "__other__"

# Engine evaluation takes microseconds to a few milliseconds; default Prometheus buckets (5 ms..10 s)
# would put every observation in the first bucket.
# fmt: off
EVALUATION_BUCKETS: tuple[float, ...] = (
    5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25,
)
UPSTREAM_BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)
# Around the 8 KiB / 16 KiB AWS body inspection limits, then up to large uploads.
BODY_BUCKETS: tuple[float, ...] = (
    0, 256, 1024, 4096, 8192, 16384, 65536, 262144, 1048576, 8388608, 67108864,
)
# fmt: on

# Per-label caps on distinct values (per process).
_CAP_WEB_ACL = 64
_CAP_RULE = 2000
_CAP_RULE_GROUP = 256
_CAP_LABEL = 2000
_CAP_IP_SET = 512
_CAP_REASON = 32
_CAP_RESULT = 8
_CAP_SINK = 32
# Cached label children (saves the labels() lookup on the hot path); beyond this, no caching.
_CHILD_CACHE_MAX = 20000
_CAP_STATUS = 1024
# Batches of queued events (``WafMetrics.observe``): a batch's locked updates cost about what one
# request's used to, so they are spread over up to FLUSH_EVERY requests (and its memory bounded).
FLUSH_EVERY = 256
FLUSH_SECONDS = 1.0  # the longest a direct read of a series' value lags (scrapes flush first)


class _Cap:
    """Admits at most ``limit`` distinct values of one label; later newcomers become ``__other__``."""

    __slots__ = ("_seen", "_limit", "_lock")

    def __init__(self, limit: int) -> None:
        self._seen: set[str] = set()
        self._limit = limit
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        with self._lock:
            if len(self._seen) < self._limit:
                self._seen.add(value)
                return value
        return OTHER


def _status_code(code: int | str) -> str:
    try:
        n = int(code)
    except (TypeError, ValueError):
        return "error" if code == "error" else OTHER
    return str(n) if 100 <= n <= 599 else OTHER


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


class WafMetrics:
    """The metric registry of one wafproxy process, and an ``EventSink``.

    One per process: in multiprocess mode two instances would share (and clobber) the same
    memory-mapped series.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self._cap_acl = _Cap(_CAP_WEB_ACL)
        self._cap_rule = _Cap(_CAP_RULE)
        self._cap_group = _Cap(_CAP_RULE_GROUP)
        self._cap_label = _Cap(_CAP_LABEL)
        self._cap_ip_set = _Cap(_CAP_IP_SET)
        self._cap_reason = _Cap(_CAP_REASON)
        self._cap_result = _Cap(_CAP_RESULT)
        self._cap_sink = _Cap(_CAP_SINK)
        self._children: dict[tuple[object, ...], Any] = {}
        # Per (web ACL, action): the bound series one request touches (see ``_bind``).
        self._bound: dict[tuple[str, object], _Bound] = {}
        self._upstream_bound: dict[object, Inc] = {}
        # Events not yet added to the series (at most FLUSH_EVERY): appended per request
        # (lock-free: ``deque.append`` is atomic), tallied in batches (``observe``, ``flush``).
        self._pending: deque[RequestEvent] = deque()
        self._flush_armed = False
        # Plain requests (no match, no label) are counted in place instead (``unfolded``), under
        # ``_lock``; ``_parts`` lists everything ``flush`` folds into the series.
        self._lock = threading.Lock()
        self._plain: dict[tuple[str, object], UnfoldedRequests] = {}
        self._plain_upstream: dict[object, UnfoldedCounter] = {}
        self._parts: list[UnfoldedCounter | UnfoldedHistogram] = []
        self._unfolded = 0  # plain requests counted since the last fold
        flush_on_collect(self.registry, self.flush)  # before our series: a collection flushes first

        self.requests = Counter(
            "wafproxy_requests",
            "Requests evaluated, by terminating action.",
            ["web_acl", "action"],
            registry=r,
        )
        self.rule_matches = Counter(
            "wafproxy_rule_matches",
            "Rule matches (terminating or not), by rule and the action it took.",
            ["web_acl", "rule_group", "rule", "action"],
            registry=r,
        )
        self.label_matches = Counter(
            "wafproxy_label_matches",
            "Labels added to requests by matching rules.",
            ["web_acl", "label"],
            registry=r,
        )
        self.evaluation_duration = Histogram(
            "wafproxy_evaluation_duration_seconds",
            "Time the engine spent evaluating one request.",
            ["web_acl"],
            buckets=EVALUATION_BUCKETS,
            registry=r,
        )
        self.upstream_requests = Counter(
            "wafproxy_upstream_requests",
            "Requests forwarded upstream, by response status code.",
            ["code"],
            registry=r,
        )
        self.upstream_duration = Histogram(
            "wafproxy_upstream_request_duration_seconds",
            "Upstream round trip of forwarded requests.",
            buckets=UPSTREAM_BUCKETS,
            registry=r,
        )
        self.request_body_bytes = Histogram(
            "wafproxy_request_body_bytes",
            "Request body size (declared or observed).",
            ["web_acl"],
            buckets=BODY_BUCKETS,
            registry=r,
        )
        self.oversize_requests = Counter(
            "wafproxy_oversize_requests",
            "Requests whose body exceeded the inspection limit.",
            ["web_acl"],
            registry=r,
        )
        self.fail_open_total = Counter(
            "wafproxy_fail_open",
            "Requests let through because evaluation failed (fail-open).",
            ["reason"],
            registry=r,
        )
        self.open_connections = Gauge(
            "wafproxy_open_connections",
            "Client connections currently open (summed over workers).",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.config_reloads = Counter(
            "wafproxy_config_reloads",
            "Configuration reloads, by result (success / failure).",
            ["result"],
            registry=r,
        )
        self.config_last_reload_success = Gauge(
            "wafproxy_config_last_reload_success_timestamp_seconds",
            "Epoch seconds of the last successful configuration reload.",
            registry=r,
            multiprocess_mode="max",
        )
        self.ip_set_entries_gauge = Gauge(
            "wafproxy_ip_set_entries",
            "Addresses/CIDRs currently in each IP set.",
            ["ip_set"],
            registry=r,
            multiprocess_mode="mostrecent",
        )
        self.build_info_gauge = Gauge(
            "wafproxy_build_info",
            "Always 1; labels carry the running version.",
            ["version", "python_version"],
            registry=r,
            multiprocess_mode="max",
        )
        self.waf_log_dropped_total = Counter(
            "wafproxy_waf_log_records_dropped",
            "WAF log records dropped (queue full, write error).",
            ["reason"],
            registry=r,
        )
        self.sink_errors = Counter(
            "wafproxy_event_sink_errors",
            "Exceptions raised by per-request event subscribers.",
            ["sink"],
            registry=r,
        )
        self.build_info(__version__)
        self._upstream_hist = histogram(self.upstream_duration)
        self._upstream_unfolded = _unfolded_histogram(self._upstream_hist)
        if self._upstream_unfolded is not None:
            self._parts.append(self._upstream_unfolded)

    # -- per request -------------------------------------------------------------------------

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = metric.labels(*labels)
            if len(self._children) < _CHILD_CACHE_MAX:
                self._children[key] = child
        return child

    def _bind(self, web_acl: str, action: Any) -> _Bound:
        acl = self._cap_acl(web_acl)
        bound = _Bound(
            incrementer(self._child(self.requests, acl, action.value)),
            histogram(self._child(self.evaluation_duration, acl)),
            histogram(self._child(self.request_body_bytes, acl)),
            incrementer(self._child(self.oversize_requests, acl)),
        )
        if len(self._bound) < _CHILD_CACHE_MAX:
            self._bound[(web_acl, action)] = bound
            evaluation, body = _unfolded_histogram(bound.evaluation), _unfolded_histogram(bound.body)
            if evaluation is not None and body is not None:
                plain = UnfoldedRequests(bound.requests, evaluation.target, body.target, bound.oversize)
                self._parts.extend(plain.parts())
                self._plain[(web_acl, action)] = plain
        return bound

    def observe(self, event: RequestEvent) -> None:
        """Count one request. Upstream series are recorded here when the request was forwarded
        (``event.upstream_seconds`` set); do not also call ``upstream_request`` for it.

        Hot path (once per request): a plain request (no rule match, no label) is counted in
        place (``unfolded``: a few int and float additions under one lock); any other event is
        queued (``deque.append``, no lock) and tallied with the others. ``flush`` adds both to the
        series, so prometheus-client's locked updates happen once per series per batch instead
        of six per request. A batch ends at ``FLUSH_EVERY`` events, at every collection of the
        registry (a scrape sees every event emitted before it), after ``FLUSH_SECONDS`` on this
        thread's event loop, or - in multiprocess mode, where another process renders from this
        one's files - at the end of the current loop tick. Without a running loop in this thread
        (tests, synchronous callers) the event is added at once.
        """
        decision = event.decision
        if not (decision.matches or decision.non_terminating or decision.labels):
            plain = self._plain.get((event.web_acl, decision.action))
            if plain is None:  # the first of its kind: bind its series (None: not countable in place)
                self._bind(event.web_acl, decision.action)
                plain = self._plain.get((event.web_acl, decision.action))
            upstream = event.upstream_seconds
            up = None
            if upstream is not None:
                up = self._plain_upstream.get(event.response_status)
                if up is None:
                    self._upstream_inc(event.response_status)
                    up = self._plain_upstream.get(event.response_status)
            seconds = event.evaluation_seconds
            size = event.request.body_size
            up_hist = self._upstream_unfolded
            # NaN goes the general way (prometheus-client decides where it lands).
            if plain is not None and seconds == seconds and (
                    upstream is None or (up is not None and up_hist is not None and upstream == upstream)):
                with self._lock:
                    plain.requests.n += 1
                    h = plain.evaluation
                    h.counts[bisect_left(h.bounds, seconds)] += 1
                    h.total += seconds
                    h = plain.body
                    h.counts[bisect_left(h.bounds, size)] += 1
                    h.total += size
                    if decision.oversize:
                        plain.oversize.n += 1
                    if up is not None and up_hist is not None:
                        up.n += 1
                        up_hist.counts[bisect_left(up_hist.bounds, upstream)] += 1
                        up_hist.total += upstream
                    self._unfolded += 1
                    full = self._unfolded >= FLUSH_EVERY
                if full:
                    self.flush()
                elif not self._flush_armed:
                    self._arm()
                return
        pending = self._pending
        pending.append(event)
        if len(pending) >= FLUSH_EVERY:
            self.flush()
        elif not self._flush_armed:
            self._arm()

    emit = observe

    def _arm(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._flush_armed = True
        if multiprocess_enabled():
            loop.call_soon(self._timed_flush)
        else:
            loop.call_later(FLUSH_SECONDS, self._timed_flush)

    def _timed_flush(self) -> None:
        self._flush_armed = False  # first: an event queued from now on arms the next one
        self.flush()

    def flush(self) -> None:
        """Add the plain requests' counts and the queued events to the series."""
        if self._unfolded:
            with self._lock:
                applies = take_all(self._parts)
                self._unfolded = 0
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
        inc = incrementer(self._child(self.upstream_requests, _status_code(status)))
        if len(self._upstream_bound) < _CAP_STATUS:
            self._upstream_bound[status] = inc
            unfolded = UnfoldedCounter(inc)
            self._parts.append(unfolded)
            self._plain_upstream[status] = unfolded
        return inc

    # -- not per request ---------------------------------------------------------------------

    def upstream_request(self, code: int | str, seconds: float | None = None) -> None:
        """One upstream exchange outside a ``RequestEvent`` (``code`` may be ``"error"``)."""
        self._child(self.upstream_requests, _status_code(code)).inc()
        if seconds is not None:
            self.upstream_duration.observe(seconds)

    def oversize(self, web_acl: str) -> None:
        """A request refused as oversize before evaluation (no event follows for it)."""
        self._child(self.oversize_requests, self._cap_acl(web_acl)).inc()

    def fail_open(self, reason: str) -> None:
        self._child(self.fail_open_total, self._cap_reason(reason)).inc()

    def config_reload(self, result: str, ts: float | None = None) -> None:
        """Count a reload; ``ts`` (epoch seconds) sets the last-success gauge when it succeeded."""
        self._child(self.config_reloads, self._cap_result(result)).inc()
        if result == "success" and ts is not None:
            self.config_last_reload_success.set(ts)

    def ip_set_entries(self, name: str, n: int) -> None:
        self._child(self.ip_set_entries_gauge, self._cap_ip_set(name)).set(n)

    def build_info(self, version: str) -> None:
        self.build_info_gauge.labels(version, platform.python_version()).set(1)

    def waf_log_dropped(self, reason: str = "queue_full", n: int = 1) -> None:
        self._child(self.waf_log_dropped_total, self._cap_reason(reason)).inc(n)

    def sink_error(self, sink: str) -> None:
        self._child(self.sink_errors, self._cap_sink(sink)).inc()

    # -- exposition --------------------------------------------------------------------------

    def render(self) -> tuple[bytes, str]:
        """The text exposition and its content type; merges all workers in multiprocess mode."""
        if multiprocess_enabled():
            self.flush()  # this process's own queued events, into its files
            merged = CollectorRegistry()
            _mp.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return generate_latest(merged), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

