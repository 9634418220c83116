"""``wafproxy serve``'s data path on our own server: settings → Inspector, routes, handler, server.

The counterpart of ``asgi.app.build_data_path`` (which stays for ASGI users and tests): the same
rate store, flood guard, metrics and event sink, the same ``DataPath`` bookkeeping (metrics sync,
closing pools, stores and log writers), but served by ``ProxyServer`` instead of uvicorn.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from wafproxy.asgi.app import DataPath, build_rate_store, upstream_routes
from wafproxy.asgi.bodyscan import BodyPolicy
from wafproxy.asgi.inspector import Inspector
from wafproxy.asgi.limits import ShieldLimits, content_limits_from, shield_limits_from
from wafproxy.asgi.upstream_routes import RouteTable
from wafproxy.server.context import ServerContext
from wafproxy.server.handler import ProxyHandler
from wafproxy.server.runner import ProxyServer, tls_for

if TYPE_CHECKING:
    from wafproxy.engine.compiler import CompiledWebACL
    from wafproxy.observability.limits_metrics import LimitsMetrics
    from wafproxy.observability.metrics import WafMetrics
    from wafproxy.ports import EventSink, RequestGate
    from wafproxy.settings import Settings

logger = logging.getLogger("wafproxy.app")


def build_proxy(
    settings: Settings,
    *,
    event_sink: EventSink | None = None,
    acl: CompiledWebACL | None = None,
    metrics: WafMetrics | None = None,
    limits: LimitsMetrics | None = None,
    shield: ShieldLimits | None = None,
    gate: RequestGate | None = None,
) -> tuple[DataPath, ProxyServer]:
    """Compile the ACL (``WebAclError`` propagates) and wire the server; nothing listens yet."""
    if settings.upstream_insecure_skip_verify:
        logger.warning(
            "UPSTREAM TLS VERIFICATION IS OFF (--upstream-insecure-skip-verify): "
            "any certificate is accepted, traffic to the upstream can be intercepted"
        )
    routes = RouteTable(upstream_routes(settings))
    rate_store = build_rate_store(settings, limits)
    inspector = Inspector(
        acl=acl if acl is not None else settings.acl,
        trusted_proxies=settings.trusted_proxies,
        event_sink=event_sink,
        # Memory: per process (each worker counts alone); --redis: one limit for all of them.
        rate_store=rate_store,
        fail_mode=settings.fail_mode,
        source="PROXY",
        on_fail_open=metrics.fail_open if metrics is not None else None,
        gate=gate,
        content_limits=content_limits_from(settings),
        on_limit=limits.limit_hit if limits is not None else None,
        body_policy=BodyPolicy.of(settings),
    )
    flood = None
    if settings.flood_mitigation:
        from wafproxy.asgi.flood import FloodGuard

        flood = FloodGuard()
    shield = shield or shield_limits_from(settings)
    handler = ProxyHandler(inspector, routes, limits=shield, preserve_host=settings.preserve_host,
                           flood=flood, on_reject=limits.shield_reject if limits is not None else None)
    ctx = ServerContext(handler=handler, limits=shield, tls=settings.tls_cert is not None,
                        connection_gauge=metrics.open_connections if metrics is not None else None)
    data = DataPath(app=None, middleware=inspector, proxies=[routes], rate_store=rate_store, flood=flood,
                    limits=limits, connection_refusals=ctx.refusals)
    server = ProxyServer(ctx, ssl_context=tls_for(settings), on_start=data.astart, on_stop=data.aclose)
    return data, server


