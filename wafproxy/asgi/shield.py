"""Shield-style layer-7 limits: what one client may cost us before the WAF even looks (issue 5).

Two halves, because some limits can only be kept where the bytes arrive:

* ``ShieldMiddleware`` (pure ASGI, in front of ``WafMiddleware``): URL length (414), header count
  and total header bytes (431), body size from Content-Length and while streaming (413), a body
  read timeout for clients that trickle the body (408), and concurrent requests per client IP
  (429, IPv6 grouped by prefix). Every refusal has a short body, ``Connection: close`` when the
  body may be unread, a counter in ``rejections`` (bounded label set: the reasons below), an
  ``on_reject`` callback for metrics, and a log line (sampled: the 1st, 2nd, 4th, 8th ... of
  each reason, so a flood cannot flood the log).
* the server half: ``wafproxy serve``'s own server (``wafproxy/server/connection.py``) keeps the
  header read timeout (slowloris), connections per client and the head size. An ASGI user gets
  what uvicorn itself offers through ``server_limits()`` (idle keep-alive, process-wide
  concurrency, backlog) as ``uvicorn.Config(app, **server_limits())``; uvicorn has no header
  timeout, and we no longer subclass its private protocol classes to add one (issue 11).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

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


def server_limits(limits: ShieldLimits | None = None) -> dict[str, Any]:
    """``uvicorn.Config`` keyword arguments enforcing the server half of ``limits``.

    * ``timeout_keep_alive``: idle keep-alive connections closed after this many seconds.
    * ``limit_concurrency``: beyond this many connections or in-flight requests uvicorn answers
      503 instead of queueing (the process-wide bound behind the per-client ones).
    * ``h11_max_incomplete_event_size``: the head cap, should the h11 implementation be used.
    * ``backlog``: the accept queue; SYN floods are the kernel's (syncookies), not ours.
    """
    limits = limits or ShieldLimits()
    return {
        "timeout_keep_alive": max(1, int(limits.keep_alive_timeout)),
        "limit_concurrency": limits.max_connections,
        "h11_max_incomplete_event_size": limits.max_header_bytes,
        "backlog": 2048,
    }


__all__ = ["BODY", "REASONS", "FloodGuard", "FloodRule", "FloodSettings", "ShieldLimits", "ShieldMiddleware",
           "check_head", "client_key", "header_signature", "server_limits"]
