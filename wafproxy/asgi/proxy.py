"""The reverse proxy: a raw ASGI callable that forwards HTTP requests through ``UpstreamPool``.

No Starlette on the data path: each layer of request/response objects costs CPU on every request,
and the proxy's budget is ~150 µs per request (issue 2). The hot path builds one header list per
direction, does one ``pool.request`` and one ``send`` per body chunk, and logs only on failure.

What it does to a request (RFC 9110 §7.6, RFC 7239):
- removes hop-by-hop headers both ways, including every header named in ``Connection``;
- ``X-Forwarded-For``: appends the peer to the incoming chain when the peer is a trusted proxy,
  else starts a fresh chain with the peer (an untrusted client must not seed the chain);
  ``Forwarded`` likewise; ``X-Forwarded-Proto``/``-Host`` are kept from a trusted peer and set
  from what we saw otherwise; ``X-Real-IP`` is the resolved client IP (the WAF middleware's
  ``scope["state"]["wafproxy.client_ip"]`` when present, else ``client_ip.py``);
- ``Host``: the client's (``preserve_host=True``) or the upstream's;
- drops ``Expect``: uvicorn already answered ``100-continue`` to the client, and the upstream's
  interim response would be a second one.
Failures answer 502 (unreachable, TLS verification, invalid response), 503 (pool saturated) or
504 (timeout) with a short text body and one WARNING on logger ``wafproxy.proxy``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from typing import Any
from urllib.parse import quote

from wafproxy.asgi.client_ip import TrustedProxies
from wafproxy.asgi.hop_by_hop import HOP_BY_HOP, connection_tokens, strip_hop_by_hop
from wafproxy.asgi.http_cycle import BODY_FOLLOWS
from wafproxy.asgi.upstream import (
    UpstreamConfig,
    UpstreamError,
    UpstreamPool,
    UpstreamPoolFull,
    UpstreamResponse,
    UpstreamTimeout,
    UpstreamTLSError,
)
from wafproxy.asgi.upstream_routes import Route, RouteTable

__all__ = ["ReverseProxy", "Route"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

logger = logging.getLogger("wafproxy.proxy")
CLIENT_IP_KEY = "wafproxy.client_ip"  # set by WafMiddleware (wafproxy/asgi/middleware.py)

# Request headers we never copy as-is: hop-by-hop ones, and those we (re)write ourselves.
_REWRITTEN = frozenset(
    {
        b"host",
        b"x-forwarded-for",
        b"forwarded",
        b"x-forwarded-proto",
        b"x-forwarded-host",
        b"x-real-ip",
        b"expect",
    }
)
_PATH_SAFE = "/:@!$&'()*+,;=-._~"  # RFC 3986 pchar, when a server gives no raw_path
_SPECIAL = HOP_BY_HOP | _REWRITTEN | {b"content-length"}


class _ClientGone(Exception):
    """The downstream client disconnected while we were reading its request body."""


def _text(status: int, text: str) -> tuple[Message, Message]:
    body = text.encode() + b"\n"
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    return (
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": body, "more_body": False},
    )


def _failure(exc: UpstreamError) -> tuple[int, str]:
    if isinstance(exc, UpstreamTimeout):
        return 504, "Gateway Timeout: the upstream did not answer in time"
    if isinstance(exc, UpstreamPoolFull):
        return 503, "Service Unavailable: the upstream is saturated"
    if isinstance(exc, UpstreamTLSError):
        return 502, "Bad Gateway: the upstream's TLS certificate could not be verified"
    return 502, "Bad Gateway: the upstream is unreachable or sent an invalid response"


def _log_path(scope: Scope) -> str:
    """The path for a log line: raw (still percent-encoded, so a decoded %0A cannot forge a log
    line), without the query string (it may carry tokens), and bounded."""
    raw: bytes | None = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else quote(scope["path"], safe=_PATH_SAFE)
    return path if len(path) <= 200 else path[:200] + "..."


class ReverseProxy:
    """The data-path ASGI app. Serve it with uvicorn (uvloop + httptools), ideally with
    ``server_header=False, date_header=False`` (the upstream's own headers are forwarded) and
    ``proxy_headers=False`` (client addresses are resolved here, from ``trusted_proxies``)::

        app = ReverseProxy(UpstreamConfig("http://127.0.0.1:8000"), trusted_proxies=["10.0.0.0/8"])
        app = ReverseProxy(routes=[Route(UpstreamConfig(a), path_prefix="/api"),
                                   Route(UpstreamConfig(b), host="static.example")])

    ``preserve_host`` keeps the client's Host (default) or sends the upstream's. Lifespan
    shutdown (or ``aclose()``) closes the upstream connections.
    """

    def __init__(
        self,
        upstream: UpstreamConfig | None = None,
        *,
        routes: Sequence[Route] = (),
        preserve_host: bool = True,
        trusted_proxies: TrustedProxies | Sequence[str] = (),
    ) -> None:
        if (upstream is None) == (not routes):
            raise ValueError("ReverseProxy: give exactly one of upstream or routes")
        self._table = RouteTable(list(routes) if routes else [Route(upstream)])  # type: ignore[arg-type]
        self._single = self._table.single
        self._preserve_host = preserve_host
        self._trusted = (
            trusted_proxies
            if isinstance(trusted_proxies, TrustedProxies)
            else TrustedProxies(trusted_proxies)
        )

    @property
    def pools(self) -> tuple[UpstreamPool, ...]:
        """One pool per distinct upstream (for metrics and tests; use them only on the serving loop)."""
        return self._table.pools

    async def aclose(self) -> None:
        for pool in self._table.pools:
            await pool.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1003})  # not proxied: refuse the handshake

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        pool = self._single or self._table.match(scope)
        if pool is None:
            start, body_msg = _text(404, "Not Found: no upstream serves this host and path")
            await send(start)
            await send(body_msg)
            return
        headers, has_body = self._request_headers(scope, pool)
        target: bytes = scope.get("raw_path") or quote(scope["path"], safe=_PATH_SAFE).encode("ascii")
        query: bytes = scope.get("query_string", b"")
        if query:
            target = target + b"?" + query
        body: bytes | AsyncIterator[bytes] = b""
        if has_body:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            first: bytes = message.get("body", b"")
            body = _stream_body(first, receive) if message.get("more_body", False) else first
        method: str = scope["method"]
        try:
            resp = await pool.request(method, target, headers, body)
        except UpstreamError as exc:
            await self._fail(scope, send, exc)
            return
        except _ClientGone:
            return
        except ValueError:
            start, body_msg = _text(400, "Bad Request: invalid request target or header")
            await send(start)
            await send(body_msg)
            return
        await self._respond(scope, receive, send, resp)

    def _request_headers(self, scope: Scope, pool: UpstreamPool) -> tuple[list[tuple[bytes, bytes]], bool]:
        out: list[tuple[bytes, bytes]] = []
        host = xff = fwd = proto = fhost = None
        named: list[bytes] | None = None
        has_body = False
        for name, value in scope["headers"]:
            if name not in _SPECIAL:
                out.append((name, value))
            elif name == b"content-length":
                has_body = True
                out.append((name, value))
            elif name == b"host":
                host = value
            elif name == b"x-forwarded-for":
                xff = value if xff is None else xff + b", " + value
            elif name == b"forwarded":
                fwd = value if fwd is None else fwd + b", " + value
            elif name == b"x-forwarded-proto":
                proto = value
            elif name == b"x-forwarded-host":
                fhost = value
            elif name == b"transfer-encoding":
                has_body = True
            elif name == b"connection":
                named = [value] if named is None else [*named, value]
        if named is not None:
            extra = connection_tokens(named)
            if extra:
                out = [(n, v) for n, v in out if n not in extra]
        client = scope.get("client")
        peer = client[0] if client else ""
        trusted = bool(peer) and self._trusted.is_trusted(peer)
        peer_b = peer.encode("latin-1")
        scheme: str = scope.get("scheme", "http")
        out.append((b"host", host if self._preserve_host and host is not None else pool.host_header))
        if trusted and xff is not None:
            out.append((b"x-forwarded-for", xff + b", " + peer_b))
        elif peer:  # no socket peer (unix socket): no address to vouch for, send none
            out.append((b"x-forwarded-for", peer_b))
        out.append((b"x-forwarded-proto", proto if trusted and proto is not None else scheme.encode()))
        forwarded_host = fhost if trusted and fhost is not None else host
        if forwarded_host is not None:
            out.append((b"x-forwarded-host", forwarded_host))
        node = b'"[' + peer_b + b']"' if ":" in peer else peer_b or b"unknown"
        ours = b"for=" + node + b";proto=" + scheme.encode()
        if host is not None:
            ours += b';host="' + host.replace(b"\\", b"").replace(b'"', b"") + b'"'
        out.append((b"forwarded", fwd + b", " + ours if trusted and fwd is not None else ours))
        client_ip = self._client_ip(scope, peer, trusted, xff)
        if client_ip:
            out.append((b"x-real-ip", client_ip.encode("latin-1")))
        return out, has_body

    def _client_ip(self, scope: Scope, peer: str, trusted: bool, xff: bytes | None) -> str:
        state = scope.get("state")
        if state:
            resolved = state.get(CLIENT_IP_KEY)
            if resolved:
                return str(resolved)
        if trusted and xff is not None:
            return self._trusted.resolve(peer, [xff.decode("latin-1")])
        return peer

    async def _respond(self, scope: Scope, receive: Receive, send: Send, resp: UpstreamResponse) -> None:
        headers = strip_hop_by_hop(resp.headers)
        whole = resp.take_body()
        if whole is not None:
            # All of it is here (the common small response): one start, one body, and the server
            # writes both at once (BODY_FOLLOWS, http_cycle.py); no chunk loop, no watcher.
            await send({"type": "http.response.start", "status": resp.status, "headers": headers,
                        BODY_FOLLOWS: True})
            await send({"type": "http.response.body", "body": whole, "more_body": False})
            return
        gone = False
        watcher: asyncio.Task[None] | None = None

        async def watch() -> None:
            # A long body streams to a client that may leave: uvicorn then drops our sends
            # silently, so stop pulling from the upstream as soon as it tells us.
            nonlocal gone
            while (await receive())["type"] != "http.disconnect":
                pass
            gone = True
            resp.release()

        try:
            await send({"type": "http.response.start", "status": resp.status, "headers": headers})
            while True:
                chunk = await resp.read_chunk()
                if resp.finished:
                    await send({"type": "http.response.body", "body": chunk, "more_body": False})
                    return
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                if watcher is None:  # only streaming responses pay for the task
                    watcher = asyncio.get_running_loop().create_task(watch())
        except UpstreamError as exc:
            if not gone:
                # Headers are out: the only honest signal left is an incomplete response, which
                # uvicorn produces (connection closed) when we return without finishing it.
                logger.warning(
                    "%s %s: upstream %s failed mid-response: %s",
                    scope["method"],
                    _log_path(scope),
                    exc.upstream,
                    exc.reason,
                )
        finally:
            if watcher is not None:
                watcher.cancel()
            resp.release()

    async def _fail(self, scope: Scope, send: Send, exc: UpstreamError) -> None:
        status, text = _failure(exc)
        logger.warning(
            "%s %s -> %d: upstream %s: %s",
            scope["method"],
            _log_path(scope),
            status,
            exc.upstream,
            exc.reason,
        )
        start, body = _text(status, text)
        await send(start)
        await send(body)


async def _stream_body(first: bytes, receive: Receive) -> AsyncIterator[bytes]:
    """The client's request body as it arrives (ASGI ``http.request`` messages)."""
    yield first
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return
