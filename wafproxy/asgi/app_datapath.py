"""What a data path holds beyond its app: the pieces a reload swaps, the services it starts, what
it closes at shutdown, and the metrics it syncs every few seconds.

One ``DataPath`` for both front ends: the ASGI stack (``asgi.app.build_data_path``) and our own
server (``server.datapath.build_proxy``) fill the same fields, so the wiring above (reloader,
detector, admin) treats them alike.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from wafproxy.asgi.inspector import Inspector
from wafproxy.asgi.middleware import WafMiddleware
from wafproxy.asgi.types import ASGIApp

if TYPE_CHECKING:  # imported lazily: prometheus_client must see PROMETHEUS_MULTIPROC_DIR first
    from wafproxy.asgi.flood import FloodGuard
    from wafproxy.observability.limits_metrics import LimitsMetrics

METRICS_SYNC_SECONDS = 2.0


class Closeable(Protocol):
    """Closed last at shutdown, synchronously: the WAF log writer, the threat detector."""

    def close(self) -> None: ...


@dataclass
class DataPath:
    """The app uvicorn serves, plus what must be closed at shutdown."""

    app: ASGIApp | None
    middleware: WafMiddleware | Inspector  # what a reload swaps the ACL of (``swap_acl``)
    proxies: list[Any] = field(default_factory=list)  # things to ``aclose()``: proxies, route tables
    closeables: list[Closeable] = field(default_factory=list)
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
