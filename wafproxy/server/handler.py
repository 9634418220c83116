"""One request, from its parsed head to the last byte of its answer: Shield, WAF, upstream.

In order, each step able to answer instead of going on:

1. the Shield's head limits (414/431/413/400, ``limits.check_head``), the flood guard and the
   concurrent requests per client (429), all keyed by the client IP the WAF resolves;
2. the inspector's ``gate`` (``ports.RequestGate``, the threat detector's bans): an O(1) lookup
   that refuses a banned client before its body is read or the engine runs;
3. the body up to the ACL's inspection limit (408 on a stalled body, 413 past the body limit);
4. the WAF (``Inspector``, shared with ``WafMiddleware``): a refusal is answered here;
5. the upstream, through its keep-alive pool: the rest of the body streams to it, the response
   streams back (``respond``), its failures answer 502/503/504.

One ``RequestEvent`` per inspected request goes to the event sink. The connection is kept alive
only when the request's body was read to its end and both sides want it.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable

from wafproxy.asgi.bodyscan import BodyBlocked, BodyReader, BodyRefused
from wafproxy.asgi.flood import FloodGuard, signature_of
from wafproxy.asgi.inspector import Inspector, allowed
from wafproxy.asgi.limits import BODY, REASONS, ShieldLimits, check_head, client_key
from wafproxy.asgi.proxy import upstream_failure
from wafproxy.asgi.upstream import UpstreamError, UpstreamPool
from wafproxy.asgi.upstream_routes import RouteTable
from wafproxy.asgi.wafrequests import build_request, wire_text
from wafproxy.engine.decision import Decision
from wafproxy.engine.request import WafRequest
from wafproxy.server.bodywait import wait
from wafproxy.server.exchange import BodyTimeout, BodyTooLarge, ClientGone, Exchange, MalformedBody
from wafproxy.server.fastlane import serve_now
from wafproxy.server.flow import drain
from wafproxy.server.forwarder import Forwarder
from wafproxy.server.refusals import body_refusal, gate_refusal, late_block, shield_refusal, waf_refusal
from wafproxy.server.respond import respond
from wafproxy.server.upload import upload
from wafproxy.server.websocket import relay_upgrade
from wafproxy.server.writer import text_response

logger = logging.getLogger("wafproxy.server")


class ProxyHandler:
    """Answers the exchanges of every connection of a server (one per process)."""

    def __init__(
        self,
        inspector: Inspector,
        routes: RouteTable,
        *,
        limits: ShieldLimits | None = None,
        preserve_host: bool = True,
        flood: FloodGuard | None = None,
        on_reject: Callable[[str], None] | None = None,
    ) -> None:
        self.inspector = inspector
        self.forwarder = Forwarder(routes, preserve_host, inspector.trusted)
        self.limits = limits or ShieldLimits()
        self.flood = flood
        self.on_reject = on_reject
        self.rejections: Counter[str] = Counter()
        self._in_flight: dict[str, int] = {}
        # Requests answered in the fast lane (``fastlane``), and how many of them went on in a
        # task (no idle upstream connection, a large answer): for tests and profiling.
        self.fast_answers = 0
        self.fast_handoffs = 0
        # A small body still arriving after its head is waited for by the connection, then
        # answered in the fast lane (``bodywait``); False: a task reads it (tests compare lanes).
        self.wait_bodies = True

    def start(self, ex: Exchange) -> None:
        """Answer ``ex`` (the connection's queue head): in the fast lane when it can be, with no
        task or coroutine (``fastlane``), later when its small body is still arriving
        (``bodywait``), else by a task running ``handle``."""
        timer = ex._timer
        if timer is not None:  # its body was waited for (``bodywait``): more of it came
            timer.cancel()
            ex._timer = None
        if serve_now(self, ex):
            self.fast_answers += 1
        elif wait(self, ex):
            ex.conn._active = False  # the connection offers it again after its next read
        else:
            conn = ex.conn
            conn._task = conn.loop.create_task(self.handle(ex))

    async def handle(self, ex: Exchange) -> None:
        """The connection's task for ``ex``; tells the connection when done (``finished``)."""
        conn = ex.conn
        keep = False
        try:
            # A client that pipelines without reading its answers: wait for its socket to drain
            # before answering the next one (the queue then fills and reading stops: bounded).
            if conn._write_paused:  # checked here: a coroutine per request costs more than this
                await drain(conn)
            if ex.error is not None:
                status, reason = ex.error
                conn.write(text_response(status, reason.encode() + b"\n", close=True))
            else:
                keep = await self._serve(ex)
        except ClientGone:
            keep = False
        except MalformedBody:
            if not ex.started:
                conn.write(text_response(400, b"Invalid HTTP request\n", close=True))
        except Exception:
            self.crashed(ex)
        finally:
            conn.finished(ex, keep)

    def crashed(self, ex: Exchange) -> None:
        """An unexpected exception answering ``ex`` (being handled): logged, 500 if still possible."""
        logger.exception("error answering %s %s", ex.method, _log_path(ex))
        if not ex.started:
            ex.conn.write(text_response(500, b"Internal Server Error\n", close=True))

    def admit(self, ex: Exchange) -> tuple[str, str, bool] | bool:
        """The Shield's checks and the gate, before the body is read: (client IP, its key in the
        in-flight table, whether a body may follow) when admitted (counted in flight until
        ``leave``), else whether the connection stays open after the refusal written."""
        limits = self.limits
        inspector = self.inspector
        reason = check_head(limits, len(ex.path) + 1 + len(ex.query), ex.headers)
        # No trusted proxy: the peer is the client (``Inspector.client_ip`` without the call).
        peer = ex.conn.peer
        client_ip = peer if not inspector.any_trusted else inspector.client_ip(peer, ex.headers)
        if reason is not None and reason is not BODY:
            return shield_refusal(self, ex, reason, client_ip)
        # An IPv4 address is its own key (``client_key`` without the call).
        key = client_ip if client_ip and ":" not in client_ip else client_key(client_ip, limits.ipv6_prefix)
        if self.flood is not None and self.flood.check(key, signature_of(ex.headers), inspector.clock()):
            return shield_refusal(self, ex, "flood_mitigation", client_ip)
        table = self._in_flight
        count = table.get(key)
        if count is None and len(table) >= limits.max_tracked_clients:
            return shield_refusal(self, ex, "client_table_full", client_ip)
        if count is not None and count >= limits.max_requests_per_client:
            return shield_refusal(self, ex, "too_many_concurrent", client_ip)
        if inspector.gate is not None:
            refused = inspector.gated(client_ip, inspector.clock())
            if refused is not None:
                return gate_refusal(self, ex, client_ip, refused)
        table[key] = (count or 0) + 1
        return client_ip, key, reason is BODY

    def leave(self, key: str) -> None:
        """A request admitted by ``admit`` is over."""
        table = self._in_flight
        left = table[key] - 1
        if left:
            table[key] = left
        else:
            del table[key]

    async def _serve(self, ex: Exchange) -> bool:
        admitted = self.admit(ex)
        if isinstance(admitted, bool):
            return admitted
        client_ip, key, has_body = admitted
        try:
            return await self._inspect(ex, client_ip, has_body)
        except BodyTimeout:
            return shield_refusal(self, ex, "body_timeout", client_ip)
        except BodyTooLarge:
            return shield_refusal(self, ex, "body_too_large", client_ip)
        finally:
            self.leave(key)

    async def _inspect(self, ex: Exchange, client_ip: str, has_body: bool) -> bool:
        inspector = self.inspector
        conn = ex.conn
        started = inspector.clock()
        t0 = time.perf_counter()
        acl = inspector.acl
        limit = acl.body_inspection_limit
        body = b""
        reader: BodyReader | None = None
        if has_body:
            try:
                reader = inspector.body_reader(acl, ex.headers)
                while reader.size < limit:
                    chunk = await ex.read(self.limits.body_timeout, self.limits.max_body_bytes)
                    if not chunk:
                        break
                    reader.first(chunk)
            except BodyRefused as refused:
                return body_refusal(self, ex, refused, client_ip)
            body = reader.window()
        request = build_request(
            client_ip=client_ip, peer=conn.peer, method=ex.method if ex.upgrade is None else "GET",
            path=wire_text(ex.path), query=ex.query, headers=ex.headers, body=body[:limit],
            seen=len(body), more=not ex.complete, http_version=ex.version, scheme=conn.scheme,
        )
        decision, eval_seconds, retry_after = await inspector.decide(acl, request)
        if reader is not None and allowed(decision):
            try:  # the managed groups past the first window: what was read already, then streamed
                streamed = reader.start(request, ex.complete)
            except BodyRefused as refused:
                return body_refusal(self, ex, refused, client_ip)
            if streamed is not None:
                decision = streamed
        if not allowed(decision):
            return waf_refusal(self, ex, acl, request, decision, retry_after, started, eval_seconds)
        status = 500
        keep = False
        try:
            status, keep = await self._forward(ex, request, decision, reader)
        except BodyBlocked as blocked:  # a later window matched: the upstream got an aborted request
            decision = blocked.decision
            status, keep = late_block(self, ex, decision)
        except BodyRefused as refused:
            status, keep = refused.refusal[0], body_refusal(self, ex, refused, client_ip)
        except (BodyTimeout, BodyTooLarge) as limit:
            status = REASONS["body_timeout" if isinstance(limit, BodyTimeout) else "body_too_large"][0]
            raise
        finally:
            inspector.emit(started, acl, request, decision, status, eval_seconds,
                           time.perf_counter() - t0 - eval_seconds)
        return keep

    def no_route(self, ex: Exchange) -> tuple[int, bool]:
        return self._text(ex, 404, "Not Found: no upstream serves this host and path")

    async def _forward(self, ex: Exchange, request: WafRequest, decision: Decision,
                       reader: BodyReader | None) -> tuple[int, bool]:
        forwarder = self.forwarder
        pool = forwarder.pool_for(ex)
        if pool is None:
            return self.no_route(ex)
        if ex.upgrade is not None:
            return await relay_upgrade(ex, pool, forwarder.headers(ex, request, decision, pool))
        payload: bytes | AsyncIterator[bytes] = b""
        if reader is not None:
            payload = reader.end() if ex.complete else upload(ex, reader, self.limits)
        try:
            head, chunked = forwarder.head(ex, request, decision, pool, payload)
        except ValueError:
            return self.bad_target(ex)
        return await self.exchange(ex, pool, head, chunked, payload)

    async def exchange(self, ex: Exchange, pool: UpstreamPool, head: bytes, chunked: bool,
                       payload: bytes | AsyncIterator[bytes]) -> tuple[int, bool]:
        """``ex`` sent upstream through ``pool`` (its head serialised), its answer written to the client."""
        try:
            resp = await pool.send(ex.method, head, chunked, payload)
        except UpstreamError as exc:
            return self.upstream_failed(ex, exc)
        return await respond(ex, resp)

    def upstream_failed(self, ex: Exchange, exc: UpstreamError) -> tuple[int, bool]:
        status, text = upstream_failure(exc)
        logger.warning("%s %s -> %d: upstream %s: %s", ex.method, _log_path(ex), status, exc.upstream,
                       exc.reason)
        return self._text(ex, status, text)

    def bad_target(self, ex: Exchange) -> tuple[int, bool]:
        return self._text(ex, 400, "Bad Request: invalid request target or header")

    def _text(self, ex: Exchange, status: int, text: str) -> tuple[int, bool]:
        close = not (ex.keep_alive and ex.complete)
        ex.conn.write(text_response(status, text.encode() + b"\n", close=close,
                                    head_only=ex.method == "HEAD"))
        return status, not close



def _log_path(ex: Exchange) -> str:
    """Raw (percent-encoded: a decoded %0A cannot forge a log line), no query, bounded."""
    path = ex.path.decode("latin-1")
    return path if len(path) <= 200 else path[:200] + "..."
