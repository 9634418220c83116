"""Shield-style layer-7 limits: what one client may cost us before the WAF even looks (issue 5).

Two halves, because some limits can only be kept where the bytes arrive:

* ``ShieldMiddleware`` (pure ASGI, in front of ``WafMiddleware``): URL length (414), header count
  and total header bytes (431), body size from Content-Length and while streaming (413), a body
  read timeout for clients that trickle the body (408), and concurrent requests per client IP
  (429, IPv6 grouped by prefix). Every refusal has a short body, ``Connection: close`` when the
  body may be unread, a counter in ``rejections`` (bounded label set: the reasons below), an
  ``on_reject`` callback for metrics, and a log line (sampled: the 1st, 2nd, 4th, 8th ... of
  each reason, so a flood cannot flood the log).
* ``server_limits()``: the uvicorn settings that bound connections, idle keep-alive and the head
  size, with a protocol class (``ShieldHttpToolsProtocol``) adding what uvicorn lacks: a header
  read timeout (slowloris: uvicorn has no timeout between accept and a complete head) and a cap
  on concurrent connections per client IP. Pass them as ``uvicorn.Config(app, **server_limits())``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, ClassVar

from wafproxy.asgi.app import BoundedHttpToolsProtocol
from wafproxy.asgi.flood import FloodGuard, FloodRule, FloodSettings, header_signature
from wafproxy.asgi.limits import BODY, REASONS, ShieldLimits, check_head, client_key

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("wafproxy.shield")

class _Refused(Exception):  # noqa: N818 - a signal, not an error
    def __init__(self, reason: str) -> None:
        self.reason = reason


class ShieldMiddleware:
    """Pure ASGI middleware enforcing ``ShieldLimits`` on HTTP requests; other scopes pass.

    ``client_ip`` maps a scope to the client address (default: the TCP peer); put the shield
    first so a refused request costs no WAF evaluation and never reaches the upstream.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: ShieldLimits | None = None,
        client_ip: Callable[[Scope], str | None] | None = None,
        on_reject: Callable[[str], None] | None = None,
        flood: FloodGuard | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.flood = flood
        self._clock = clock
        self.limits = limits or ShieldLimits()
        self._client_ip = client_ip or (lambda scope: (scope.get("client") or (None,))[0])
        self.on_reject = on_reject
        self.rejections: Counter[str] = Counter()
        self._in_flight: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reason = self._check_head(scope)
        if reason is not None and reason is not BODY:
            await self._refuse(send, reason, scope)
            return
        key = client_key(self._client_ip(scope), self.limits.ipv6_prefix)
        if self.flood is not None and self.flood.check(key, header_signature(scope), self._clock()):
            await self._refuse(send, "flood_mitigation", scope)
            return
        count = self._in_flight.get(key)
        if count is None and len(self._in_flight) >= self.limits.max_tracked_clients:
            await self._refuse(send, "client_table_full", scope)
            return
        if count is not None and count >= self.limits.max_requests_per_client:
            await self._refuse(send, "too_many_concurrent", scope)
            return
        self._in_flight[key] = (count or 0) + 1
        try:
            if reason is BODY:
                await self._guarded(scope, receive, send)
            else:
                # No Transfer-Encoding and no (or a zero) Content-Length: no body can arrive, so no
                # body limit or timeout can fire and the wrappers would only cost (issue 2).
                await self.app(scope, receive, send)
        finally:
            left = self._in_flight[key] - 1
            if left:
                self._in_flight[key] = left
            else:
                del self._in_flight[key]

    def _check_head(self, scope: Scope) -> str | None:
        raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
        url_bytes = len(raw_path) + 1 + len(scope.get("query_string", b""))
        return check_head(self.limits, url_bytes, scope.get("headers", ()))

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        limits = self.limits
        received = 0
        body_done = False
        refused: str | None = None
        started = answered = False

        async def guarded_receive() -> Message:
            # Only requests that may carry a body get here (``__call__``).
            nonlocal received, body_done, refused
            if body_done or refused is not None:
                return await receive()
            try:
                async with asyncio.timeout(limits.body_timeout):  # no extra task, unlike wait_for
                    message = await receive()
            except TimeoutError:
                refused = "body_timeout"
                raise _Refused(refused) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limits.max_body_bytes:
                    refused = "body_too_large"
                    raise _Refused(refused)
                body_done = not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, answered
            if refused is not None and not started:
                # The app answered after its body read failed (e.g. a framework's 500):
                # replace that answer with ours and drop the rest of it.
                if not answered:
                    answered = True
                    await self._refuse(send, refused, scope)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except _Refused:
            pass
        except Exception:
            if refused is None:
                raise
        if refused is not None and not started and not answered:
            await self._refuse(send, refused, scope)

    async def _refuse(self, send: Send, reason: str, scope: Scope) -> None:
        status, body = REASONS[reason]
        self.rejections[reason] += 1
        count = self.rejections[reason]
        if count & (count - 1) == 0:  # 1st, 2nd, 4th, 8th...: bounded log volume under a flood
            logger.warning(
                "shield refused %s (%d): %s from %s (%d so far)",
                scope.get("method", "?"),
                status,
                reason,
                client_key(self._client_ip(scope), 128),
                count,
            )
        if self.on_reject is not None:
            self.on_reject(reason)
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        if status == 429:
            headers.append((b"retry-after", b"1"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class ShieldHttpToolsProtocol(BoundedHttpToolsProtocol):
    """uvicorn's httptools protocol (with the app's head-size cap) plus a header read timeout
    and a cap on concurrent connections per client. ``server_limits`` makes a subclass bound to
    one ``ShieldLimits`` and one connection table (per process, shared by its connections)."""

    shield_limits: ClassVar[ShieldLimits] = ShieldLimits()
    shield_connections: ClassVar[dict[str, int]] = {}
    shield_refusals: ClassVar[Counter[str]] = Counter()
    _shield_key: str | None = None
    _head_timer: asyncio.TimerHandle | None = None
    _head_since: float | None = None  # loop.time() a head wait began; None when not waiting

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        limits, table = self.shield_limits, self.shield_connections
        key = client_key(self.client[0] if self.client else None, limits.ipv6_prefix)
        held = table.get(key, 0)
        if held >= limits.max_connections_per_client or (
            not held and len(table) >= limits.max_tracked_clients
        ):
            self._shield_refuse("too_many_connections", key)
            transport.close()
            return
        table[key] = held + 1
        self._shield_key = key
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_since = None
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        key, self._shield_key = self._shield_key, None
        if key is not None:
            left = self.shield_connections.get(key, 1) - 1
            if left > 0:
                self.shield_connections[key] = left
            else:
                self.shield_connections.pop(key, None)
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        self._disarm_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Waiting for the next head again, unless a pipelined request (head complete) started.
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        # One timer per connection, not one per request (call_later + cancel cost ~2 µs on every
        # keep-alive request, issue 2): a head wait only stamps its start; the pending timer, when
        # it fires early for an older wait, re-arms for what is left of this one.
        self._head_since = self.loop.time()
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.shield_limits.header_timeout, self._head_check)

    def _disarm_head_timer(self) -> None:
        self._head_since = None

    def _head_check(self) -> None:
        self._head_timer = None
        since = self._head_since
        if since is None:
            return  # not waiting for a head: the next wait arms a new timer
        left = since + self.shield_limits.header_timeout - self.loop.time()
        if left > 0:
            self._head_timer = self.loop.call_later(left, self._head_check)
            return
        self._head_timed_out()

    def _head_timed_out(self) -> None:
        self._head_since = None
        if self.transport.is_closing():
            return
        self._shield_refuse("header_timeout", self._shield_key or "-")
        status, body = 408, b"Request header timeout\n"
        self.transport.write(
            b"HTTP/1.1 %d Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (status, len(body), body)
        )
        self.transport.close()

    def _shield_refuse(self, reason: str, key: str) -> None:
        self.shield_refusals[reason] += 1
        count = self.shield_refusals[reason]
        if count & (count - 1) == 0:
            logger.warning("shield closed a connection: %s from %s (%d so far)", reason, key, count)


def server_limits(limits: ShieldLimits | None = None) -> dict[str, Any]:
    """``uvicorn.Config`` keyword arguments enforcing the server half of ``limits``.

    * ``http``: a ``ShieldHttpToolsProtocol`` subclass bound to ``limits`` (header read timeout
      -> 408 and close; connections per client beyond the cap are closed at accept; request
      head capped by ``BoundedHttpToolsProtocol``); its ``shield_refusals`` counts both.
    * ``timeout_keep_alive``: idle keep-alive connections closed after this many seconds.
    * ``limit_concurrency``: beyond this many connections or in-flight requests uvicorn answers
      503 instead of queueing (the process-wide bound behind the per-client ones).
    * ``h11_max_incomplete_event_size``: the head cap, should the h11 implementation be used.
    * ``backlog``: the accept queue; SYN floods are the kernel's (syncookies), not ours.
    """
    limits = limits or ShieldLimits()
    protocol = type(
        "ShieldHttpToolsProtocol",
        (ShieldHttpToolsProtocol,),
        {"shield_limits": limits, "shield_connections": {}, "shield_refusals": Counter()},
    )
    return {
        "http": protocol,
        "timeout_keep_alive": max(1, int(limits.keep_alive_timeout)),
        "limit_concurrency": limits.max_connections,
        "h11_max_incomplete_event_size": limits.max_header_bytes,
        "backlog": 2048,
    }


__all__ = ["BODY", "REASONS", "FloodGuard", "FloodRule", "FloodSettings", "ShieldHttpToolsProtocol",
           "ShieldLimits", "ShieldMiddleware", "check_head", "client_key", "header_signature",
           "server_limits"]
