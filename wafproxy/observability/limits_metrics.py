"""Prometheus series of the rate limits and the shield (issue 5), beside ``WafMetrics``.

Kept apart from ``metrics.py`` (one concept per module): these count what the layer-7 limits and
the rate stores did, not what the engine decided. Registered in ``WafMetrics``' registry, so one
``render()`` serves both; multiprocess-aware the same way (counters are summed over workers, the
Redis availability gauge takes the worst worker).

Some sources keep their own totals (``MemoryRateStore.evictions``, ``FloodGuard.events``, the
protocol class's ``shield_refusals``, ``RedisRateStore.fallback_hits``): ``sync`` adds what grew
since the last call, from a background task every few seconds, never per request. Labels are closed
sets (the shield's reasons, the flood guard's event names), still capped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from wafproxy.observability.metric_families import OTHER

_CAP_LABEL = 32


class LimitsMetrics:
    """Series: ``wafproxy_shield_rejections_total{reason}``, ``wafproxy_rate_store_fallbacks_total``,
    ``wafproxy_rate_store_fallback_hits_total``, ``wafproxy_rate_store_available``,
    ``wafproxy_rate_keys_evicted_total``, ``wafproxy_flood_events_total{event}``,
    ``wafproxy_limit_hits_total{limit}``: every bound of docs/operations.md "Bounded resources"
    (a shield refusal counts under both its reason and its limit), and
    ``wafproxy_upstream_failures_total{kind}`` (docs/operations.md, "Faults")."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.shield_rejections = Counter(
            "wafproxy_shield_rejections",
            "Requests or connections refused by the layer-7 limits, by reason.",
            ["reason"],
            registry=registry,
        )
        self.rate_store_fallbacks = Counter(
            "wafproxy_rate_store_fallbacks",
            "Times the shared rate store (Redis) became unavailable.",
            registry=registry,
        )
        self.rate_store_fallback_hits = Counter(
            "wafproxy_rate_store_fallback_hits",
            "Rate checks answered without the shared store (local, open or closed).",
            registry=registry,
        )
        self.rate_store_available = Gauge(
            "wafproxy_rate_store_available",
            "1 while the shared rate store answers (the worst worker in multiprocess mode).",
            registry=registry,
            multiprocess_mode="min",
        )
        self.rate_keys_evicted = Counter(
            "wafproxy_rate_keys_evicted",
            "Rate keys dropped by the per-rule cap while they still counted.",
            registry=registry,
        )
        self.flood_events = Counter(
            "wafproxy_flood_events",
            "Flood mitigation steps (rules derived, rejected, counting, enforcing, expired).",
            ["event"],
            registry=registry,
        )
        self.limit_hits = Counter(
            "wafproxy_limit_hits",
            "Times a resource bound was reached (docs/operations.md, Bounded resources), by limit.",
            ["limit"],
            registry=registry,
        )
        self.upstream_failures = Counter(
            "wafproxy_upstream_failures",
            "Upstream exchanges that failed, by kind (connect, tls, timeout, protocol, pool_full, "
            "mid_response: the head was sent on, the body broke, the client's connection was closed).",
            ["kind"],
            registry=registry,
        )
        self._seen: dict[str, set[str]] = {"reason": set(), "event": set(), "limit": set(), "kind": set()}
        self._last: dict[tuple[str, str], int] = {}

    def _label(self, kind: str, value: str) -> str:
        seen = self._seen[kind]
        if value in seen:
            return value
        if len(seen) < _CAP_LABEL:
            seen.add(value)
            return value
        return OTHER

    # -- callbacks (rare events, not per allowed request) ----------------------------------------

    def shield_reject(self, reason: str) -> None:
        """``ShieldMiddleware(on_reject=...)``."""
        self.shield_rejections.labels(self._label("reason", reason)).inc()
        self.limit_hit(reason)

    def limit_hit(self, limit: str, n: int = 1) -> None:
        """A bound was reached (``Inspector(on_limit=...)``, the server's own bounds)."""
        self.limit_hits.labels(self._label("limit", limit)).inc(n)

    def rate_store_state(self, available: bool) -> None:
        """``RedisRateStore(on_state_change=...)``."""
        self.rate_store_available.set(1 if available else 0)
        if not available:
            self.rate_store_fallbacks.inc()

    # -- totals kept by their sources, added as they grow ----------------------------------------

    def _grow(self, name: str, label: str, total: int) -> int:
        key = (name, label)
        last = self._last.get(key, 0)
        self._last[key] = total
        # A source replaced by a fresh one (Redis came back: new local store) starts again at 0.
        return total - last if total >= last else total

    def sync(
        self,
        *,
        rate_store: Any = None,
        flood_events: Mapping[str, int] | None = None,
        connection_refusals: Mapping[str, int] | None = None,
        upstream_failures: Mapping[str, int] | None = None,
    ) -> None:
        """Add what the sources' own totals grew by since the last call."""
        evictions = getattr(rate_store, "evictions", None)
        if isinstance(evictions, int) and (n := self._grow("evicted", "", evictions)):
            self.rate_keys_evicted.inc(n)
        hits = getattr(rate_store, "fallback_hits", None)
        if isinstance(hits, int) and (n := self._grow("fallback_hits", "", hits)):
            self.rate_store_fallback_hits.inc(n)
        local = getattr(rate_store, "_local", None)  # RedisRateStore's fallback store
        local_evictions = getattr(local, "evictions", None)
        if isinstance(local_evictions, int) and (n := self._grow("evicted_local", "", local_evictions)):
            self.rate_keys_evicted.inc(n)
        for event, total in (flood_events or {}).items():
            if n := self._grow("flood", event, total):
                self.flood_events.labels(self._label("event", event)).inc(n)
        for reason, total in (connection_refusals or {}).items():
            if n := self._grow("conn", reason, total):
                self.shield_rejections.labels(self._label("reason", reason)).inc(n)
                self.limit_hit(reason, n)
        for kind, total in (upstream_failures or {}).items():
            if n := self._grow("upstream", kind, total):
                self.upstream_failures.labels(self._label("kind", kind)).inc(n)
