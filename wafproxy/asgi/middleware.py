"""``WafMiddleware``: the engine in front of any ASGI app, as a pure ASGI middleware.

Two lines protect a Starlette/FastAPI app with the same engine and the same decisions as the proxy::

    app.add_middleware(WafMiddleware, acl="rules/default-web-acl.json")

Per HTTP request: resolve the client IP once (``client_ip.py``), buffer the body up to the ACL's
inspection limit, build a ``WafRequest``, drive ``evaluate_steps`` (answering rate checks from the
rate store), then either answer (BLOCK/CAPTCHA/CHALLENGE, the app never sees the request) or call
the app with the inserted headers added and the buffered body replayed message by message,
untouched, before the rest streams from the original ``receive``. A request that declares no body
(HTTP/1.x, nearly every GET) takes a fast path (issue 11): nothing is read or buffered, the app
gets the server's own ``receive``, and its own ``send`` unless an event needs the status.
Websocket handshakes are inspected as GET requests without a body. Lifespan and other scopes pass
straight through. Nothing here logs per request: one ``RequestEvent`` per request goes to
``event_sink``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from time import perf_counter  # a global, not an attribute of ``time``: one lookup less compiled
from typing import Literal

from wafproxy.asgi.bodyscan import BodyBlocked, BodyPolicy, BodyReader, BodyRefused
from wafproxy.asgi.downstream import CLIENT_IP_KEY, DECISION_KEY, StatusSend, downstream_scope, send_refusal
from wafproxy.asgi.inspector import (
    ENGINE_ERROR_RULE_ID,
    FAIL_OPEN_RULE_ID,
    FORWARDED,
    Inspector,
    allowed,
    rate_rule_ids,
)
from wafproxy.asgi.responses import send_response
from wafproxy.asgi.scoperequest import DECLARED_BODY_VERSIONS, bodiless_request, read_headers, scope_request
from wafproxy.asgi.types import ASGIApp, Message, Receive, Scope, Send
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.engine.decision import Decision
from wafproxy.engine.parsing import ContentLimits
from wafproxy.engine.request import WafRequest
from wafproxy.ports import AsyncRateStore, EventSink, RateStore, RequestGate

__all__ = ["CLIENT_IP_KEY", "DECISION_KEY", "ENGINE_ERROR_RULE_ID", "FAIL_OPEN_RULE_ID", "WafMiddleware",
           "rate_rule_ids"]

# RFC 6455 §7.4.1: 1008 "policy violation" is the close code for a refused connection.
WS_POLICY_VIOLATION = 1008


class WafMiddleware:
    """Inspect every HTTP request and websocket handshake before ``app`` sees it."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        acl: str | Path | CompiledWebACL,
        trusted_proxies: Sequence[str] = (),
        event_sink: EventSink | None = None,
        rate_store: RateStore | AsyncRateStore | None = None,
        fail_mode: Literal["open", "closed"] = "closed",
        source: str = "MIDDLEWARE",
        clock: Callable[[], float] = time.time,
        on_fail_open: Callable[[str], None] | None = None,
        gate: RequestGate | None = None,
        content_limits: ContentLimits | None = None,
        on_limit: Callable[[str], None] | None = None,
        body_policy: BodyPolicy | None = None,
        on_body_refused: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.on_body_refused = on_body_refused  # e.g. LimitsMetrics.shield_reject (413/415 reasons)
        self.inspector = Inspector(acl=acl, trusted_proxies=trusted_proxies, event_sink=event_sink,
                                   rate_store=rate_store, fail_mode=fail_mode, source=source, clock=clock,
                                   on_fail_open=on_fail_open, gate=gate, content_limits=content_limits,
                                   on_limit=on_limit, body_policy=body_policy)

    @property
    def gate(self) -> RequestGate | None:
        return self.inspector.gate

    @gate.setter
    def gate(self, gate: RequestGate | None) -> None:
        self.inspector.gate = gate

    @property
    def acl(self) -> CompiledWebACL:
        return self.inspector.acl

    @property
    def rate_store(self) -> RateStore | AsyncRateStore | None:
        return self.inspector.rate_store

    @property
    def engine_errors(self) -> int:
        return self.inspector.engine_errors

    @property
    def fail_opens(self) -> int:
        return self.inspector.fail_opens

    def swap_acl(self, compiled: CompiledWebACL) -> None:
        """Install a newly compiled ACL; in-flight requests finish on the one they started with."""
        self.inspector.swap_acl(compiled)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            if kind == "websocket":
                await self._websocket(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        text_headers, by_name, bodiless = read_headers(scope["headers"])
        if not bodiless or scope.get("http_version", "1.1") not in DECLARED_BODY_VERSIONS:
            await self._http(scope, receive, send)
            return
        # A request without a body (nearly every GET): nothing to read first, so the app gets the
        # server's own ``receive``, and its own ``send`` unless an event needs the status. Without
        # an event sink nor a gate no clock is read (a timestamp and timings feed events only).
        inspector = self.inspector
        sink = inspector.sink
        timed = sink is not None or inspector.gate is not None
        started = inspector.clock() if timed else 0.0
        request = bodiless_request(inspector, scope, text_headers, by_name, scope.get("method", "GET"))
        acl = inspector.acl
        decision = inspector.gated(request.client_ip, started) if inspector.gate is not None else None
        if decision is not None:
            eval_seconds, retry_after = 0.0, 0
        else:
            t0 = perf_counter() if sink is not None else 0.0
            if inspector.decides_now:  # no store, or a synchronous one: no coroutine to await
                decision, eval_seconds, retry_after = inspector.decide_now(acl, request)
            else:
                decision, eval_seconds, retry_after = await inspector.decide(acl, request)
            if decision.action in FORWARDED:
                scope = downstream_scope(scope, request, decision)
                if sink is None:
                    await self.app(scope, receive, send)
                    return
                sent = StatusSend(send)
                try:
                    await self.app(scope, receive, sent)
                except BaseException:  # the server answers 500 (or nothing); still one event
                    inspector.emit(started, acl, request, decision, 500, eval_seconds,
                                   perf_counter() - t0)
                    raise
                inspector.emit(started, acl, request, decision, sent.status, eval_seconds,
                               perf_counter() - t0 - eval_seconds)
                return
        status = await send_response(send, inspector.refusal(decision, retry_after),
                                     head_only=request.method == "HEAD")
        if sink is not None:
            inspector.emit(started, acl, request, decision, status, eval_seconds, None)

    # ---- HTTP ------------------------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        inspector = self.inspector
        started = inspector.clock()
        if inspector.gate is not None:
            # The client IP alone decides; the request is built only to record a refusal.
            client = scope.get("client")
            client_ip = inspector.client_ip(client[0] if client else "", scope["headers"])
            refused = inspector.gated(client_ip, started)
            if refused is not None:
                request = scope_request(inspector, scope, b"", 0, False)
                status = await send_response(send, inspector.refusal(refused, 0),
                                             head_only=request.method == "HEAD")
                inspector.emit(started, inspector.acl, request, refused, status, 0.0, None)
                return
        t0 = perf_counter()
        acl = inspector.acl
        limit: int = acl.body_inspection_limit
        buffered: list[Message] = []
        more = True
        try:
            reader = inspector.body_reader(acl, scope["headers"])
            while more and reader.size < limit:
                message = await receive()
                buffered.append(message)
                if message["type"] != "http.request":  # http.disconnect: the client is gone
                    return
                reader.first(message.get("body", b""))
                more = message.get("more_body", False)
        except BodyRefused as exc:
            await self._refuse_body(send, exc)
            return
        body = reader.window()
        request = scope_request(inspector, scope, body[:limit], len(body), more)
        decision, eval_seconds, retry_after = await inspector.decide(acl, request)
        if allowed(decision):
            try:  # the managed groups past the first window (bodyscan)
                decision = reader.start(request, not more) or decision
            except BodyRefused as exc:
                await self._refuse_body(send, exc)
                return
        inspecting = allowed(decision) and (reader.stream is not None or reader.decoder is not None)
        if inspecting:  # the app gets inspected bytes only, the rest as ``reader`` clears them
            buffered = [{"type": "http.request", "body": reader.release(), "more_body": more}]
            if not more:
                buffered[0]["body"] += reader.end()

        forwarded = allowed(decision)
        if forwarded:
            try:
                status = await self._forward(scope, receive, send, request, decision, buffered,
                                             reader if more and inspecting else None)
            except BodyBlocked as exc:  # a later window matched: the app saw a truncated body
                decision = exc.decision
                status = await send_response(send, inspector.refusal(decision, 0),
                                             head_only=request.method == "HEAD")
                forwarded = False
            except BodyRefused as exc:
                status = await self._refuse_body(send, exc)
                forwarded = False
            except BaseException:
                # the server answers 500 (or nothing); still one event
                inspector.emit(started, acl, request, decision, 500, eval_seconds, perf_counter() - t0)
                raise
        else:
            resp = inspector.refusal(decision, retry_after)
            status = await send_response(send, resp, head_only=request.method == "HEAD")
        if inspector.sink is not None:
            inspector.emit(started, acl, request, decision, status, eval_seconds,
                           perf_counter() - t0 - eval_seconds if forwarded else None)

    async def _forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request: WafRequest,
        decision: Decision,
        buffered: list[Message],
        reader: BodyReader | None = None,
    ) -> int:
        scope = downstream_scope(scope, request, decision)
        pending = iter(buffered)
        blocked: list[BodyBlocked | BodyRefused] = []

        async def replay() -> Message:
            # The buffered messages first, exactly as received, then the live stream; with a
            # streamed scan, only inspected bytes, the last ones once the body ended.
            for message in pending:
                return message
            if blocked:
                return {"type": "http.disconnect"}
            message = await receive()
            if reader is None or message["type"] != "http.request":
                return message
            try:
                cleared = reader.push(message.get("body", b""))
                if not message.get("more_body", False):
                    cleared += reader.end()
            except (BodyBlocked, BodyRefused) as exc:
                blocked.append(exc)  # the app sees the client leave: a truncated body, never all of it
                return {"type": "http.disconnect"}
            return {"type": "http.request", "body": cleared, "more_body": message.get("more_body", False)}

        status = 500
        started = False

        async def capture(message: Message) -> None:
            nonlocal status, started
            if blocked and not started:
                return  # refused mid-body: the WAF answers, not the app
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
            await send(message)

        if self.inspector.sink is None and reader is None:
            await self.app(scope, replay, send)
            return status
        await self.app(scope, replay, capture)
        if blocked and not started:
            raise blocked[0]
        return status

    async def _refuse_body(self, send: Send, exc: BodyRefused) -> int:
        if self.on_body_refused is not None:
            self.on_body_refused(exc.refusal[1])
        return await send_refusal(send, exc.refusal)

    # ---- websocket ------------------------------------------------------------------------------

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        inspector = self.inspector
        started = inspector.clock()
        acl = inspector.acl
        text_headers, by_name, _ = read_headers(scope["headers"])
        request = bodiless_request(inspector, scope, text_headers, by_name, "GET")
        refused = inspector.gated(request.client_ip, started)
        if refused is not None:
            decision, eval_seconds = refused, 0.0
        else:
            decision, eval_seconds, _ = await inspector.decide(acl, request)
        status = 101
        if allowed(decision):
            scope = downstream_scope(scope, request, decision)
            status = 500  # the app ended without accepting or closing: uvicorn answers 500

            async def capture(message: Message) -> None:
                nonlocal status
                if message["type"] == "websocket.accept" and status != 101:
                    status = 101
                elif message["type"] == "websocket.close" and status == 500:
                    status = 403  # closed before accept: the server refuses the handshake
                await send(message)

            await self.app(scope, receive, capture)
        else:
            # Closing before accepting makes the server refuse the handshake (uvicorn: HTTP 403).
            await send({"type": "websocket.close", "code": WS_POLICY_VIOLATION})
            status = 403
        inspector.emit(started, acl, request, decision, status, eval_seconds, None)
