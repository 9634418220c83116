"""The reverse proxy: a raw ASGI callable that forwards HTTP requests through ``UpstreamPool``.

No Starlette on the data path: each layer of request/response objects costs CPU on every request,
and the proxy's budget is ~150 µs per request (issue 2). The hot path builds one header list per
direction, does one ``pool.request`` and one ``send`` per body chunk, and logs only on failure.

What it does to a request's headers is ``forwarding.upstream_headers`` (shared with the proxy
server, ``wafproxy/server/``); response headers lose their hop-by-hop fields.
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
from wafproxy.asgi.forwarding import upstream_headers
from wafproxy.asgi.hop_by_hop import strip_hop_by_hop
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

_PATH_SAFE = "/:@!$&'()*+,;=-._~"  # RFC 3986 pchar, when a server gives no raw_path


class _ClientGone(Exception):
    """The downstream client disconnected while we were reading its request body."""


def _text(status: int, text: str) -> tuple[Message, Message]:
    body = text.encode() + b"\n"
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    return (
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": body, "more_body": False},
    )


def upstream_failure(exc: UpstreamError) -> tuple[int, str]:
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
        client = scope.get("client")
        state = scope.get("state")
        return upstream_headers(
            scope["headers"], peer=client[0] if client else "", scheme=scope.get("scheme", "http"),
            upstream_host=pool.host_header, preserve_host=self._preserve_host, trusted=self._trusted,
            client_ip=str(state.get(CLIENT_IP_KEY) or "") if state else "",
        )

    async def _respond(self, scope: Scope, receive: Receive, send: Send, resp: UpstreamResponse) -> None:
        headers = strip_hop_by_hop(resp.headers)
        whole = resp.take_body()
        if whole is not None:
            # All of it is here (the common small response): one start, one body; no chunk loop,
            # no watcher.
            await send({"type": "http.response.start", "status": resp.status, "headers": headers})
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
        status, text = upstream_failure(exc)
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
