"""The uncommon turns of reading a request head: a limit passed, raw UTF-8 in the request line,
an upgrade, a parse error.

``HttpConnection`` parses the common request in its own methods; what it does when a head is
not that (refuse it and read nothing more, mask its UTF-8 for llhttp, hand an upgrade to the
handler, find a pipelined request line llhttp refused behind complete requests) lives here,
called only when it happens.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import httptools

from wafproxy.server.context import MAX_PIPELINED
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


def says_close(headers: list[tuple[bytes, bytes]]) -> bool:
    """A ``Connection`` field names ``close``. Asked of an HTTP/1.0 request llhttp keeps alive:
    it keeps one that says ``keep-alive`` *and* ``close`` (RFC 9112 §9.3: close wins, as nginx
    reads it), and we would read on after a request its sender means to be the last."""
    for name, value in headers:
        if name == b"connection" and b"close" in [t.strip(b" \t") for t in value.lower().split(b",")]:
            return True
    return False


def upgraded(conn: HttpConnection, rest: bytes) -> None:
    """An Upgrade (websocket) or CONNECT request: llhttp stops parsing after its head. The
    handler decides; the bytes that followed wait on the exchange until then."""
    conn._broken = True  # no more HTTP parsing on this connection, whatever happens
    exchange = conn._queue[-1] if conn._queue else None
    if exchange is None or exchange.upgrade is not None:
        fail(conn, 400, "Invalid upgrade")
        return
    if exchange.version != "1.0" or exchange.method == "CONNECT":
        exchange.upgrade = rest
    # else RFC 9110 §7.8: an Upgrade in an HTTP/1.0 request is ignored: a plain request (its
    # Upgrade and Connection are hop-by-hop, never forwarded), answered, then the connection closed
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


def behind_body(conn: HttpConnection, data: bytes, started: Exchange | None, before: int) -> bytes | None:
    """``pipelined_rest`` for a read that began inside ``started``'s body (``before`` bytes of it
    read until then): when that body has a Content-Length and ended in this read, where it ended
    is known, and the requests behind it are walked from there. A chunked body's end is not known
    here (llhttp's refusal then stands: 400, safe)."""
    if started is None or not started.body_done or started not in conn._queue:
        return None
    length = 0
    for name, value in started.headers:
        if name == b"transfer-encoding":
            return None
        if name == b"content-length":
            length = int(value)
    at = length - before
    if at <= 0 or at > len(data):
        return None
    return pipelined_rest(conn, data, conn._queue.index(started) + 1, at)


def pipelined_rest(conn: HttpConnection, data: bytes, queued: int, at: int = 0) -> bytes | None:
    """What follows the requests llhttp completed in ``data`` before it refused the next one's
    request line, with a fresh parser ready for it; None when llhttp's refusal stands.

    The request line is rewritten for llhttp (``framing``: raw UTF-8, a method it does not know,
    spaces in the target, ``HTTP/1.2``) only where a read starts; a request pipelined behind
    another in the same read reaches llhttp as sent, and would be refused where it alone would
    not. ``data`` (as fed, starting a request: ``queued`` is the queue's length before) is walked
    by the framing of each request llhttp completed (head to its blank line, then its
    Content-Length or chunks, which llhttp has already checked), so the rest starts exactly where
    llhttp's next message began; it is read again as a read of its own. Each turn consumes at
    least one complete request (or, ``at`` > 0, the end of a body: ``behind_body``), so a refusal
    of anything else stands after one more parse."""
    queue = conn._queue
    if len(queue) > MAX_PIPELINED or not queue or not queue[-1].body_done:
        return None
    if len(queue) <= queued and not at:
        return None  # nothing completed in this read
    if not queue[-1].keep_alive:
        return None  # nothing after a request that closes the connection is read (llhttp agrees)
    for index in range(queued, len(queue)):
        at = _message_end(data, at, queue[index].headers)
        if at < 0:
            return None
    if at >= len(data):
        return None
    conn._parser = httptools.HttpRequestParser(conn)  # llhttp does not resume after an error
    conn._idle, conn._in_head, conn._line, conn._method, conn._line_ended = True, False, None, None, True
    return data[at:]


def _message_end(data: bytes, at: int, headers: list[tuple[bytes, bytes]]) -> int:
    """Where the request starting at ``at`` (after any empty lines, which llhttp skips) ends,
    given its parsed ``headers``; -1 if not in ``data``."""
    while data[at:at + 1] in (b"\r", b"\n") and at < len(data):
        at += 1
    end = data.find(b"\r\n\r\n", at)  # no CR or LF inside a head llhttp accepted
    if end < 0:
        return -1
    at, length = end + 4, 0
    for name, value in headers:
        if name == b"transfer-encoding":
            return _chunks_end(data, at)
        if name == b"content-length":
            length = int(value)
    return at + length if at + length <= len(data) else -1


def _chunks_end(data: bytes, at: int) -> int:
    """Where a chunked body starting at ``at`` ends (last chunk, trailers, blank line)."""
    while True:
        eol = data.find(b"\r\n", at)
        if eol < 0:
            return -1
        size = int(data[at:eol].partition(b";")[0], 16)
        at = eol + 2
        if not size:
            break
        at += size + 2
    while (eol := data.find(b"\r\n", at)) > at:  # trailer fields, up to the blank line
        at = eol + 2
    return at + 2 if eol == at else -1


def refused_status(data: bytes) -> int:
    """400, or 505 for a request line llhttp refused that asks for a major version above 1
    (``HTTP/3.0``: RFC 9110 §15.6.6; llhttp parses ``HTTP/2.0`` and ``framing_error`` answers
    it). ``data`` starts a request; the HTTP/2 preface (``PRI *``) stays a 400, as nginx."""
    end = data.find(b"\n")
    line = data[:end].rstrip(b"\r")
    version = line[-9:]
    if (end < 0 or not version.startswith(b" HTTP/") or version[7:8] != b"." or not version[6:7].isdigit()
            or not version[8:].isdigit() or version[6:7] in (b"0", b"1") or line.startswith(b"PRI ")):
        return 400
    return 505
