"""The data-path app factory: settings → ``WafMiddleware(ReverseProxy)`` with a lifespan.

``build_data_path`` is the ASGI stack (shield → middleware → proxy) for those who serve it with an
ASGI server; ``wafproxy serve`` runs its own server instead (``wafproxy/server/``), built from the
same pieces (``build_rate_store``, ``upstream_routes``, ``DataPath``, the event sink, the
reloader). ``--workers N`` processes read the parent's already-validated settings from
``WAFPROXY_SETTINGS_JSON`` (``SETTINGS_ENV``). Loading the ACL happens before any socket accepts
traffic, so a malformed ACL stops startup instead of failing requests.

Beside it: ``app_datapath`` (``DataPath``: what is started, synced and closed), ``app_events``
(metrics and WAF log behind one dispatcher), ``app_acl`` (``FileAcl`` / ``build_reloader``). Their
names are re-exported here, where the servers, the CLI and users import them from.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from wafproxy.asgi.app_acl import FileAcl, build_reloader, control_enabled
from wafproxy.asgi.app_datapath import DataPath
from wafproxy.asgi.app_events import build_event_sink, limits_for, waf_log_framing
from wafproxy.asgi.bodyscan import BodyPolicy
from wafproxy.asgi.middleware import WafMiddleware
from wafproxy.asgi.proxy import ReverseProxy, Route
from wafproxy.asgi.types import ASGIApp, Receive, Scope, Send
from wafproxy.asgi.upstream import UpstreamConfig
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.ports import EventSink
from wafproxy.settings import Settings
from wafproxy.stores.memory import MemoryRateStore

if TYPE_CHECKING:  # imported lazily: prometheus_client must see PROMETHEUS_MULTIPROC_DIR first
    from wafproxy.observability.limits_metrics import LimitsMetrics
    from wafproxy.observability.metrics import WafMetrics
    from wafproxy.ports import AsyncRateStore, RateStore

__all__ = [
    "SETTINGS_ENV", "DataPath", "FileAcl", "build_data_path", "build_event_sink", "build_rate_store",
    "build_reloader", "control_enabled", "limits_for", "upstream_routes", "waf_log_framing",
]

SETTINGS_ENV = "WAFPROXY_SETTINGS_JSON"
logger = logging.getLogger("wafproxy.app")


def upstream_routes(settings: Settings) -> list[Route]:
    """One ``Route`` per ``--upstream`` (host / path prefix), each with its pool's settings."""

    def config(url: str) -> UpstreamConfig:
        return UpstreamConfig(
            url=url,
            ca_file=str(settings.upstream_ca) if settings.upstream_ca else None,
            client_cert=str(settings.upstream_client_cert) if settings.upstream_client_cert else None,
            client_key=str(settings.upstream_client_key) if settings.upstream_client_key else None,
            insecure_skip_verify=settings.upstream_insecure_skip_verify,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            total_timeout=settings.upstream_total_timeout or None,
        )

    return [Route(config(u.url), host=u.host, path_prefix=u.path_prefix or "/") for u in settings.upstreams]


def _proxy_for(settings: Settings) -> ReverseProxy:
    """One ``ReverseProxy`` over every ``--upstream`` (it routes by host / path prefix itself)."""
    return ReverseProxy(routes=upstream_routes(settings), preserve_host=settings.preserve_host,
                        trusted_proxies=settings.trusted_proxies)


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


def build_data_path(
    settings: Settings,
    *,
    event_sink: EventSink | None = None,
    acl: CompiledWebACL | None = None,
    metrics: WafMetrics | None = None,
    limits: LimitsMetrics | None = None,
) -> DataPath:
    """Compile the ACL (``WebAclError`` propagates) and wire shield → middleware → proxy (which
    routes). The shield goes first: a refused request costs no evaluation, reaches no upstream."""
    from wafproxy.asgi.client_ip import TrustedProxies
    from wafproxy.asgi.limits import content_limits_from, shield_limits_from
    from wafproxy.asgi.shield import ShieldMiddleware

    if settings.upstream_insecure_skip_verify:
        logger.warning(
            "UPSTREAM TLS VERIFICATION IS OFF (--upstream-insecure-skip-verify): "
            "any certificate is accepted, traffic to the upstream can be intercepted"
        )
    proxy = _proxy_for(settings)
    rate_store = build_rate_store(settings, limits)
    middleware = WafMiddleware(
        proxy,
        acl=acl if acl is not None else settings.acl,
        trusted_proxies=settings.trusted_proxies,
        event_sink=event_sink,
        # Memory: per process (each worker counts alone); --redis: one limit for all of them.
        rate_store=rate_store,
        fail_mode=settings.fail_mode,
        source="PROXY",
        on_fail_open=metrics.fail_open if metrics is not None else None,
        content_limits=content_limits_from(settings),
        on_limit=limits.limit_hit if limits is not None else None,
        body_policy=BodyPolicy.of(settings),
        on_body_refused=limits.shield_reject if limits is not None else None,
    )
    flood = None
    if settings.flood_mitigation:
        from wafproxy.asgi.flood import FloodGuard

        flood = FloodGuard()
    # The same client address the WAF sees (X-Forwarded-For only from --trusted-proxy peers).
    trusted = TrustedProxies(list(settings.trusted_proxies))
    shield = ShieldMiddleware(
        middleware,
        limits=shield_limits_from(settings),
        client_ip=trusted.resolve_scope if settings.trusted_proxies else None,
        on_reject=limits.shield_reject if limits is not None else None,
        flood=flood,
    )
    data = DataPath(app=shield, middleware=middleware, proxies=[proxy], rate_store=rate_store, flood=flood,
                    limits=limits)
    data.app = _with_lifespan(shield, data.aclose, data.astart)
    return data


def _with_lifespan(app: ASGIApp, on_shutdown: Callable[[], Awaitable[None]],
                   on_startup: Callable[[], Awaitable[None]] | None = None) -> ASGIApp:
    """Answer the lifespan protocol ourselves: the proxy has no lifespan, its pools need closing."""

    async def lifespan_app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if on_startup is not None:
                    await on_startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await on_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    return lifespan_app
