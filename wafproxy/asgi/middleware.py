"""``WafMiddleware``: the engine in front of any ASGI app, as a pure ASGI middleware.

Two lines protect a Starlette/FastAPI app with the same engine and the same decisions as the proxy::

    app.add_middleware(WafMiddleware, acl="rules/default-web-acl.json")

Per HTTP request: resolve the client IP once (``client_ip.py``), buffer the body up to the ACL's
inspection limit, build a ``WafRequest``, drive ``evaluate_steps`` (answering rate checks from the
rate store), then either answer (BLOCK/CAPTCHA/CHALLENGE, the app never sees the request) or call
the app with the inserted headers added and the buffered body replayed message by message,
untouched, before the rest streams from the original ``receive``. Websocket handshakes are
inspected as GET requests without a body. Lifespan and other scopes pass straight through.
Nothing here logs per request: one ``RequestEvent`` per request goes to ``event_sink``.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from pathlib import Path
from typing import Any, Literal

from wafproxy.aclfiles import load_web_acl
from wafproxy.asgi.client_ip import TrustedProxies
from wafproxy.asgi.responses import ENGINE_ERROR, rate_limited, response_for, send_response
from wafproxy.engine import evaluate_steps
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.engine.decision import Action, CustomResponse, Decision, RuleType
from wafproxy.engine.request import WafRequest
from wafproxy.events import RequestEvent
from wafproxy.ports import GATE_RULE_ID, AsyncRateStore, EventSink, GateBlock, RateStore, RequestGate

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("wafproxy.middleware")

CLIENT_IP_KEY = "wafproxy.client_ip"
DECISION_KEY = "wafproxy.decision"
FAIL_OPEN_RULE_ID = "wafproxy_FailOpen"
ENGINE_ERROR_RULE_ID = "wafproxy_EngineError"
# RFC 6455 §7.4.1: 1008 "policy violation" is the close code for a refused connection.
WS_POLICY_VIOLATION = 1008

GATE_BODY = b"Forbidden: this client is blocked by the threat detector.\n"

_ids = itertools.count(1)
_ID_PREFIX = f"{os.getpid():x}-{os.urandom(4).hex()}-"


def _compile(acl: str | Path | CompiledWebACL) -> CompiledWebACL:
    if isinstance(acl, str | Path):
        return load_web_acl(Path(acl))
    if not isinstance(acl, CompiledWebACL):
        raise TypeError(f"acl must be a path or a CompiledWebACL, got {type(acl).__name__}")
    return acl


def rate_rule_ids(acl: CompiledWebACL) -> set[str]:
    """The ``RateCheck.rule_id`` of every rate-based rule in ``acl`` (groups included): what a
    rate store keeps on reload (``forget_rules``)."""
    out: set[str] = set()
    stack = list(acl.rules)
    while stack:
        rule = stack.pop()
        if rule.rate is not None:
            out.add(rule.rate_id)
        if rule.group is not None:
            stack.extend(rule.group.rules)
    return out


def _downstream_scope(scope: Scope, request: WafRequest, decision: Decision) -> Scope:
    """The scope the app sees: inserted headers appended (AWS names them ``x-amzn-waf-*``), the
    client IP and decision in ``state``. A copy, so a middleware outside ours keeps its own headers;
    ``state`` is shared on purpose (uvicorn copies it per request; apps write into it)."""
    scope = dict(scope)
    if decision.inserted_headers:
        scope["headers"] = [
            *scope["headers"],
            *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in decision.inserted_headers),
        ]
    state = scope.get("state")
    if state is None:
        state = scope["state"] = {}
    state[CLIENT_IP_KEY] = request.client_ip
    state[DECISION_KEY] = decision
    return scope


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
    ) -> None:
        if fail_mode not in ("open", "closed"):
            raise ValueError(f"fail_mode must be 'open' or 'closed', got {fail_mode!r}")
        self.app = app
        self._acl = _compile(acl)
        self._trusted = TrustedProxies(list(trusted_proxies))
        self._any_trusted = bool(self._trusted)  # no trusted proxy: the peer is the client, skip XFF
        self._sink = event_sink
        self._rate_store = rate_store
        # ``decide`` (RateVerdict: refusal + Retry-After) when the store has it, else bare ``hit``.
        self._store_decides = rate_store is not None and hasattr(rate_store, "decide")
        self._fail_open = fail_mode == "open"
        self._source = source
        self._clock = clock
        # Counted, never silent (STYLE principle 5); the metrics module reads them through events.
        self.engine_errors = 0
        self.fail_opens = 0
        self._on_fail_open = on_fail_open  # e.g. WafMetrics.fail_open
        self._last_error_log = float("-inf")
        self._warned_no_store = False
        # Consulted before the body is read and the engine runs (the threat detector's bans).
        self.gate = gate

    @property
    def acl(self) -> CompiledWebACL:
        return self._acl

    @property
    def rate_store(self) -> RateStore | AsyncRateStore | None:
        return self._rate_store

    def swap_acl(self, compiled: CompiledWebACL) -> None:
        """Install a newly compiled ACL; in-flight requests finish on the one they started with.

        The rate store forgets the rules the new ACL dropped (kept rules keep counting)."""
        self._acl = _compile(compiled)
        forget = getattr(self._rate_store, "forget_rules", None)
        if forget is not None:
            forget(rate_rule_ids(self._acl))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    # ---- HTTP ------------------------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = self._clock()
        if self.gate is not None and (refusal := self._gated(scope, started)) is not None:
            await self._refuse(scope, send, refusal, started)
            return
        t0 = time.perf_counter()
        acl = self._acl
        limit: int = acl.body_inspection_limit
        buffered: list[Message] = []
        body = b""
        more = True
        while more and len(body) < limit:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":  # http.disconnect: the client is gone
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        request = self._request(scope, body[:limit], len(body), more)
        decision, eval_seconds, retry_after = await self._decide(acl, request)

        if decision.action in (Action.ALLOW, Action.COUNT):
            try:
                status = await self._forward(scope, receive, send, request, decision, buffered)
            except BaseException:
                if self._sink is not None:  # the server answers 500 (or nothing); still one event
                    self._emit(started, acl, request, decision, 500, eval_seconds, time.perf_counter() - t0)
                raise
        else:
            failed = decision.terminating_rule_id == ENGINE_ERROR_RULE_ID
            if failed:
                resp = ENGINE_ERROR
            elif (retry_after and decision.custom_response is None
                  and decision.terminating_rule_type is RuleType.RATE_BASED):
                resp = rate_limited(retry_after)  # issue 5: a rate refusal is a 429 with Retry-After
            else:
                resp = response_for(decision)
            status = await send_response(send, resp, head_only=request.method == "HEAD")
        if self._sink is not None:
            forwarded = decision.action in (Action.ALLOW, Action.COUNT)
            self._emit(
                started,
                acl,
                request,
                decision,
                status,
                eval_seconds,
                time.perf_counter() - t0 - eval_seconds if forwarded else None,
            )

    async def _forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request: WafRequest,
        decision: Decision,
        buffered: list[Message],
    ) -> int:
        scope = _downstream_scope(scope, request, decision)
        pending = iter(buffered)

        async def replay() -> Message:
            # The buffered messages first, exactly as received, then the live stream.
            for message in pending:
                return message
            return await receive()

        status = 500
        if self._sink is None:
            await self.app(scope, replay, send)
            return status

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, replay, capture)
        return status

    def _gated(self, scope: Scope, now: float) -> GateBlock | None:
        assert self.gate is not None
        client = scope.get("client")
        ip = self._trusted.resolve_scope(scope) if self._any_trusted else (client[0] if client else "")
        return self.gate.verdict(ip, now)

    async def _refuse(self, scope: Scope, send: Send, refusal: GateBlock, started: float) -> None:
        """The gate's answer: 403, or 429 with Retry-After; one event, as for any request."""
        headers = (("retry-after", str(refusal.retry_after)),) if refusal.status == 429 else ()
        decision = Decision(Action.BLOCK, terminating_rule_id=GATE_RULE_ID,
                            custom_response=CustomResponse(refusal.status, headers, GATE_BODY))
        request = self._request(scope, b"", 0, False)
        status = await send_response(send, response_for(decision), head_only=request.method == "HEAD")
        if self._sink is not None:
            self._emit(started, self._acl, request, decision, status, 0.0, None)

    # ---- websocket ------------------------------------------------------------------------------

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = self._clock()
        acl = self._acl
        request = self._request(scope, b"", 0, False)
        if self.gate is not None and self._gated(scope, started) is not None:
            decision, eval_seconds = Decision(Action.BLOCK, terminating_rule_id=GATE_RULE_ID), 0.0
        else:
            decision, eval_seconds, _ = await self._decide(acl, request)
        status = 101
        if decision.action in (Action.ALLOW, Action.COUNT):
            scope = _downstream_scope(scope, request, decision)
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
        if self._sink is not None:
            self._emit(started, acl, request, decision, status, eval_seconds, None)

    # ---- shared ---------------------------------------------------------------------------------

    def _request(self, scope: Scope, body: bytes, seen: int, more: bool) -> WafRequest:
        headers = tuple([(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]])
        client = scope.get("client")
        peer = client[0] if client else ""
        client_ip = self._trusted.resolve_scope(scope) if self._any_trusted else peer
        body_size = seen
        if more:
            # Cut at the limit: the declared size tells OversizeHandling how much was not seen.
            for k, v in headers:
                if k.lower() == "content-length" and v.isdigit():
                    body_size = max(seen, int(v))
                    break
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1").partition("?")[0] if raw_path else scope["path"]
        kind = scope["type"]
        return WafRequest(
            client_ip=client_ip,
            method=scope.get("method", "GET") if kind == "http" else "GET",
            uri_path=path,
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
            body_size=body_size,
            http_version=scope.get("http_version", "1.1"),
            scheme=scope.get("scheme", "http"),
            request_id=f"{_ID_PREFIX}{next(_ids):x}",
            peer_ip=peer,
        )

    async def _decide(self, acl: CompiledWebACL, request: WafRequest) -> tuple[Decision, float, int]:
        """(decision, evaluation seconds, the longest Retry-After of the refused rate checks)."""
        t0 = time.perf_counter()
        retry_after = 0
        try:
            steps = evaluate_steps(acl, request)
            store = self._rate_store
            now = self._clock()
            try:
                check = next(steps)
                while True:
                    limited = False
                    if store is not None and self._store_decides:
                        verdict = store.decide(check, now)  # type: ignore[union-attr]
                        if inspect.isawaitable(verdict):
                            verdict = await verdict
                        limited = verdict.refused
                        if limited and verdict.retry_after_seconds > retry_after:
                            retry_after = verdict.retry_after_seconds
                    elif store is not None:
                        answer = store.hit(check, now)
                        limited = bool(await answer if inspect.isawaitable(answer) else answer)
                    elif not self._warned_no_store:
                        self._warned_no_store = True
                        logger.warning("rate-based rule %s evaluated without a rate_store: it never "
                                       "limits (pass rate_store=MemoryRateStore() to WafMiddleware)",
                                       check.rule_id)
                    check = steps.send(limited)
            except StopIteration as done:
                decision: Decision = done.value
        except Exception as exc:  # noqa: BLE001 - any engine failure takes the configured fail mode
            self.engine_errors += 1
            # Type and ACL only: the request may carry secrets, and attackers choose its content.
            # At most one line a minute: a failing store must not turn into a log flood.
            mono = time.monotonic()
            if mono - self._last_error_log >= 60.0:
                self._last_error_log = mono
                logger.error(
                    "engine error on web ACL %r: %s; failing %s (%d errors so far)",
                    acl.name,
                    type(exc).__name__,
                    "open" if self._fail_open else "closed",
                    self.engine_errors,
                )
            if self._fail_open:
                self.fail_opens += 1
                if self._on_fail_open is not None:
                    self._on_fail_open(type(exc).__name__)
                decision = Decision(Action.ALLOW, terminating_rule_id=FAIL_OPEN_RULE_ID)
            else:
                decision = Decision(Action.BLOCK, terminating_rule_id=ENGINE_ERROR_RULE_ID)
        return decision, time.perf_counter() - t0, retry_after

    def _emit(
        self,
        started: float,
        acl: CompiledWebACL,
        request: WafRequest,
        decision: Decision,
        status: int,
        eval_seconds: float,
        total: float | None,
    ) -> None:
        assert self._sink is not None
        self._sink.emit(
            RequestEvent(
                timestamp=started,
                web_acl=acl.name,
                request=request,
                decision=decision,
                response_status=status,
                evaluation_seconds=eval_seconds,
                upstream_seconds=total,
                source=self._source,
            )
        )
