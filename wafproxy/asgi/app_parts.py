"""What both data paths build alike from settings: the rate store, the flood guard, the
``Inspector``'s keyword arguments and the warning that upstream TLS verification is off.

The ASGI stack (``asgi.app.build_data_path``: ``WafMiddleware`` builds the ``Inspector``) and our
own server (``server.datapath.build_proxy``: ``ProxyHandler`` is handed one) differ in what wraps
the WAF, not in how the WAF is set up: a setting added here reaches both, so the two cannot drift.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypedDict

from wafproxy.asgi.bodyscan import BodyPolicy
from wafproxy.asgi.limits import ContentLimits, content_limits_from
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.stores.memory import MemoryRateStore

if TYPE_CHECKING:  # imported lazily: prometheus_client must see PROMETHEUS_MULTIPROC_DIR first
    from wafproxy.asgi.flood import FloodGuard
    from wafproxy.observability.limits_metrics import LimitsMetrics
    from wafproxy.observability.metrics import WafMetrics
    from wafproxy.ports import AsyncRateStore, EventSink, RateStore, RequestGate
    from wafproxy.settings import Settings

logger = logging.getLogger("wafproxy.app")


class InspectorOptions(TypedDict):
    """``Inspector``'s (and ``WafMiddleware``'s) keyword arguments, as the settings give them."""

    acl: str | Path | CompiledWebACL
    trusted_proxies: Sequence[str]
    event_sink: EventSink | None
    rate_store: RateStore | AsyncRateStore
    fail_mode: Literal["open", "closed"]
    source: str
    on_fail_open: Callable[[str], None] | None
    gate: RequestGate | None
    content_limits: ContentLimits
    on_limit: Callable[[str], None] | None
    body_policy: BodyPolicy


@dataclass(frozen=True, slots=True)
class SharedParts:
    """The pieces a data path holds whichever front end serves it."""

    rate_store: RateStore | AsyncRateStore
    flood: FloodGuard | None
    inspector: InspectorOptions


def build_rate_store(settings: Settings, limits: LimitsMetrics | None = None) -> RateStore | AsyncRateStore:
    """Memory per process, or Redis shared by ``workers`` x ``hosts`` processes (``--redis``)."""
    if settings.redis is None:
        return MemoryRateStore()
    from wafproxy.stores.redis import RedisRateStore

    store = RedisRateStore(
        settings.redis,
        processes=settings.workers * settings.hosts,
        on_failure=settings.rate_limit_on_redis_failure,
        timeout=settings.redis_timeout,
        on_state_change=limits.rate_store_state if limits is not None else None,
    )
    if limits is not None:  # the store starts out available: else the gauge read 0 until an outage ended
        limits.rate_store_state(True)
    return store


def shared_parts(
    settings: Settings,
    *,
    event_sink: EventSink | None,
    acl: CompiledWebACL | None,
    metrics: WafMetrics | None,
    limits: LimitsMetrics | None,
    gate: RequestGate | None = None,
) -> SharedParts:
    """Warn when upstream certificates go unchecked, then build the rate store, the flood guard
    (``--flood-mitigation``) and the ``Inspector``'s arguments (``acl`` compiled already, or the
    settings' file)."""
    if settings.upstream_insecure_skip_verify:
        logger.warning(
            "UPSTREAM TLS VERIFICATION IS OFF (--upstream-insecure-skip-verify): "
            "any certificate is accepted, traffic to the upstream can be intercepted"
        )
    # Memory: per process (each worker counts alone); --redis: one limit for all of them.
    rate_store = build_rate_store(settings, limits)
    flood = None
    if settings.flood_mitigation:
        from wafproxy.asgi.flood import FloodGuard

        flood = FloodGuard()
    options = InspectorOptions(
        acl=acl if acl is not None else settings.acl,
        trusted_proxies=settings.trusted_proxies,
        event_sink=event_sink,
        rate_store=rate_store,
        fail_mode=settings.fail_mode,
        source="PROXY",
        on_fail_open=metrics.fail_open if metrics is not None else None,
        gate=gate,
        content_limits=content_limits_from(settings),
        on_limit=limits.limit_hit if limits is not None else None,
        body_policy=BodyPolicy.of(settings),
    )
    return SharedParts(rate_store=rate_store, flood=flood, inspector=options)
