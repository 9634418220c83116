"""A small request body still arriving after its head: waited for by the connection, then answered
in the fast lane, instead of by a task reading it.

Many clients write a request's head and its body apart (httpx, aiohttp, browsers' ``fetch``), so
the head is parsed a read before its body. ``ProxyHandler.start`` then took the task lane: a task,
the handler's coroutines, futures for the upstream's answer (~70 k instructions more than the
fast lane for the 2 KB form POST, compiled: RESULTS-proxypath.md, postpath). When the whole body
will fit the ACL's inspection window, ``wait`` leaves the request queued instead and the connection
offers it to ``start`` again after each read; once the body is complete, ``fastlane.serve_now``
answers it like a request whose body came with its head. Nothing is forwarded before that (the
WAF reads every byte first), so the upstream sees exactly what it saw before.

Not waited for (the task lane reads them, as before): a body with ``Expect: 100-continue`` (the
client waits for our "100 Continue"), a Content-Encoding, no Content-Length (chunked), one larger
than the inspection window or the body limit, a head the Shield refuses (answered at once), a
client the gate refuses (answered at once), a connection not reading its answers.

The Shield's body timeout still holds: no body byte for ``body_timeout`` seconds and the request
goes to the task lane marked stalled (``Exchange.stalled_at``), which answers 408 without waiting
a second time. The flood guard and the per-client in-flight count see the request once its body
is here (or stalled): while it waits it holds no upstream connection and no task, only its few
KiB of body, and its connection counts against the per-client connection cap as always.

Plain functions (no async generator): mypyc compiles this module (``compiled``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wafproxy.asgi.limits import BODY, check_head
from wafproxy.server.exchange import Exchange, expects_continue

if TYPE_CHECKING:
    from wafproxy.server.handler import ProxyHandler


def wait(handler: ProxyHandler, ex: Exchange) -> bool:
    """Whether ``ex`` (its head parsed, its body not all here) waits for its body in the
    connection (True: its stall timer is armed, the caller hands nothing to a task)."""
    conn = ex.conn
    inspector = handler.inspector
    if (ex.error is not None or ex.upgrade is not None or ex.body_done or ex.malformed or conn.closed
            or conn._write_paused or not inspector.decides_now or not handler.wait_bodies):
        return False
    limits = handler.limits
    if ex.expect_continue is None:  # the first look at this request: is it one to wait for?
        length = _declared_length(ex.headers)
        if (length < 0 or length > inspector.acl.body_inspection_limit or length > limits.max_body_bytes
                or check_head(limits, len(ex.path) + 1 + len(ex.query), ex.headers) is not BODY):
            return False
        ex.expect_continue = expects_continue(ex.headers)  # the task lane's first read needs it too
        if ex.expect_continue:
            return False
        if inspector.gate is not None:
            peer = conn.peer
            client_ip = peer if not inspector.any_trusted else inspector.client_ip(peer, ex.headers)
            if inspector.gated(client_ip, inspector.clock()) is not None:
                return False  # refused now, before its body, as before
    # Armed anew after each read that brought body bytes (``start`` cancelled the last one).
    ex._timer = conn.loop.call_later(limits.body_timeout, stalled, handler, ex)
    return True


def stalled(handler: ProxyHandler, ex: Exchange) -> None:
    """No body byte for the body timeout: the task lane answers ``ex`` (408, ``Exchange.read``)."""
    ex._timer = None
    conn = ex.conn
    if conn.closed or conn._active or not conn._queue or conn._queue[0] is not ex:
        return
    ex.stalled_at = ex.received
    conn._active = True
    conn._task = conn.loop.create_task(handler.handle(ex))


def _declared_length(headers: list[tuple[bytes, bytes]]) -> int:
    """The Content-Length, or -1: none, or several (the Shield and the framing checks decide
    about those; ``check_head`` runs after this)."""
    found = -1
    for name, value in headers:
        if len(name) == 14 and name == b"content-length":
            if found >= 0:
                return -1
            digits = value.strip()
            if not digits.isdigit() or len(digits) > 18:
                return -1
            found = int(digits)
        elif name == b"content-encoding" or name == b"transfer-encoding":
            return -1
    return found
