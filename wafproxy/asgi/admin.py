"""The admin app (Starlette, on its own listener): ``/healthz``, ``/readyz``, ``/metrics``.

Kept off the data path on purpose: a Kubernetes probe or a Prometheus scrape must not go through
the WAF, and attacker traffic must not reach the metrics. ``/healthz`` only says the process
answers. ``/readyz`` says the web ACL is loaded and the upstreams accept TCP connections; probes
are cached for ``probe_interval`` seconds (the last-known state is served meanwhile) so a busy
scraper cannot turn the admin port into a connection flood against the upstream.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


@dataclass(frozen=True, slots=True)
class UpstreamProbe:
    """Where one upstream listens, for a TCP reachability check."""

    host: str
    port: int

    @classmethod
    def from_url(cls, url: str) -> UpstreamProbe:
        split = urlsplit(url)
        port = split.port or (443 if split.scheme == "https" else 80)
        return cls(split.hostname or "127.0.0.1", port)


@dataclass(slots=True)
class Readiness:
    """What ``/readyz`` reports; ``acl_name`` is set once the web ACL compiled."""

    upstreams: Sequence[UpstreamProbe] = ()
    acl_name: str | None = None
    probe_interval: float = 2.0
    connect_timeout: float = 1.0
    _checked_at: float = field(default=float("-inf"), repr=False)
    _reachable: dict[str, bool] = field(default_factory=dict, repr=False)
    _lock: asyncio.Lock | None = field(default=None, repr=False)

    async def _probe(self, target: UpstreamProbe) -> bool:
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(target.host, target.port), self.connect_timeout
            )
        except (OSError, TimeoutError):
            return False
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
        return True

    async def check(self) -> tuple[bool, dict[str, object]]:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            now = time.monotonic()
            if now - self._checked_at >= self.probe_interval:
                results = await asyncio.gather(*(self._probe(u) for u in self.upstreams))
                pairs = zip(self.upstreams, results, strict=True)
                self._reachable = {f"{u.host}:{u.port}": ok for u, ok in pairs}
                self._checked_at = now
        ready = self.acl_name is not None and all(self._reachable.values())
        return ready, {"acl": self.acl_name, "upstreams": dict(self._reachable), "ready": ready}


def create_admin_app(
    readiness: Readiness,
    render_metrics: Callable[[], tuple[bytes, str]] | None = None,
) -> Starlette:
    """Build the admin app. ``render_metrics`` is ``WafMetrics.render`` (multiprocess-aware)."""

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(request: Request) -> Response:
        ready, detail = await readiness.check()
        return JSONResponse(detail, status_code=200 if ready else 503)

    async def metrics(request: Request) -> Response:
        if render_metrics is None:
            return PlainTextResponse("metrics are not enabled\n", status_code=404)
        body, content_type = render_metrics()
        return Response(body, media_type=content_type)

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET", "HEAD"]),
            Route("/readyz", readyz, methods=["GET", "HEAD"]),
            Route("/metrics", metrics, methods=["GET"]),
        ]
    )
