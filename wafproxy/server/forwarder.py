"""Where a request goes and the head it goes there with: the proxy server's side of forwarding.

Split from ``handler`` (what answers a request). The pool is the route table's (one upstream, or
one chosen by host and path); the head is what ``forwarding.upstream_headers`` makes of the
client's headers and the ones the decision inserts, serialised by the pool, except in the common
case (a body in memory from a peer that is not a trusted proxy), where it is written in one pass
(``forwarding.forward_lines`` and ``upstream_write.compose_head``: the same bytes, the same
refusals; ``tests/server/test_forward_head.py`` holds them to it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import unquote

from wafproxy.asgi.client_ip import TrustedProxies
from wafproxy.asgi.forwarding import forward_lines, upstream_headers
from wafproxy.asgi.upstream import UpstreamPool
from wafproxy.asgi.upstream_routes import RouteTable
from wafproxy.asgi.upstream_write import compose_head
from wafproxy.engine.decision import Decision
from wafproxy.engine.request import WafRequest
from wafproxy.server.exchange import Exchange

Headers = list[tuple[bytes, bytes]]


class Forwarder:
    """One per server: its routes, whether the client's Host goes upstream, its trusted proxies."""

    __slots__ = ("routes", "preserve_host", "trusted")

    def __init__(self, routes: RouteTable, preserve_host: bool, trusted: TrustedProxies) -> None:
        self.routes = routes
        self.preserve_host = preserve_host
        self.trusted = trusted

    def pool_for(self, ex: Exchange) -> UpstreamPool | None:
        """The pool of the upstream serving ``ex``'s host and path, or None (answered 404)."""
        return self.routes.single or self.routes.route(_host(ex), unquote(ex.path.decode("latin-1")))

    def head(self, ex: Exchange, request: WafRequest, decision: Decision, pool: UpstreamPool,
             payload: bytes | AsyncIterator[bytes]) -> tuple[bytes, bool]:
        """The head ``ex`` goes upstream with and whether its body goes chunked; ``ValueError``:
        a target or header the upstream must not get (``upstream_write``)."""
        via = ex.conn.via
        headers = ex.headers if not decision.inserted_headers else _with_inserted(ex.headers, decision)
        if via is not None and isinstance(payload, bytes) and request.client_ip == via.peer:
            lines = forward_lines(headers, via, pool.host_header, self.preserve_host)
            if lines is not None:  # the common case: the lines written as bytes in one pass
                parts, count, has_length = lines
                return compose_head(ex.method, ex.target, pool.base, parts, count, has_length, payload), False
        return pool.serialize(ex.method, ex.target, self.headers(ex, request, decision, pool), payload)

    def headers(self, ex: Exchange, request: WafRequest, decision: Decision, pool: UpstreamPool) -> Headers:
        """The headers ``ex`` goes upstream with (``forwarding.upstream_headers``)."""
        conn = ex.conn
        out, _ = upstream_headers(_with_inserted(ex.headers, decision), peer=conn.peer, scheme=conn.scheme,
                                  upstream_host=pool.host_header, preserve_host=self.preserve_host,
                                  trusted=self.trusted, client_ip=request.client_ip)
        return out


def _with_inserted(headers: Headers, decision: Decision) -> Headers:
    """The request's headers and those the decision inserts (``x-amzn-waf-*``), lower-case names."""
    inserted = decision.inserted_headers
    if not inserted:
        return headers
    return [*headers, *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in inserted)]


def _host(ex: Exchange) -> bytes:
    for name, value in ex.headers:
        if name == b"host":
            return value
    return b""
