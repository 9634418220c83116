"""Which upstream serves a request: routes by host and path prefix, compiled once.

Most specific first: a route naming a host beats one that does not, then the longest path prefix
wins. Prefixes match whole segments (``/api`` serves ``/api`` and ``/api/x``, never ``/apix``) so a
prefix cannot leak a neighbouring namespace to the wrong upstream. Hosts compare without port,
case-insensitively (RFC 9110 §4.2.3: the host is case-insensitive).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wafproxy.asgi.upstream import UpstreamPool
from wafproxy.asgi.upstream_config import UpstreamConfig


@dataclass(frozen=True, slots=True)
class Route:
    """Requests for ``host`` (None = any) whose path starts with ``path_prefix``, to ``upstream``."""

    upstream: UpstreamConfig
    host: str | None = None
    path_prefix: str = "/"

    def __post_init__(self) -> None:
        if not self.path_prefix.startswith("/"):
            raise ValueError(f"Route.path_prefix: must start with '/', got {self.path_prefix!r}")


def host_of(value: bytes) -> str:
    """The host of a Host header value, lower-cased, without port or IPv6 brackets."""
    text = value.decode("latin-1").lower()
    if text.startswith("["):
        return text[1 : text.find("]")]
    return text.rsplit(":", 1)[0]


class RouteTable:
    """Routes compiled once: one pool per distinct ``UpstreamConfig``, most specific route first."""

    __slots__ = ("pools", "single", "_routes")

    def __init__(self, routes: Sequence[Route]) -> None:
        if not routes:
            raise ValueError("RouteTable: no routes")
        pools: dict[UpstreamConfig, UpstreamPool] = {}
        for route in routes:
            if route.upstream not in pools:
                pools[route.upstream] = UpstreamPool(route.upstream)
        self.pools = tuple(pools.values())
        ordered = sorted(routes, key=lambda r: (r.host is None, -len(r.path_prefix)))
        self._routes = [
            (r.host.lower() if r.host else None, r.path_prefix.rstrip("/"), pools[r.upstream])
            for r in ordered
        ]
        only = ordered[0]
        # The common case, one catch-all upstream, skips matching entirely.
        self.single = (
            pools[only.upstream]
            if len(ordered) == 1 and only.host is None and only.path_prefix == "/"
            else None
        )

    async def aclose(self) -> None:
        """Close every pool's idle connections; in-flight requests finish or fail."""
        for pool in self.pools:
            await pool.aclose()

    def match(self, scope: Mapping[str, Any]) -> UpstreamPool | None:
        """The pool for an ASGI HTTP scope, or None when no route serves it (answer 404)."""
        host = b""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
                break
        return self.route(host, scope["path"])

    def route(self, host_header: bytes, path: str) -> UpstreamPool | None:
        """The pool for a Host header value (b"" when absent) and a decoded path, or None."""
        host = host_of(host_header) if host_header else ""
        for route_host, prefix, pool in self._routes:
            if route_host is not None and route_host != host:
                continue
            if not prefix or path == prefix or path.startswith(prefix + "/"):
                return pool
        return None
