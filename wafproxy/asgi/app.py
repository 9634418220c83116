"""The data-path app factory: settings → ``WafMiddleware(ReverseProxy)`` with a lifespan.

``build_data_path`` is what ``wafproxy serve`` runs in-process (one worker); ``create_app`` is the
uvicorn factory (``wafproxy.asgi.app:create_app``) each ``--workers N`` process imports, reading the
parent's already-validated settings from ``WAFPROXY_SETTINGS_JSON``. Loading the ACL happens here,
before any socket accepts traffic, so a malformed ACL stops startup instead of failing requests.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from wafproxy.aclfiles import load_web_acl
from wafproxy.asgi.middleware import WafMiddleware
from wafproxy.asgi.proxy import ReverseProxy, Route
from wafproxy.asgi.upstream import UpstreamConfig
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.engine.errors import WebAclError
from wafproxy.ports import EventSink
from wafproxy.settings import Settings
from wafproxy.stores.memory import MemoryRateStore

if TYPE_CHECKING:  # imported lazily: prometheus_client must see PROMETHEUS_MULTIPROC_DIR first
    from wafproxy.observability.metrics import WafMetrics
    from wafproxy.observability.waflog_writer import WafLogWriter

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

SETTINGS_ENV = "WAFPROXY_SETTINGS_JSON"
MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 256  # nginx and Apache default to 100; AWS WAF inspects the first 200
logger = logging.getLogger("wafproxy.app")


def _proxy_for(settings: Settings) -> ReverseProxy:
    """One ``ReverseProxy`` over every ``--upstream`` (it routes by host / path prefix itself)."""

    def config(url: str) -> UpstreamConfig:
        return UpstreamConfig(
            url=url,
            ca_file=str(settings.upstream_ca) if settings.upstream_ca else None,
            client_cert=str(settings.upstream_client_cert) if settings.upstream_client_cert else None,
            client_key=str(settings.upstream_client_key) if settings.upstream_client_key else None,
            insecure_skip_verify=settings.upstream_insecure_skip_verify,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
        )

    routes = [Route(config(u.url), host=u.host, path_prefix=u.path_prefix or "/") for u in settings.upstreams]
    return ReverseProxy(
        routes=routes, preserve_host=settings.preserve_host, trusted_proxies=settings.trusted_proxies
    )


@dataclass
class DataPath:
    """The app uvicorn serves, plus what must be closed at shutdown."""

    app: ASGIApp
    middleware: WafMiddleware
    proxies: list[ReverseProxy] = field(default_factory=list)
    closeables: list[WafLogWriter] = field(default_factory=list)

    async def aclose(self) -> None:
        for proxy in self.proxies:
            await proxy.aclose()
        for item in self.closeables:
            item.close()


def build_data_path(
    settings: Settings,
    *,
    event_sink: EventSink | None = None,
    acl: CompiledWebACL | None = None,
    metrics: WafMetrics | None = None,
) -> DataPath:
    """Compile the ACL (``WebAclError`` propagates) and wire middleware → proxy (which routes)."""
    if settings.upstream_insecure_skip_verify:
        logger.warning(
            "UPSTREAM TLS VERIFICATION IS OFF (--upstream-insecure-skip-verify): "
            "any certificate is accepted, traffic to the upstream can be intercepted"
        )
    proxy = _proxy_for(settings)
    middleware = WafMiddleware(
        proxy,
        acl=acl if acl is not None else settings.acl,
        trusted_proxies=settings.trusted_proxies,
        event_sink=event_sink,
        # Per process: with --workers N each worker counts alone (a shared store is Redis's job).
        rate_store=MemoryRateStore(),
        fail_mode=settings.fail_mode,
        source="PROXY",
        on_fail_open=metrics.fail_open if metrics is not None else None,
    )
    data = DataPath(app=middleware, middleware=middleware, proxies=[proxy])
    data.app = _with_lifespan(middleware, data.aclose)
    return data


def _with_lifespan(app: ASGIApp, on_shutdown: Callable[[], Awaitable[None]]) -> ASGIApp:
    """Answer the lifespan protocol ourselves: the proxy has no lifespan, its pools need closing."""

    async def lifespan_app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await on_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    return lifespan_app


def build_event_sink(
    settings: Settings, *, with_metrics: bool = True
) -> tuple[EventSink | None, WafMetrics | None, list[WafLogWriter]]:
    """Metrics and the WAF log behind one non-blocking dispatcher: (sink, metrics, closeables)."""
    from wafproxy import __version__
    from wafproxy.observability.dispatch import EventDispatcher

    sinks: list[EventSink] = []
    closeables: list[WafLogWriter] = []
    metrics = None
    if with_metrics:
        from wafproxy.observability.metrics import WafMetrics

        metrics = WafMetrics()
        metrics.build_info(__version__)
        sinks.append(metrics)
    if settings.waf_log:
        from wafproxy.observability.waflog_writer import WafLogWriter

        writer = WafLogWriter(settings.waf_log, on_drop=metrics.waf_log_dropped if metrics else None)
        sinks.append(writer)
        closeables.append(writer)
    if not sinks:
        return None, metrics, closeables
    dispatcher = EventDispatcher(sinks, on_error=metrics.sink_error if metrics else None)
    return dispatcher, metrics, closeables


def create_app() -> ASGIApp:
    """uvicorn factory for ``--workers N``: settings come from the parent through the environment."""
    settings = Settings.from_json(os.environ[SETTINGS_ENV])
    if settings.waf_log and settings.waf_log != "-":
        # One file per worker: rotation in several processes sharing one file would interleave
        # and misnumber backups. Ship ``PATH.*``.
        settings = dataclasses.replace(settings, waf_log=f"{settings.waf_log}.{os.getpid()}")
        logger.info("worker %d writes the WAF log to %s", os.getpid(), settings.waf_log)
    try:
        acl = load_web_acl(settings.acl)
    except WebAclError as exc:
        # On SIGHUP uvicorn replaces workers one by one; a worker that cannot start leaves the old
        # one serving. One clear line rather than a traceback.
        logger.error("web ACL invalid, this worker does not start (running workers keep theirs): %s", exc)
        raise SystemExit(2) from None
    sink, metrics, closeables = build_event_sink(settings)
    data = build_data_path(settings, event_sink=sink, acl=acl, metrics=metrics)
    data.closeables.extend(closeables)
    return data.app


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a cap on the request head (request line + headers).

    httptools has no header size limit, so without this a client can make us buffer megabytes of
    headers and forward them upstream. Complete pieces are counted in the parser callbacks (raising
    there makes httptools fail the parse: uvicorn answers 400 and logs it); a piece still being
    received is bounded by counting the bytes that arrived while the head is incomplete. The
    default, 64 KiB, is well above nginx's (4 × 8 KiB buffers) so real clients never hit it.
    """

    max_head_bytes = MAX_HEAD_BYTES
    _head_bytes = 0
    _pending = 0
    _in_head = False
    _events = 0
    _header_count = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._events += 1
        self._in_head = True
        self._pending = 0
        self._head_bytes = 0
        self._header_count = 0

    def _count(self, n: int) -> None:
        self._head_bytes += n
        if self._head_bytes > self.max_head_bytes:
            self.logger.warning("Request head over %d bytes refused (400).", self.max_head_bytes)
            raise ValueError("request head too large")

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        self._header_count += 1
        if self._header_count > MAX_HEADERS:
            self.logger.warning("Request with over %d header fields refused (400).", MAX_HEADERS)
            raise ValueError("too many header fields")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._events += 1
        self._in_head = False
        self._pending = 0
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        events_before = self._events
        super().data_received(data)
        # A chunk in which no message began and no head completed is all head bytes (while in a
        # head); the pieces a chunk with such an event completed are bounded by the callbacks.
        if self._in_head and events_before == self._events and not self.transport.is_closing():
            self._pending += len(data)
            if self._pending > self.max_head_bytes:
                self.logger.warning("Request head over %d bytes refused (400).", self.max_head_bytes)
                self.send_400_response("Request header fields too large.")
