"""The common request answered with no task, coroutine or future: the proxy server's fast lane.

Most requests are small and whole when their head is parsed: a GET, a form POST that arrived in
the same read. For them ``ProxyHandler.handle`` costs a task, four nested coroutines, futures for
the upstream's answer and an event-loop turn per step (issue 11: ~60 µs of a served request's
CPU). ``serve_now`` answers such a request in plain calls instead: the Shield's checks
(``ProxyHandler.admit``), the body from the exchange's buffer, ``Inspector.decide_now``, the
request written on an idle kept-alive upstream connection (``UpstreamPool.send_now``), and the
upstream's response followed by a ``FastExchange`` the connection calls back after each read
(``UpstreamConnection.listener``); a small whole response is written to the client in one write
(``respond.write_whole``) and the connection is told (``HttpConnection.finished``).

The same handler methods decide, refuse, route, log and emit as in ``handle``, so answers,
events and counters are the same in both lanes. Anything else keeps the coroutine path, taken
either before the fast lane starts (``serve_now`` returns False: a body still arriving, past
the inspection window or encoded, an upgrade, a parse error, a client not reading its answers,
an asynchronous rate store) or, from where it stands, by a task: no idle upstream connection, a
stale kept-alive connection to retry on, a response too large or still streaming.

Plain classes and functions (no async generator): mypyc compiles this module (``compiled``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from wafproxy.asgi.inspector import FORWARDED
from wafproxy.asgi.scoperequest import read_headers
from wafproxy.asgi.upstream import UpstreamPool, UpstreamResponse
from wafproxy.asgi.upstream_conn import UpstreamConnection
from wafproxy.asgi.upstream_errors import UpstreamProtocolError, failure_kind
from wafproxy.asgi.wafrequests import new_request, wire_text
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.engine.decision import Decision
from wafproxy.engine.request import WafRequest
from wafproxy.server.exchange import Exchange
from wafproxy.server.refusals import waf_refusal
from wafproxy.server.respond import respond, write_relayed, write_whole

if TYPE_CHECKING:
    from wafproxy.server.handler import ProxyHandler

#: A response still arriving past this many body bytes is streamed by ``respond`` (a task).
WHOLE_MAX: Final = 64 * 1024
_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


def serve_now(handler: ProxyHandler, ex: Exchange) -> bool:
    """Answer ``ex`` in the fast lane (True: it is, or a task it started is, answering it), or
    False: nothing was done, ``handle`` answers it."""
    if (ex.error is not None or ex.upgrade is not None or not ex.body_done or ex.malformed
            or not handler.inspector.decides_now or ex.conn._write_paused):
        return False
    acl = handler.inspector.acl
    if ex.received and (ex.received > acl.body_inspection_limit or ex.received > handler.limits.max_body_bytes
                        or _encoded(ex.headers)):
        return False
    fx = FastExchange(handler, ex, acl)
    try:
        fx.run()
    except Exception:
        fx._crashed()
    return True


def _encoded(headers: list[tuple[bytes, bytes]]) -> bool:
    """A Content-Encoding: the body reader decodes, and its decoded size may pass the window."""
    for name, _ in headers:
        if name == b"content-encoding":
            return True
    return False


class FastExchange:
    """One request in the fast lane, from its admission to the client's answer."""

    # What ``run`` sets as it goes, until then these class-level values: a request costs no
    # stores for the fields it never reaches.
    key = ""  # in the handler's in-flight table while admitted
    request: WafRequest | None = None
    decision: Decision | None = None
    started = 0.0
    t0 = 0.0
    eval_seconds = 0.0
    pool: UpstreamPool | None = None
    head = b""  # the request as the upstream gets it, and whether its body goes chunked
    chunked = False
    payload = b""
    up: UpstreamConnection | None = None
    reused = False
    done = False

    def __init__(self, handler: ProxyHandler, ex: Exchange, acl: CompiledWebACL) -> None:
        self.handler = handler
        self.ex = ex
        self.acl = acl

    def run(self) -> None:
        """Admit, decide, send upstream; the rest follows in ``upstream_progress``. An exception
        escaping is the caller's to hand to ``_crashed``."""
        handler = self.handler
        ex = self.ex
        admitted = handler.admit(ex)
        if isinstance(admitted, bool):
            ex.conn.finished(ex, admitted)
            return
        client_ip, self.key, has_body = admitted
        inspector = handler.inspector
        acl = self.acl
        self.started = inspector.clock()
        self.t0 = time.perf_counter()
        # The whole body is here, within the ACL's inspection window, with no Content-Encoding
        # (``serve_now``): it is both the bytes the ACL inspects and the payload the upstream gets.
        # A ``BodyReader`` would hold nothing back, decode nothing and stream nothing past the
        # window (its ``start`` on a complete first window is its ``finish``: no decoder, no
        # stream), so none is made: ~15 k instructions a POST (RESULTS-proxypath.md, postpath).
        body = ex.take_whole() if has_body else b""
        conn = ex.conn
        # The middleware's builder (``scoperequest``): its one pass over the headers decodes each
        # line once per process (a memo) and groups the values by name, the table the engine and
        # the detector would otherwise build on their first lookup. The same request as
        # ``build_request`` makes (the task lane's).
        text_headers, by_name, _ = read_headers(ex.headers)
        request = self.request = new_request(client_ip, conn.peer, ex.method, wire_text(ex.path),
                                             wire_text(ex.query), text_headers, by_name, ex.version,
                                             conn.scheme, body)
        decision, self.eval_seconds, retry_after = inspector.decide_now(acl, request)
        passes = decision.action in FORWARDED  # ``allowed`` without the call
        self.decision = decision
        if not passes:
            self._finish(waf_refusal(handler, ex, acl, request, decision, retry_after, self.started,
                                     self.eval_seconds))
            return
        forwarder = handler.forwarder
        pool = forwarder.routes.single or forwarder.pool_for(ex)  # one upstream: no call
        if pool is None:
            self._answered(*handler.no_route(ex))
            return
        self.pool = pool
        self.payload = body
        try:
            self.head, self.chunked = forwarder.head(ex, request, decision, pool, self.payload)
        except ValueError:
            self._answered(*handler.bad_target(ex))
            return
        up = pool.send_now(ex.method, self.head, self.chunked, self.payload, ex.conn.loop)
        if up is None:  # no idle connection: the pool opens or waits for one
            self._later(self._exchange)
            return
        self.up = up
        self.reused = up.exchanges > 0
        up.listener = self
        up.expect_bytes()

    # -- the upstream's answer (``UpstreamConnection.listener``) ---------------------------------

    def upstream_progress(self) -> None:
        try:
            up = self.up
            pool = self.pool
            if up is None or pool is None:
                return
            error = up.error
            if error is None and up.complete and not up._reading_paused:  # the common answer: all here
                up.listener = self.up = None
                status, headers = up.status, up.headers
                chunks = up._chunks
                if len(chunks) == 1:  # the common body, one read: ``take_body`` without the call
                    whole: bytes | None = chunks.popleft()
                    up._buffered = 0
                else:
                    whole = up.take_body()  # all of it (``UpstreamResponse.take_body`` without the object)
                if whole is not None:  # all taken: ``reusable`` is what the two messages want
                    parsed = up.parsed
                    pool._release(up, up.keep_alive and up.request_sent)
                    if parsed is not None:  # read whole by ``upstream_head``: its client head is made
                        self._answered(status, write_relayed(self.ex, parsed, whole))
                        return
                    self._answered(status, write_whole(self.ex, status, headers, whole))
                    return
                resp = UpstreamResponse(pool, up)
                self._later(lambda: respond(self.ex, resp))
                return
            if error is None and not up.headers_done:
                up.expect_bytes()  # nothing yet (or an interim 1xx): the read timeout restarts
                return
            if error is not None and (not up.headers_done or not up._chunks):  # as ``wait_head`` raises
                self._detach()
                pool._release(up, False)
                ex = self.ex
                stale = self.reused and not up.got_bytes and isinstance(error, UpstreamProtocolError)
                if stale and ex.method in _IDEMPOTENT:  # as ``UpstreamPool.request`` retries
                    self._later(self._exchange)
                    return
                pool.count_failure(failure_kind(error))
                self._answered(*self.handler.upstream_failed(ex, error))
                return
            if error is not None or up._buffered > WHOLE_MAX or up._reading_paused:
                self._detach()  # large or failing mid-body: streamed (with back-pressure) by ``respond``
                resp = UpstreamResponse(pool, up)
                self._later(lambda: respond(self.ex, resp))
                return
            up.expect_bytes()
        except Exception:
            self._crashed()

    def _detach(self) -> None:
        up, self.up = self.up, None
        if up is not None:
            up.listener = None

    # -- endings --------------------------------------------------------------------------------

    def _exchange(self) -> Awaitable[tuple[int, bool]]:
        assert self.pool is not None
        return self.handler.exchange(self.ex, self.pool, self.head, self.chunked, self.payload)

    def _later(self, step: Callable[[], Awaitable[tuple[int, bool]]]) -> None:
        """The rest needs to wait on something: a task runs ``step`` and ends as the lane does."""
        conn = self.ex.conn
        self.handler.fast_handoffs += 1
        conn._task = conn.loop.create_task(self._rest(step))

    async def _rest(self, step: Callable[[], Awaitable[tuple[int, bool]]]) -> None:
        status, keep = 500, False
        try:
            status, keep = await step()
        except Exception:
            self.handler.crashed(self.ex)
        self._answered(status, keep)

    def _answered(self, status: int, keep: bool) -> None:
        """The upstream's (or our) answer is written: the request's event, then the next one."""
        if self.done:
            return
        self.done = True
        request = self.request
        decision = self.decision
        if request is not None and decision is not None:
            eval_seconds = self.eval_seconds
            self.handler.inspector.emit(self.started, self.acl, request, decision, status, eval_seconds,
                                        time.perf_counter() - self.t0 - eval_seconds)
        self._finish(keep)

    def _finish(self, keep: bool) -> None:
        self.done = True
        key = self.key
        if key:  # ``ProxyHandler.leave`` inlined: one call less per request
            self.key = ""
            table = self.handler._in_flight
            left = table[key] - 1
            if left:
                table[key] = left
            else:
                del table[key]
        ex = self.ex
        ex.conn.finished(ex, keep)

    def _crashed(self) -> None:
        self._detach()
        self.handler.crashed(self.ex)
        if self.done:  # it broke while ending: the connection is closed, not answered twice
            self.ex.conn.close()
            return
        self._answered(500, False)
