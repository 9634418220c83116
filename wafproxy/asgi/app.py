"""The data-path app factory: settings → ``WafMiddleware(ReverseProxy)`` with a lifespan.

``build_data_path`` is the ASGI stack (shield → middleware → proxy) for those who serve it with an
ASGI server; ``wafproxy serve`` runs its own server instead (``wafproxy/server/``), built from the
same pieces here (``build_rate_store``, ``upstream_routes``, ``DataPath``, the event sink, the
reloader). ``--workers N`` processes read the parent's already-validated settings from
``WAFPROXY_SETTINGS_JSON`` (``SETTINGS_ENV``). Loading the ACL happens here,
before any socket accepts traffic, so a malformed ACL stops startup instead of failing requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wafproxy.asgi.bodyscan import BodyPolicy
from wafproxy.asgi.inspector import Inspector
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


@dataclass
class DataPath:
    """The app uvicorn serves, plus what must be closed at shutdown."""

    app: ASGIApp | None
    middleware: WafMiddleware | Inspector  # what a reload swaps the ACL of (``swap_acl``)
    proxies: list[Any] = field(default_factory=list)  # things to ``aclose()``: proxies, route tables
    closeables: list[WafLogWriter] = field(default_factory=list)
    # Started with the data path, stopped after it (``astart``/``aclose``): the threat detector.
    services: list[Any] = field(default_factory=list)
    rate_store: Any = None
    flood: FloodGuard | None = None
    limits: LimitsMetrics | None = None
    connection_refusals: Any = None  # the protocol class's ``shield_refusals`` Counter
    _sync: asyncio.Task[None] | None = None

    def sync_metrics(self) -> None:
        if self.limits is not None:
            self.limits.sync(rate_store=self.rate_store,
                             flood_events=self.flood.events if self.flood is not None else None,
                             connection_refusals=self.connection_refusals,
                             upstream_failures=self.upstream_failures())

    def upstream_failures(self) -> dict[str, int]:
        """Failed upstream exchanges by kind, summed over every pool of every proxy."""
        totals: dict[str, int] = {}
        for proxy in self.proxies:
            for pool in getattr(proxy, "pools", ()):
                for kind, n in pool.failures.items():
                    totals[kind] = totals.get(kind, 0) + n
        return totals

    async def _sync_loop(self) -> None:
        while True:
            await asyncio.sleep(METRICS_SYNC_SECONDS)
            self.sync_metrics()

    async def astart(self) -> None:
        if self.limits is not None:
            self._sync = asyncio.create_task(self._sync_loop(), name="wafproxy-limits-metrics")
        for service in self.services:
            await service.astart()

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
        for service in self.services:
            await service.aclose()
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
