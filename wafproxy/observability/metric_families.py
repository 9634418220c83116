"""The Prometheus metric families of the WAF (issue 6) and the label caps that keep them bounded.

Split from ``metrics`` so that the definition of what is exported (names, help texts, labels,
buckets, multiprocess merge modes) and the calls that are not per request (reloads, IP-set sizes,
fail-open, dropped log records) read apart from the batched per-request counting in
``metrics.WafMetrics``, which subclasses ``MetricFamilies``.

Labels are bounded by construction: only names that come from configuration (web ACL, rule, rule
group, label, IP set) or closed sets (action, status code, reason) — never client IP, URI or user
agent. Configuration-derived values are still capped per label (``_Cap``), so a runaway config or a
bug cannot grow the registry without limit; overflow lands in the value ``__other__``.
"""

from __future__ import annotations

import platform
import threading
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from wafproxy import __version__

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
CHILD_CACHE_MAX = 20000


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


def status_code_label(code: int | str) -> str:
    try:
        n = int(code)
    except (TypeError, ValueError):
        return "error" if code == "error" else OTHER
    return str(n) if 100 <= n <= 599 else OTHER



class MetricFamilies:
    """The series of one wafproxy process's registry, and the updates that are not per request.

    Defining the families registers them in ``registry``: a subclass that must hook the registry
    first (``WafMetrics``: flush before collection) does so before calling this ``__init__``.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
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

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = metric.labels(*labels)
            if len(self._children) < CHILD_CACHE_MAX:
                self._children[key] = child
        return child

    # -- not per request ---------------------------------------------------------------------

    def upstream_request(self, code: int | str, seconds: float | None = None) -> None:
        """One upstream exchange outside a ``RequestEvent`` (``code`` may be ``"error"``)."""
        self._child(self.upstream_requests, status_code_label(code)).inc()
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
