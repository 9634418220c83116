"""A small keep-alive connection pool to one upstream, built on asyncio Protocols and httptools.

The proxy's data path and ``PoolTransport`` (httpx) both send through this pool. It is bounded
(``max_connections`` open at once, at most ``max_waiters`` queued behind them, then
``UpstreamPoolFull``), verifies TLS by default (system CAs or ``ca_file``; turning verification off
takes ``insecure_skip_verify=True`` and logs a WARNING), and reuses a connection only when the
previous response was read to its end and both sides kept the connection alive.

Usage::

    pool = UpstreamPool(UpstreamConfig("https://app.internal:8443", ca_file="ca.pem"))
    resp = await pool.request("GET", "/items?a=1", [(b"accept", b"*/*")], b"")
    async for chunk in resp:            # streamed; the connection returns to the pool at the end
        ...
    await pool.aclose()
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import urlsplit

from wafproxy.asgi.upstream_config import PoolStats, UpstreamConfig, ssl_context
from wafproxy.asgi.upstream_conn import UpstreamConnection
from wafproxy.asgi.upstream_errors import (
    UpstreamConnectError,
    UpstreamError,
    UpstreamPoolFull,
    UpstreamProtocolError,
    UpstreamTimeout,
    UpstreamTLSError,
    failure_kind,
)
from wafproxy.asgi.upstream_response import UpstreamResponse
from wafproxy.asgi.upstream_write import Body, send_streamed, send_whole, serialize_head

__all__ = [
    "PoolStats",
    "UpstreamConfig",
    "UpstreamConnectError",
    "UpstreamError",
    "UpstreamPool",
    "UpstreamPoolFull",
    "UpstreamProtocolError",
    "UpstreamResponse",
    "UpstreamTLSError",
    "UpstreamTimeout",
]

_P = TypeVar("_P", bound=asyncio.Protocol)
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


class UpstreamPool:
    """Keep-alive connections to one upstream. Create and use inside one event loop."""

    def __init__(self, config: UpstreamConfig) -> None:
        self.config = config
        parts = urlsplit(config.url)
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if config.tls else 80)
        self.base = parts.path.rstrip("/").encode("ascii")
        self._ssl = ssl_context(config) if config.tls else None
        bracketed = f"[{self._host}]" if ":" in self._host else self._host
        default_port = 443 if config.tls else 80
        host_header = bracketed if self._port == default_port else f"{bracketed}:{self._port}"
        self.host_header = host_header.encode("ascii")
        self.origin = f"{parts.scheme}://{host_header}"
        self._idle: list[UpstreamConnection] = []
        self._waiters: deque[asyncio.Future[UpstreamConnection | None]] = deque()
        self._count = 0
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        # Failed exchanges by ``failure_kind`` (and ``MID_RESPONSE``): a closed set of keys, read
        # by the metrics sync (``wafproxy_upstream_failures_total``), never per request.
        self.failures: dict[str, int] = {}

    def count_failure(self, kind: str) -> None:
        self.failures[kind] = self.failures.get(kind, 0) + 1

    @property
    def open_connections(self) -> int:
        return self._count

    def stats(self) -> PoolStats:
        """A snapshot for metrics and readiness probes (read it on the pool's own event loop)."""
        return PoolStats(open=self._count, idle=len(self._idle), waiting=len(self._waiters))

    async def request(
        self, method: str, target: str | bytes, headers: Sequence[tuple[bytes, bytes]], body: Body = b""
    ) -> UpstreamResponse:
        """Send one request; return once the response headers arrived (the body streams after)."""
        head, chunked = self.serialize(method, target, headers, body)
        return await self.send(method, head, chunked, body)

    def serialize(self, method: str, target: str | bytes, headers: Sequence[tuple[bytes, bytes]],
                  body: Body) -> tuple[bytes, bool]:
        """The request's head for this upstream and whether its body goes chunked (``ValueError``:
        ``serialize_head``'s refusals)."""
        return serialize_head(method, target, headers, body, self.base, self.host_header)

    async def send(self, method: str, head: bytes, chunked: bool, body: Body) -> UpstreamResponse:
        """``request`` with its head serialised already (``serialize``, or the server's own)."""
        loop = asyncio.get_running_loop()
        total = self.config.total_timeout
        deadline = loop.time() + total if total is not None else None
        retried = False
        while True:
            # The common case costs no coroutine: an idle kept-alive connection, a bytes body.
            conn = self._take_idle(loop)
            if conn is None:
                try:
                    conn = await self._acquire(loop, deadline)
                except UpstreamError as exc:  # connect, TLS, a full pool
                    self.count_failure(failure_kind(exc))
                    raise
            reused = conn.exchanges > 0
            conn.begin(method == "HEAD")
            conn.deadline = deadline
            try:
                if isinstance(body, bytes):
                    send_whole(conn, head, body, chunked)
                else:
                    await send_streamed(conn, head, body, chunked)
                await conn.wait_head()
            except UpstreamError as exc:
                self._release(conn, False)
                # A kept-alive connection the server closed just as we sent: nothing was processed
                # (no byte came back), so an idempotent request with a replayable body may go again.
                stale = reused and not conn.got_bytes and isinstance(exc, UpstreamProtocolError)
                if stale and not retried and isinstance(body, bytes) and method in _IDEMPOTENT:
                    retried = True
                    continue
                self.count_failure(failure_kind(exc))
                raise
            except BaseException:
                self._release(conn, False)
                raise
            return UpstreamResponse(self, conn)

    def send_now(self, method: str, head: bytes, chunked: bool, body: bytes, loop: asyncio.AbstractEventLoop
                 ) -> UpstreamConnection | None:
        """Write one request (its head serialised, its body in memory) on an idle kept-alive
        connection, without awaiting: the connection its response will arrive on (the caller
        follows it, as ``listener``, and hands it back with ``_release``), or None (no idle
        connection: use ``send``). ``loop``: the running one, passed in because asking for it
        (``asyncio.get_running_loop``) costs a ``getpid`` system call. The proxy server's fast
        lane (``server.fastlane``)."""
        conn = self._take_idle(loop)
        if conn is None:
            return None
        total = self.config.total_timeout
        conn.begin(method == "HEAD")
        conn.deadline = loop.time() + total if total is not None else None
        send_whole(conn, head, body, chunked)
        return conn

    def _take_idle(self, loop: asyncio.AbstractEventLoop) -> UpstreamConnection | None:
        """A live idle connection of this loop, without awaiting; None sends us to ``_acquire``."""
        idle = self._idle
        if not idle or self._closed or loop is not self._loop:
            return None
        now = loop.time()
        expiry = self.config.keepalive_expiry
        while idle:
            conn = idle.pop()
            if not conn.closed and now - conn.idle_since < expiry:
                return conn
            conn.abort()
            self._count -= 1
        return None

    async def _acquire(self, loop: asyncio.AbstractEventLoop, deadline: float | None) -> UpstreamConnection:
        if self._closed:
            raise UpstreamError("pool closed", self.config.url)
        if loop is not self._loop:
            # Connections belong to the loop that opened them; a pool reused under a new loop
            # (a restarted server, another test) starts over instead of touching dead transports.
            for conn in self._idle:
                conn.abort()
            self._count -= len(self._idle)
            self._idle.clear()
            self._loop = loop
        idle = self._idle
        if idle:
            now = loop.time()
            expiry = self.config.keepalive_expiry
            while idle:
                conn = idle.pop()
                if not conn.closed and now - conn.idle_since < expiry:
                    return conn
                conn.abort()
                self._count -= 1
        if self._count < self.config.max_connections:
            self._count += 1
            return await self._open(loop, deadline)
        if len(self._waiters) >= self.config.max_waiters:
            raise UpstreamPoolFull("all connections busy and the wait queue is full", self.config.url)
        fut: asyncio.Future[UpstreamConnection | None] = loop.create_future()
        self._waiters.append(fut)
        timer = loop.call_later(self._connect_budget(loop, deadline), _expire_waiter, fut, self.config.url)
        try:
            handed = await fut
        except BaseException:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                got = fut.result()  # handed to us just as we were cancelled: pass it on
                if got is None:
                    self._release_slot()
                else:
                    self._release(got, True)
            raise
        finally:
            timer.cancel()
        if handed is None:  # a slot was freed for us: open a fresh connection in it
            return await self._open(loop, deadline)
        return handed

    def _connect_budget(self, loop: asyncio.AbstractEventLoop, deadline: float | None) -> float:
        budget = self.config.connect_timeout
        if deadline is not None:
            budget = max(0.0, min(budget, deadline - loop.time()))
        return budget

    async def _open(self, loop: asyncio.AbstractEventLoop, deadline: float | None) -> UpstreamConnection:
        """Open a connection in a slot already counted in ``_count``; free the slot on failure."""
        url = self.config.url
        try:
            return await self._connect(
                loop, lambda: UpstreamConnection(loop, url, self.config.read_timeout), deadline
            )
        except BaseException:
            self._release_slot()
            raise

    async def _connect(
        self, loop: asyncio.AbstractEventLoop, factory: Callable[[], _P], deadline: float | None
    ) -> _P:
        url = self.config.url
        try:
            async with asyncio.timeout(self._connect_budget(loop, deadline)):
                _, protocol = await loop.create_connection(
                    factory,
                    self._host,
                    self._port,
                    ssl=self._ssl,
                    server_hostname=self._host if self._ssl is not None else None,
                )
        except TimeoutError:
            raise UpstreamTimeout("connect timeout", url, phase="connect") from None
        except ssl.SSLCertVerificationError as exc:
            raise UpstreamTLSError(f"certificate verify failed: {exc.verify_message}", url) from None
        except ssl.SSLError as exc:
            raise UpstreamTLSError(f"TLS handshake failed: {exc.reason or exc}", url) from None
        except OSError as exc:
            raise UpstreamConnectError(f"connect failed: {exc.strerror or exc}", url) from None
        return protocol

    async def open_tunnel(
        self, target: bytes, headers: Sequence[tuple[bytes, bytes]], factory: Callable[[], _P]
    ) -> _P:
        """A dedicated connection (never pooled, not counted) with a ``GET`` head written on it:
        an Upgrade (websocket) exchange, whose bytes the caller then relays both ways."""
        head, _ = serialize_head("GET", target, headers, b"", self.base, self.host_header)
        protocol = await self._connect(asyncio.get_running_loop(), factory, None)
        protocol.transport.write(head)  # type: ignore[attr-defined]
        return protocol

    def _release(self, conn: UpstreamConnection, reusable: bool) -> None:
        conn.in_use = False
        conn.deadline = None
        if reusable and not conn.closed and not self._closed:
            conn.exchanges += 1
            conn.idle_since = conn.loop.time()  # its loop is the running one (no getpid call)
            while self._waiters:
                fut = self._waiters.popleft()
                if not fut.done():
                    fut.set_result(conn)
                    return
            self._idle.append(conn)
            return
        conn.abort()
        self._release_slot()

    def _release_slot(self) -> None:
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)  # the slot passes to the oldest waiter
                return
        self._count -= 1

    async def aclose(self) -> None:
        """Close idle connections and refuse new requests; in-flight ones finish or fail."""
        self._closed = True
        for conn in self._idle:
            conn.abort()
        self._count -= len(self._idle)
        self._idle.clear()
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_exception(UpstreamError("pool closed", self.config.url))
        # abort() closes the socket in a loop callback: let it run, so a caller that stops the
        # loop (or blocks it) right after aclose() leaves no half-open connection behind.
        await asyncio.sleep(0)


def _expire_waiter(fut: asyncio.Future[UpstreamConnection | None], url: str) -> None:
    if not fut.done():
        fut.set_exception(UpstreamTimeout("no free upstream connection in time", url, phase="pool"))
