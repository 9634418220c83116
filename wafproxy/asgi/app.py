"""The data-path app factory: settings → ``WafMiddleware(ReverseProxy)`` with a lifespan.

``build_data_path`` is the ASGI stack (shield → middleware → proxy) for those who serve it with an
ASGI server; ``wafproxy serve`` runs its own server instead (``wafproxy/server/``), built from the
same pieces (``app_parts.shared_parts``: rate store, flood guard, the Inspector's arguments;
``upstream_routes``, ``DataPath``, the event sink, the reloader). ``--workers N`` processes read the
parent's already-validated settings from ``WAFPROXY_SETTINGS_JSON`` (``SETTINGS_ENV``). Loading the
ACL happens before any socket accepts traffic, so a malformed ACL stops startup instead of failing
requests.

Beside it: ``app_datapath`` (``DataPath``: what is started, synced and closed), ``app_events``
(metrics and WAF log behind one dispatcher), ``app_acl`` (``FileAcl`` / ``build_reloader``). Their
names are re-exported here, where the servers, the CLI and users import them from.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from wafproxy.asgi.app_acl import FileAcl, build_reloader, control_enabled
from wafproxy.asgi.app_datapath import DataPath
from wafproxy.asgi.app_events import build_event_sink, limits_for, waf_log_framing
from wafproxy.asgi.app_parts import build_rate_store, shared_parts
from wafproxy.asgi.middleware import WafMiddleware
from wafproxy.asgi.proxy import ReverseProxy, Route
from wafproxy.asgi.types import ASGIApp, Receive, Scope, Send
from wafproxy.asgi.upstream import UpstreamConfig
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.ports import EventSink
from wafproxy.settings import Settings

if TYPE_CHECKING:  # imported lazily: prometheus_client must see PROMETHEUS_MULTIPROC_DIR first
    from wafproxy.observability.limits_metrics import LimitsMetrics
    from wafproxy.observability.metrics import WafMetrics

__all__ = [
    "SETTINGS_ENV", "DataPath", "FileAcl", "build_data_path", "build_event_sink", "build_rate_store",
    "build_reloader", "control_enabled", "limits_for", "upstream_routes", "waf_log_framing",
]

SETTINGS_ENV = "WAFPROXY_SETTINGS_JSON"


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
    from wafproxy.asgi.limits import shield_limits_from
    from wafproxy.asgi.shield import ShieldMiddleware

    parts = shared_parts(settings, event_sink=event_sink, acl=acl, metrics=metrics, limits=limits)
    proxy = _proxy_for(settings)
    middleware = WafMiddleware(proxy, **parts.inspector,
                               on_body_refused=limits.shield_reject if limits is not None else None)
    # The same client address the WAF sees (X-Forwarded-For only from --trusted-proxy peers).
    trusted = TrustedProxies(list(settings.trusted_proxies))
    shield = ShieldMiddleware(
        middleware,
        limits=shield_limits_from(settings),
        client_ip=trusted.resolve_scope if settings.trusted_proxies else None,
        on_reject=limits.shield_reject if limits is not None else None,
        flood=parts.flood,
    )
    data = DataPath(app=shield, middleware=middleware, proxies=[proxy], rate_store=parts.rate_store,
                    flood=parts.flood, limits=limits)
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
