"""The answers the proxy server writes instead of forwarding: the WAF's, the gate's, the Shield's.

Each writes its response to the client, counts or logs the refusal and says whether the
connection stays open. Kept out of ``handler`` (the path of a request that goes upstream): a
refusal is the uncommon answer, and these are the same for the fast lane and the task.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from wafproxy.asgi.bodyscan import BodyRefused
from wafproxy.asgi.limits import REASONS, client_key
from wafproxy.asgi.wafrequests import build_request
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.engine.decision import Decision
from wafproxy.engine.request import WafRequest
from wafproxy.server.exchange import Exchange
from wafproxy.server.writer import text_response, waf_response

if TYPE_CHECKING:
    from wafproxy.server.handler import ProxyHandler

shield_logger = logging.getLogger("wafproxy.shield")


def waf_refusal(handler: ProxyHandler, ex: Exchange, acl: CompiledWebACL, request: WafRequest,
                decision: Decision, retry_after: int, started: float, eval_seconds: float) -> bool:
    """The WAF refused ``request``: its answer and its event; whether the connection stays open."""
    inspector = handler.inspector
    ex.discard()
    close = not (ex.keep_alive and ex.complete)
    resp = inspector.refusal(decision, retry_after)
    ex.conn.write(waf_response(resp, close=close, http10=ex.version == "1.0",
                               head_only=ex.method == "HEAD"))
    inspector.emit(started, acl, request, decision, resp.status_code, eval_seconds, None)
    return not close


def late_block(handler: ProxyHandler, ex: Exchange, decision: Decision) -> tuple[int, bool]:
    """A body window past the first matched (``BodyBlocked``): refused, the connection closed."""
    resp = handler.inspector.refusal(decision, 0)
    ex.discard()
    ex.conn.write(waf_response(resp, close=True, http10=ex.version == "1.0",
                               head_only=ex.method == "HEAD"))
    return resp.status_code, False


def gate_refusal(handler: ProxyHandler, ex: Exchange, client_ip: str, refused: Decision) -> bool:
    """The gate's refusal: its answer, and one event (the detector counts it like any)."""
    inspector = handler.inspector
    started = inspector.clock()
    ex.discard()
    close = not (ex.keep_alive and ex.complete)
    resp = inspector.refusal(refused, 0)
    ex.conn.write(waf_response(resp, close=close, http10=ex.version == "1.0",
                               head_only=ex.method == "HEAD"))
    request = build_request(
        client_ip=client_ip, peer=ex.conn.peer, method=ex.method, path=ex.path.decode("latin-1"),
        query=ex.query, headers=ex.headers, body=b"", seen=0, more=False, http_version=ex.version,
        scheme=ex.conn.scheme,
    )
    inspector.emit(started, inspector.acl, request, refused, resp.status_code, 0.0, None)
    return not close


def body_refusal(handler: ProxyHandler, ex: Exchange, exc: BodyRefused, client_ip: str) -> bool:
    """A body that cannot be inspected (decompression bomb 413, Content-Encoding 415)."""
    status, reason, text = exc.refusal
    handler.rejections[reason] += 1
    if handler.on_reject is not None:
        handler.on_reject(reason)
    shield_logger.warning("refused %s (%d): %s from %s", ex.method, status, reason,
                          client_key(client_ip, 128))
    ex.discard()
    ex.conn.write(text_response(status, text, close=True))
    return False


def shield_refusal(handler: ProxyHandler, ex: Exchange, reason: str, client_ip: str) -> bool:
    """A Shield refusal: its status and body, ``Connection: close`` (the body may be unread)."""
    status, body = REASONS[reason]
    handler.rejections[reason] += 1
    count = handler.rejections[reason]
    if count & (count - 1) == 0:  # 1st, 2nd, 4th, 8th...: bounded log volume under a flood
        shield_logger.warning("shield refused %s (%d): %s from %s (%d so far)", ex.method, status, reason,
                              client_key(client_ip, 128), count)
    if handler.on_reject is not None:
        handler.on_reject(reason)
    extra = [(b"retry-after", b"1")] if status == 429 else []
    ex.discard()
    ex.conn.write(text_response(status, body, close=True, extra=extra))
    return False
