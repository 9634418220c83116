"""The data-path app factory: settings → ``WafMiddleware(ReverseProxy)`` with a lifespan.

``build_data_path`` is what ``wafproxy serve`` runs in-process (one worker); ``create_app`` is the
uvicorn factory (``wafproxy.asgi.app:create_app``) each ``--workers N`` process imports, reading the
parent's already-validated settings from ``WAFPROXY_SETTINGS_JSON``. Loading the ACL happens here,
before any socket accepts traffic, so a malformed ACL stops startup instead of failing requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from wafproxy.asgi.http_cycle import CoalescingCycle
from wafproxy.asgi.middleware import WafMiddleware
from wafproxy.asgi.proxy import ReverseProxy, Route
from wafproxy.asgi.upstream import UpstreamConfig
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.engine.errors import WebAclError
from wafproxy.ports import EventSink
from wafproxy.settings import Settings
from wafproxy.stores.memory import MemoryRateStore

if TYPE_CHECKING:  # imported lazily: prometheus_client must see PROMETHEUS_MULTIPROC_DIR first
    from wafproxy.asgi.flood import FloodGuard
    from wafproxy.observability.limits_metrics import LimitsMetrics
    from wafproxy.observability.metrics import WafMetrics
    from wafproxy.observability.waflog_writer import WafLogWriter
    from wafproxy.ports import AsyncRateStore, RateStore

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

SETTINGS_ENV = "WAFPROXY_SETTINGS_JSON"
MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 256  # nginx and Apache default to 100; AWS WAF inspects the first 200
METRICS_SYNC_SECONDS = 2.0
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


def build_rate_store(settings: Settings, limits: LimitsMetrics | None = None) -> RateStore | AsyncRateStore:
    """Memory per process, or Redis shared by ``workers`` x ``hosts`` processes (``--redis``)."""
    if settings.redis is None:
        return MemoryRateStore()
    from wafproxy.stores.redis import RedisRateStore

    return RedisRateStore(
        settings.redis,
        processes=settings.workers * settings.hosts,
        on_failure=settings.rate_limit_on_redis_failure,
        on_state_change=limits.rate_store_state if limits is not None else None,
    )


@dataclass
class DataPath:
    """The app uvicorn serves, plus what must be closed at shutdown."""

    app: ASGIApp
    middleware: WafMiddleware
    proxies: list[ReverseProxy] = field(default_factory=list)
    closeables: list[WafLogWriter] = field(default_factory=list)
    rate_store: Any = None
    flood: FloodGuard | None = None
    limits: LimitsMetrics | None = None
    connection_refusals: Any = None  # the protocol class's ``shield_refusals`` Counter
    _sync: asyncio.Task[None] | None = None

    def sync_metrics(self) -> None:
        if self.limits is not None:
            self.limits.sync(rate_store=self.rate_store,
                             flood_events=self.flood.events if self.flood is not None else None,
                             connection_refusals=self.connection_refusals)

    async def _sync_loop(self) -> None:
        while True:
            await asyncio.sleep(METRICS_SYNC_SECONDS)
            self.sync_metrics()

    async def astart(self) -> None:
        if self.limits is not None:
            self._sync = asyncio.create_task(self._sync_loop(), name="wafproxy-limits-metrics")

    async def aclose(self) -> None:
        if self._sync is not None:
            self._sync.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync
        self.sync_metrics()
        for proxy in self.proxies:
            await proxy.aclose()
        closer = getattr(self.rate_store, "aclose", None)
        if closer is not None:
            await closer()
        for item in self.closeables:
            item.close()


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
    )
    flood = None
    if settings.flood_mitigation:
        from wafproxy.asgi.flood import FloodGuard

        flood = FloodGuard()
    # The same client address the WAF sees (X-Forwarded-For only from --trusted-proxy peers).
    trusted = TrustedProxies(list(settings.trusted_proxies))
    shield = ShieldMiddleware(
        middleware,
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

    async def lifespan_app(scope: Scope, receive: Any, send: Any) -> None:
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


def waf_log_framing(settings: Settings, kms_service: Any = None) -> Any:
    """``--waf-log-kms-key``: how the WAF log's files get their data keys (``None``: plaintext).

    ``--kms-endpoint`` → boto3 (credentials from the standard AWS env/profile; short timeouts, as
    a hung KMS would only delay the writer thread's next file); else the in-process KMS of
    ``--kms-listen`` (``kms_service``), called as the principal ``wafproxy-waf-log`` of the account."""
    if settings.waf_log_kms_key is None:
        return None
    from wafproxy.settings import SettingsError
    from wafproxy.sidecars.kms.envelope import BotoKeyProvider, LocalKeyProvider
    from wafproxy.sidecars.kms.logcrypt import KmsFraming

    provider: Any
    if settings.kms_endpoint is not None:
        import boto3  # type: ignore[import-untyped]
        from botocore.config import Config  # type: ignore[import-untyped]

        session = boto3.session.Session()
        if session.get_credentials() is None:
            raise SettingsError("--kms-endpoint", "no AWS credentials (AWS_ACCESS_KEY_ID/… or AWS_PROFILE)")
        client = session.client("kms", endpoint_url=settings.kms_endpoint, region_name=settings.region,
                                config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2}))
        provider = BotoKeyProvider(client)
    elif kms_service is not None:
        from wafproxy.awsapi.credentials import Principal

        provider = LocalKeyProvider(kms_service, Principal("wafproxy-waf-log", "(in-process)",
                                                           settings.account_id))
    else:
        raise SettingsError("--waf-log-kms-key", "needs --kms-listen (in-process KMS) or --kms-endpoint")
    return KmsFraming(provider, settings.waf_log_kms_key, {"wafproxy:purpose": "waf-log"})


def build_event_sink(
    settings: Settings, *, with_metrics: bool = True, kms_service: Any = None
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

        writer = WafLogWriter(settings.waf_log, on_drop=metrics.waf_log_dropped if metrics else None,
                              framing=waf_log_framing(settings, kms_service))
        sinks.append(writer)
        closeables.append(writer)
    if not sinks:
        return None, metrics, closeables
    dispatcher = EventDispatcher(sinks, on_error=metrics.sink_error if metrics else None)
    return dispatcher, metrics, closeables


def limits_for(metrics: WafMetrics | None) -> LimitsMetrics | None:
    """The rate-limit / shield series, in ``metrics``' registry (one per process, like it)."""
    if metrics is None:
        return None
    from wafproxy.observability.limits_metrics import LimitsMetrics

    return LimitsMetrics(metrics.registry)


def control_enabled(settings: Settings) -> bool:
    """The control plane's store serves the ACL only when asked for (``--credentials`` or
    ``--state-dir``): it reads the ACL's whole directory eagerly, where the engine's resolver
    reads only what the ACL references (an ACL in a crowded directory must keep working)."""
    return settings.credentials is not None or settings.state_dir is not None


class FileAcl:
    """The web ACL from ``--acl`` alone, without a control plane: the same surface the wiring uses
    from a ``Reloader`` (``current``, ``add_swap``, ``reload_from_disk``). SIGHUP compiles the file
    off the event loop and swaps it; a broken file keeps the running ACL."""

    def __init__(self, settings: Settings, *, metrics: WafMetrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics
        self.current: CompiledWebACL = self._load()
        self._swaps: list[Callable[[CompiledWebACL], None]] = []

    def _load(self) -> CompiledWebACL:
        from wafproxy.aclfiles import load_web_acl

        return load_web_acl(self.settings.acl, account=self.settings.account_id)

    def add_swap(self, swap: Callable[[CompiledWebACL], None]) -> None:
        self._swaps.append(swap)

    async def reload_from_disk(self, reason: str = "sighup") -> bool:
        try:
            fresh = await asyncio.to_thread(self._load)
        except WebAclError as exc:
            logger.error("web ACL reload (%s) failed, keeping %r: %s", reason, self.current.name, exc)
            if self.metrics is not None:
                self.metrics.config_reload("failure")
            return False
        self.current = fresh
        for swap in self._swaps:
            swap(fresh)
        logger.info("web ACL reloaded (%s): %r from %s", reason, fresh.name, self.settings.acl)
        if self.metrics is not None:
            self.metrics.config_reload("success", time.time())
            for name, n in fresh.ip_set_sizes().items():
                self.metrics.ip_set_entries(name, n)
        return True


def build_reloader(settings: Settings, *, metrics: WafMetrics | None = None, persist: bool = True) -> Any:
    """What compiles the ACL the data path serves and swaps it on every change: the control
    plane's ``Reloader`` over ``--acl`` / ``--state-dir`` (one account id everywhere:
    ``--account-id``), or ``FileAcl`` without a control plane. Raises ``WebAclError`` or
    ``control.store.StoreError`` (both name the file)."""
    if not control_enabled(settings):
        return FileAcl(settings, metrics=metrics)
    from wafproxy.control.reloader import Reloader
    from wafproxy.control.resources import Names

    names = Names(settings.account_id, settings.region)
    return Reloader(settings.acl, state_dir=settings.state_dir, names=names, metrics=metrics,
                    redis_url=settings.redis, persist=persist)


def count_connections(protocol: type[HttpToolsProtocol], metrics: WafMetrics | None) -> None:
    """``wafproxy_open_connections`` from the server protocol class (one inc/dec per connection)."""
    if metrics is not None and issubclass(protocol, BoundedHttpToolsProtocol):
        protocol.connection_gauge = metrics.open_connections


def create_app() -> ASGIApp:
    """uvicorn factory for ``--workers N``: settings come from the parent through the environment.

    Each worker follows the control plane's state (files, or Redis with ``--redis``) with its own
    non-persisting ``Reloader``; the admin process owns the API and writes."""
    from wafproxy.asgi.shield import ShieldHttpToolsProtocol
    from wafproxy.control.plane import with_reloader
    from wafproxy.control.store import StoreError

    settings = Settings.from_json(os.environ[SETTINGS_ENV])
    if settings.waf_log and settings.waf_log != "-":
        # One file per worker: rotation in several processes sharing one file would interleave
        # and misnumber backups. Ship ``PATH.*``.
        settings = dataclasses.replace(settings, waf_log=f"{settings.waf_log}.{os.getpid()}")
        logger.info("worker %d writes the WAF log to %s", os.getpid(), settings.waf_log)
    try:
        # No metrics here: the admin process's reloader counts reloads once, not once per worker.
        follower = build_reloader(settings, persist=False)
    except (WebAclError, StoreError) as exc:
        # On SIGHUP uvicorn replaces workers one by one; a worker that cannot start leaves the old
        # one serving. One clear line rather than a traceback.
        logger.error("web ACL invalid, this worker does not start (running workers keep theirs): %s", exc)
        raise SystemExit(2) from None
    sink, metrics, closeables = build_event_sink(settings)
    data = build_data_path(settings, event_sink=sink, acl=follower.current, metrics=metrics,
                           limits=limits_for(metrics))
    data.closeables.extend(closeables)
    from wafproxy.sidecars.detector.wiring import attach_to_data_path

    detector = attach_to_data_path(settings, sink, data.middleware, metrics.registry if metrics else None,
                                   follower.current.name)
    if detector is not None:  # its gate in this worker; bans shared with the others through --redis
        data.app = detector.with_lifespan(data.app)
    follower.add_swap(data.middleware.swap_acl)
    if closeables and not isinstance(follower, FileAcl):
        follower.on_logging = closeables[0].reconfigure
    # The parent's Config names the base protocol class (a class made at run time cannot be
    # pickled to the worker): bind this worker's gauge and refusal counts to it.
    count_connections(ShieldHttpToolsProtocol, metrics)
    data.connection_refusals = ShieldHttpToolsProtocol.shield_refusals
    if isinstance(follower, FileAcl):
        return data.app  # SIGHUP: uvicorn's supervisor replaces the workers, which load the file
    wrapped: Any = with_reloader(follower, data.app, sighup=False)  # type: ignore[arg-type]
    return wrapped


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a cap on the request head (request line + headers).

    httptools has no header size limit, so without this a client can make us buffer megabytes of
    headers and forward them upstream. Complete pieces are counted in the parser callbacks (raising
    there makes httptools fail the parse: uvicorn answers 400 and logs it); a piece still being
    received is bounded by counting the bytes that arrived while the head is incomplete. The
    default, 64 KiB, is well above nginx's (4 × 8 KiB buffers) so real clients never hit it.
    """

    max_head_bytes = MAX_HEAD_BYTES
    connection_gauge: Any = None  # WafMetrics.open_connections, set by ``count_connections``
    _head_bytes = 0
    _pending = 0
    _in_head = False
    _events = 0
    _header_count = 0

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        if self.connection_gauge is not None:
            self.connection_gauge.inc()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.connection_gauge is not None:
            self.connection_gauge.dec()
        super().connection_lost(exc)

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
        cycle = self.cycle
        if cycle is not None and cycle.__class__ is RequestResponseCycle:
            # Same layout, one write per small response (http_cycle.py); the task not started yet.
            cycle.__class__ = CoalescingCycle

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
