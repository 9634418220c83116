"""The uncommon turns of reading a request head: a limit passed, raw UTF-8 in the request line,
an upgrade, a parse error.

``HttpConnection`` parses the common request in its own methods; what it does when a head is
not that (refuse it and read nothing more, mask its UTF-8 for llhttp, hand an upgrade to the
handler) lives here, called only when it happens.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from wafproxy.server.exchange import Exchange
from wafproxy.server.flow import pause
from wafproxy.server.framing import mask_line

if TYPE_CHECKING:
    from wafproxy.server.connection import HttpConnection

logger = logging.getLogger("wafproxy.server")


class ParseStop(Exception):  # noqa: N818 - raised in a parser callback to end the parse
    def __init__(self, status: int, reason: str, limit: str = "bad_request") -> None:
        self.status = status
        self.reason = reason
        self.limit = limit  # what ``ServerContext.refuse`` counts it as


def unusual_header(conn: HttpConnection) -> None:
    """A trailer field (counted against the head limit, never forwarded), or a head past a limit."""
    if not conn._in_head:
        return
    if conn._head_bytes > conn._head_cap:
        logger.warning("Request head over %d bytes refused (431).", conn._head_cap)
        raise ParseStop(431, "Request header fields too large", "headers_too_large")
    logger.warning("Request with over %d header fields refused (431).", conn._field_cap)
    raise ParseStop(431, "Too many header fields", "too_many_headers")


def mask(conn: HttpConnection, data: bytes) -> bytes:
    """Mask raw UTF-8 in a request line we know the start of (``framing`` explains why)."""
    if conn._idle:
        masked, line, conn._line_ended = mask_line(data)
        if masked is not data:
            conn._line = line
        return masked
    if conn._line is not None and not conn._line_ended:
        masked, line, conn._line_ended = mask_line(data)
        conn._line += line
        return masked
    return data


def upgraded(conn: HttpConnection, rest: bytes) -> None:
    """An Upgrade (websocket) or CONNECT request: llhttp stops parsing after its head. The
    handler decides; the bytes that followed wait on the exchange until then."""
    conn._broken = True  # no more HTTP parsing on this connection, whatever happens
    exchange = conn._queue[-1] if conn._queue else None
    if exchange is None or exchange.upgrade is not None:
        fail(conn, 400, "Invalid upgrade")
        return
    exchange.upgrade = rest
    exchange.keep_alive = False
    pause(conn)


def fail(conn: HttpConnection, status: int, reason: str, limit: str = "bad_request") -> None:
    """Answer ``status`` after what is in flight, then close; parse nothing more. Counted as
    ``limit`` (a bound's name, or ``bad_request``)."""
    conn._broken = True
    pause(conn)
    conn.ctx.refuse(limit, conn.peer)
    parsing, conn._parsing = conn._parsing, None
    if parsing is not None:
        # Its head was fine and its handler may have started: it answers 400 on its next
        # read; what it buffered is never forwarded (the WAF reads before forwarding).
        parsing.malformed = True
        parsing.keep_alive = False
        parsing.abandon()
        return
    exchange = Exchange(conn, "GET", b"/", [], "1.1", False, error=(status, reason))
    conn._enqueue(exchange)
