"""``PoolTransport``: our upstream pool behind httpx's transport interface.

Code that speaks httpx (sidecars, tests, users) gets the same lean keep-alive pool as the proxy's
data path instead of httpcore's, which costs milliseconds per request (encode/httpx#3215)::

    async with httpx.AsyncClient(transport=PoolTransport(UpstreamConfig("https://api:8443"))) as c:
        r = await c.get("https://api:8443/items")

One transport talks to one origin: a request for another origin raises ``httpx.UnsupportedProtocol``
rather than silently going to the pool's host. Timeouts, TLS and limits come from the
``UpstreamConfig``; httpx's per-request ``timeout=`` is not applied (set it on the config).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from wafproxy.asgi.upstream import (
    UpstreamConfig,
    UpstreamConnectError,
    UpstreamError,
    UpstreamPool,
    UpstreamPoolFull,
    UpstreamProtocolError,
    UpstreamResponse,
    UpstreamTimeout,
    UpstreamTLSError,
)

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _to_httpx(exc: UpstreamError, request: httpx.Request) -> httpx.TransportError:
    message = str(exc)
    if isinstance(exc, UpstreamTimeout):
        kind: type[httpx.TransportError] = {
            "connect": httpx.ConnectTimeout,
            "pool": httpx.PoolTimeout,
        }.get(exc.phase, httpx.ReadTimeout)
        return kind(message, request=request)
    if isinstance(exc, UpstreamPoolFull):
        return httpx.PoolTimeout(message, request=request)
    if isinstance(exc, UpstreamConnectError | UpstreamTLSError):
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, UpstreamProtocolError):
        return httpx.RemoteProtocolError(message, request=request)
    return httpx.NetworkError(message, request=request)


class _BodyStream(httpx.AsyncByteStream):
    """The streamed response body; closing it early closes (never reuses) the connection."""

    def __init__(self, response: UpstreamResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            while chunk := await self._response.read_chunk():
                yield chunk
        except UpstreamError as exc:
            raise _to_httpx(exc, self._request) from exc

    async def aclose(self) -> None:
        self._response.release()


class PoolTransport(httpx.AsyncBaseTransport):
    """An httpx transport over one ``UpstreamPool`` (given, or built from a config and owned)."""

    def __init__(self, pool: UpstreamPool | UpstreamConfig) -> None:
        self._owned = isinstance(pool, UpstreamConfig)
        self.pool = UpstreamPool(pool) if isinstance(pool, UpstreamConfig) else pool
        url = httpx.URL(self.pool.config.url)
        self._origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS[url.scheme])

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if (url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)) != self._origin:
            raise httpx.UnsupportedProtocol(
                f"PoolTransport serves {self.pool.origin} only, not {url.scheme}://{url.netloc.decode()}",
                request=request,
            )
        body: bytes | httpx.AsyncByteStream
        try:
            body = request.content
        except httpx.RequestNotRead:
            assert isinstance(request.stream, httpx.AsyncByteStream)
            body = request.stream
        try:
            response = await self.pool.request(request.method, url.raw_path, request.headers.raw, body)
        except UpstreamError as exc:
            raise _to_httpx(exc, request) from exc
        return httpx.Response(
            response.status,
            headers=response.headers,
            stream=_BodyStream(response, request),
            extensions={"http_version": b"HTTP/1.1"},
            request=request,
        )

    async def aclose(self) -> None:
        if self._owned:
            await self.pool.aclose()
