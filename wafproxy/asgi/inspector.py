"""The WAF's per-request work, shared by the ASGI ``WafMiddleware`` and the reverse-proxy server.

Both adapters turn what they received into a ``WafRequest`` the same way (header names lower-cased,
values, query string and raw path decoded by ``wire_text``, the declared size of a body cut at the inspection
limit: ``wafrequests``), drive ``evaluate_steps`` against the same rate store, answer a refused
request the same way (custom response, 403, 429 + Retry-After) and emit one ``RequestEvent`` per
request. Keeping that in one place is what makes "the middleware and the proxy make the same
decisions" true by construction rather than by a test that compares them.

``Inspector`` holds the compiled ACL (swapped atomically on reload: an in-flight request keeps the
one it started with, because every caller reads ``acl`` once and passes it along), the rate store
and the event sink. It does no I/O of its own except awaiting an asynchronous rate store (Redis).
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from time import perf_counter  # a global, not an attribute of ``time``: one lookup less compiled
from typing import Any, Final, Literal, cast

from wafproxy.aclfiles import load_web_acl
from wafproxy.asgi.bodyscan import BodyPolicy, BodyReader
from wafproxy.asgi.client_ip import TrustedProxies
from wafproxy.asgi.responses import ENGINE_ERROR, rate_limited, response_for
from wafproxy.asgi.wafrequests import RawHeaders
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.engine.decision import Action, CustomResponse, Decision, RuleType
from wafproxy.engine.evaluation import evaluate_plain, evaluate_steps
from wafproxy.engine.parsing import BOUND_ANSWERS, ContentLimits, content_bound
from wafproxy.engine.request import WafRequest
from wafproxy.events import RequestEvent
from wafproxy.ports import GATE_RULE_ID, AsyncRateStore, EventSink, RateStore, RequestGate
from wafproxy.slotinit import positional_init

logger = logging.getLogger("wafproxy.middleware")

FAIL_OPEN_RULE_ID = "wafproxy_FailOpen"
CONTENT_LIMIT_RULE_ID = "wafproxy_ContentLimit"
ENGINE_ERROR_RULE_ID = "wafproxy_EngineError"
GATE_BODY = b"Forbidden: this client is blocked by the threat detector.\n"

_new_event = positional_init(RequestEvent, (
    "timestamp", "web_acl", "request", "decision", "response_status", "evaluation_seconds",
    "upstream_seconds", "source",
))


def compile_acl(acl: str | Path | CompiledWebACL) -> CompiledWebACL:
    """A compiled ACL from a path (loaded) or an already compiled one."""
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


# The actions that let a request through (``allowed``; ``decision.action in FORWARDED`` inline
# where a call per request counts).
FORWARDED: Final = (Action.ALLOW, Action.COUNT)


def allowed(decision: Decision) -> bool:
    """Whether the request goes on to the application / upstream."""
    return decision.action in FORWARDED


class Inspector:
    """One ACL, one rate store, one event sink: decide, answer refusals, emit."""

    def __init__(
        self,
        *,
        acl: str | Path | CompiledWebACL,
        trusted_proxies: Sequence[str] | TrustedProxies = (),
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
    ) -> None:
        if fail_mode not in ("open", "closed"):
            raise ValueError(f"fail_mode must be 'open' or 'closed', got {fail_mode!r}")
        self.acl = compile_acl(acl)
        self.trusted = (trusted_proxies if isinstance(trusted_proxies, TrustedProxies)
                        else TrustedProxies(list(trusted_proxies)))
        self.any_trusted = bool(self.trusted)  # no trusted proxy: the peer is the client, skip XFF
        self.sink = event_sink
        self.rate_store = rate_store
        # ``decide`` (RateVerdict: refusal + Retry-After) when the store has it, else bare ``hit``.
        self._store_decides = rate_store is not None and hasattr(rate_store, "decide")
        # No coroutine needed to decide (no store, or one whose methods are plain functions):
        # ``decide_now`` serves, and the proxy server may answer without a task (its fast lane).
        self.decides_now = rate_store is None or not any(
            inspect.iscoroutinefunction(getattr(rate_store, name, None)) for name in ("decide", "hit"))
        self.fail_open = fail_mode == "open"
        self.source = source
        self.clock = clock
        # Counted, never silent (STYLE principle 5); the metrics module reads them through events.
        self.engine_errors = 0
        self.fail_opens = 0
        self.on_fail_open = on_fail_open  # e.g. WafMetrics.fail_open
        self._last_error_log = float("-inf")
        self._warned_no_store = False
        # Consulted before the body is read and the engine runs (the threat detector's bans).
        self.gate = gate
        # What the engine's parsers may be asked to produce (engine/parsing/_bounds.py): past it,
        # refused before evaluation (a request padded past a parser's cap would hide its tail).
        self.content_limits = content_limits or ContentLimits()
        self.on_limit = on_limit  # e.g. LimitsMetrics.limit_hit
        self.limit_hits = 0
        # Past the first window: the managed groups' streamed scan, Content-Encoding (bodyscan).
        self.body_policy = body_policy or BodyPolicy()

    def body_reader(self, acl: CompiledWebACL, headers: RawHeaders,
                    encodings: Sequence[str] | None = None) -> BodyReader:
        """The reader of one request's body (raises ``BodyRefused``: an encoding it cannot read).
        ``encodings``: its Content-Encoding values when the caller knows them (none: ``()``)."""
        if encodings is None:
            encodings = [v.decode("latin-1") for k, v in headers if k == b"content-encoding"]
        return BodyReader(self.body_policy, acl, encodings)

    def gated(self, client_ip: str, now: float) -> Decision | None:
        """The gate's refusal of ``client_ip`` as a decision (403, or 429 with Retry-After), or
        None: one O(1) lookup, so a client banned by its previous request is refused now."""
        gate = self.gate
        if gate is None:
            return None
        block = gate.verdict(client_ip, now)
        if block is None:
            return None
        headers = (("retry-after", str(block.retry_after)),) if block.status == 429 else ()
        return Decision(Action.BLOCK, terminating_rule_id=GATE_RULE_ID,
                        custom_response=CustomResponse(block.status, headers, GATE_BODY))

    def swap_acl(self, compiled: CompiledWebACL) -> None:
        """Install a newly compiled ACL; in-flight requests finish on the one they started with.

        The rate store forgets the rules the new ACL dropped (kept rules keep counting)."""
        self.acl = compile_acl(compiled)
        forget = getattr(self.rate_store, "forget_rules", None)
        if forget is not None:
            forget(rate_rule_ids(self.acl))

    def client_ip(self, peer: str, headers: RawHeaders) -> str:
        """The socket peer, or the right-most untrusted X-Forwarded-For hop of a trusted peer."""
        if not self.any_trusted:
            return peer
        values = [value.decode("latin-1") for name, value in headers if name == b"x-forwarded-for"]
        return self.trusted.resolve(peer, values)


    async def decide(self, acl: CompiledWebACL, request: WafRequest) -> tuple[Decision, float, int]:
        """(decision, evaluation seconds, the longest Retry-After of the refused rate checks)."""
        if self.decides_now or acl.rate_free:  # no store, a synchronous one, or nothing to ask it
            return self.decide_now(acl, request)
        t0 = perf_counter()
        retry_after = 0
        bound = self._bound(request)
        if bound is not None:
            return self._bounded(bound), perf_counter() - t0, 0
        try:
            steps = evaluate_steps(acl, request)
            store: Any = self.rate_store  # some method is a coroutine: ``decides_now`` took the rest
            try:
                check = next(steps)
                now = self.clock()  # only when a rate-based rule asks (none do, nearly always)
                while True:
                    if self._store_decides:
                        verdict = store.decide(check, now)
                        if inspect.isawaitable(verdict):
                            verdict = await verdict
                        limited = verdict.refused
                        if limited and verdict.retry_after_seconds > retry_after:
                            retry_after = verdict.retry_after_seconds
                    else:
                        answer = store.hit(check, now)
                        limited = bool(await answer if inspect.isawaitable(answer) else answer)
                    check = steps.send(limited)
            except StopIteration as done:
                decision: Decision = done.value
        except Exception as exc:  # noqa: BLE001 - any engine failure takes the configured fail mode
            decision = self._failed(acl, exc)
        return decision, perf_counter() - t0, retry_after

    def decide_now(self, acl: CompiledWebACL, request: WafRequest) -> tuple[Decision, float, int]:
        """``decide`` without a coroutine, for a rate store that answers synchronously (or none):
        the proxy server's fast lane (issue 11). Same decision, same counters, same warnings;
        ``decides_now`` says whether this may be called."""
        t0 = perf_counter()
        retry_after = 0
        bound = self._bound(request)
        if bound is not None:
            return self._bounded(bound), perf_counter() - t0, 0
        decision: Decision
        if acl.rate_free:  # no rate check to ask: a plain call, no generator's StopIteration
            try:
                decision = evaluate_plain(acl, request)
            except Exception as exc:  # noqa: BLE001 - any engine failure takes the configured fail mode
                decision = self._failed(acl, exc)
            return decision, perf_counter() - t0, 0
        try:
            steps = evaluate_steps(acl, request)
            store = cast("RateStore | None", self.rate_store)  # ``decides_now``: not an async one
            try:
                check = next(steps)
                now = self.clock()  # only when a rate-based rule asks (none do, nearly always)
                while True:
                    limited = False
                    if store is None:
                        self._no_store(check.rule_id)
                    elif self._store_decides:
                        verdict = store.decide(check, now)
                        limited = verdict.refused
                        if limited and verdict.retry_after_seconds > retry_after:
                            retry_after = verdict.retry_after_seconds
                    else:
                        limited = bool(store.hit(check, now))
                    check = steps.send(limited)
            except StopIteration as done:
                decision = done.value
        except Exception as exc:  # noqa: BLE001 - any engine failure takes the configured fail mode
            decision = self._failed(acl, exc)
        return decision, perf_counter() - t0, retry_after

    def _bound(self, request: WafRequest) -> str | None:
        # The Cookie fields: from the values by lower-cased name when the adapter built them
        # (``scoperequest.read_headers``), else without ``header_values`` (a dict of every header,
        # ~12k instructions on a request the ACL never looks at): names are lower-case from
        # ``build_request``; any other six-letter name is compared lower-cased, as ``header_values``
        # would.
        lowered = request._lowered
        content_type: str | None = None
        if lowered is not None:
            cookies: Sequence[str] = lowered.get("cookie", ())
            types = lowered.get("content-type")
            content_type = types[0] if types else None
        else:
            # One loop, not a comprehension (no nested frame) and not ``header``, which builds a
            # dict of every header when the ACL never asks for one (~6k instructions a POST).
            found: list[str] = []
            for k, v in request.headers:
                size = len(k)
                if size == 6:
                    if k == "cookie" or k.lower() == "cookie":
                        found.append(v)
                elif size == 12 and content_type is None:
                    if k == "content-type" or k.lower() == "content-type":
                        content_type = v
            cookies = found
        query, body = request.query_string, request.body
        if not body and not cookies and query.count("&") < self.content_limits.max_query_args:
            return None  # nothing a bound counts (``content_bound``'s first test), without the call
        return content_bound(self.content_limits, query, cookies, body, content_type if body else None)

    def _no_store(self, rule_id: str) -> None:
        if not self._warned_no_store:
            self._warned_no_store = True
            logger.warning("rate-based rule %s evaluated without a rate_store: it never "
                           "limits (pass rate_store=MemoryRateStore() to WafMiddleware)", rule_id)

    def _bounded(self, bound: str) -> Decision:
        """A content bound's refusal (413/414/431), labelled with the bound, counted."""
        self.limit_hits += 1
        if self.on_limit is not None:
            self.on_limit(bound)
        status, body = BOUND_ANSWERS[bound]
        return Decision(Action.BLOCK, terminating_rule_id=CONTENT_LIMIT_RULE_ID,
                        labels=(f"wafproxy:limit:{bound}",), custom_response=CustomResponse(status, (), body))

    def _failed(self, acl: CompiledWebACL, exc: Exception) -> Decision:
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
                "open" if self.fail_open else "closed",
                self.engine_errors,
            )
        if self.fail_open:
            self.fail_opens += 1
            if self.on_fail_open is not None:
                self.on_fail_open(type(exc).__name__)
            return Decision(Action.ALLOW, terminating_rule_id=FAIL_OPEN_RULE_ID)
        return Decision(Action.BLOCK, terminating_rule_id=ENGINE_ERROR_RULE_ID)

    @staticmethod
    def refusal(decision: Decision, retry_after: int) -> CustomResponse:
        """The answer to a request the decision does not let through."""
        if decision.terminating_rule_id == ENGINE_ERROR_RULE_ID:
            return ENGINE_ERROR
        if (retry_after and decision.custom_response is None
                and decision.terminating_rule_type is RuleType.RATE_BASED):
            return rate_limited(retry_after)  # issue 5: a rate refusal is a 429 with Retry-After
        return response_for(decision)

    def emit(
        self,
        started: float,
        acl: CompiledWebACL,
        request: WafRequest,
        decision: Decision,
        status: int,
        eval_seconds: float,
        total: float | None,
    ) -> None:
        """One ``RequestEvent`` to the sink (metrics, WAF log, sampler); no-op without a sink."""
        if self.sink is None:
            return
        event = _new_event(started, acl.name, request, decision, status, eval_seconds, total, self.source)
        self.sink.emit(event)
