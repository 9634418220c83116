"""``wafproxy serve``'s data path on our own server: settings → Inspector, routes, handler, server.

The counterpart of ``asgi.app.build_data_path`` (which stays for ASGI users and tests): the same
rate store, flood guard and Inspector arguments (``asgi.app_parts.shared_parts``), metrics and event
sink, the same ``DataPath`` bookkeeping (metrics sync, closing pools, stores and log writers), but
served by ``ProxyServer`` instead of uvicorn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wafproxy.asgi.app import DataPath, upstream_routes
from wafproxy.asgi.app_parts import shared_parts
from wafproxy.asgi.inspector import Inspector
from wafproxy.asgi.limits import ShieldLimits, shield_limits_from
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
    parts = shared_parts(settings, event_sink=event_sink, acl=acl, metrics=metrics, limits=limits, gate=gate)
    routes = RouteTable(upstream_routes(settings))
    inspector = Inspector(**parts.inspector)
    shield = shield or shield_limits_from(settings)
    handler = ProxyHandler(inspector, routes, limits=shield, preserve_host=settings.preserve_host,
                           flood=parts.flood, on_reject=limits.shield_reject if limits is not None else None)
    ctx = ServerContext(handler=handler, limits=shield, tls=settings.tls_cert is not None,
                        connection_gauge=metrics.open_connections if metrics is not None else None)
    data = DataPath(app=None, middleware=inspector, proxies=[routes], rate_store=parts.rate_store,
                    flood=parts.flood, limits=limits, connection_refusals=ctx.refusals)
    server = ProxyServer(ctx, ssl_context=tls_for(settings), on_start=data.astart, on_stop=data.aclose)
    return data, server


