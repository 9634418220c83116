"""An upstream response, written to the client: whole when it already arrived, else streamed.

A small response the pool already holds whole (``take_body``) goes out in one write, head and body
together. A longer one streams chunk by chunk with back-pressure both ways: we wait for the client's
socket to drain before reading the next chunk, and the pool stops reading the upstream's socket
when we fall behind (``upstream_conn.HIGH_WATER``), so a 50 MB response never sits in memory.
Framing toward the client is ours (``writer``): the upstream's Content-Length when it sent one,
chunked for an HTTP/1.1 client otherwise, end-of-connection for HTTP/1.0. If the upstream fails
mid-body the only honest signal left is an incomplete response: the connection is closed.
"""

from __future__ import annotations

import logging
from typing import Final

from wafproxy.asgi.hop_by_hop import HOP_BY_HOP, connection_tokens, strip_hop_by_hop
from wafproxy.asgi.upstream import UpstreamError, UpstreamResponse
from wafproxy.asgi.upstream_head import ResponseHead
from wafproxy.server.exchange import Exchange
from wafproxy.server.flow import drain
from wafproxy.server.writer import LAST_CHUNK, NO_BODY_STATUSES, STATUS_LINES, chunk, head, status_line

logger = logging.getLogger("wafproxy.server")


_CLOSE: Final = b"connection: close\r\n\r\n"
_OPTIONS: Final = frozenset({b"keep-alive", b"close"})  # a Connection value that names no field
_SPECIAL: Final = HOP_BY_HOP | {b"content-length"}
_KEEP_ALIVE_10: Final = b"connection: keep-alive\r\n\r\n"


def write_whole(ex: Exchange, status: int, headers: list[tuple[bytes, bytes]], whole: bytes) -> bool:
    """A response whose body is all here, in one write; whether the connection stays open.
    ``respond``'s common case and the fast lane's answer (``fastlane``).

    The status line and the headers less hop-by-hop ones, names lower-cased, with a
    Content-Length when none came: ``strip_hop_by_hop`` and ``head`` in one pass over the
    headers, except when a ``Connection`` field names other fields to drop (rare)."""
    head_only = ex.method == "HEAD"
    close = not (ex.keep_alive and ex.complete)
    no_body = head_only or status in NO_BODY_STATUSES or status < 200
    parts = [STATUS_LINES.get(status) or status_line(status)]
    has_length = False
    for name, value in headers:
        lname = name.lower()
        if lname in _SPECIAL:  # one set lookup for the common field
            if lname != b"content-length":
                if lname == b"connection" and value.lower() not in _OPTIONS and connection_tokens((value,)):
                    return _write_named(ex, status, headers, whole, close, head_only, no_body)
                continue
            has_length = True
        parts += (lname, b": ", value, b"\r\n")
    if not has_length and not no_body:
        parts += (b"content-length: ", b"%d" % len(whole), b"\r\n")
    parts.append(_CLOSE if close else _KEEP_ALIVE_10 if ex.version == "1.0" else b"\r\n")
    if not head_only:
        parts.append(whole)
    conn = ex.conn
    if not conn.closed:  # ``conn.write`` inlined: one call less per request
        conn.transport.write(b"".join(parts))
    return not close


def write_relayed(ex: Exchange, parsed: ResponseHead, whole: bytes) -> bool:
    """``write_whole`` of a response whose head ``upstream_head`` read: the same bytes, its status
    line and fields written for the client once per distinct head (``ResponseHead.relay``), not per
    response. Such a head has a status with a body, a Content-Length and no Connection naming
    fields (``upstream_head`` takes no other), so only our end of the head varies."""
    if ex.method == "HEAD":
        return write_whole(ex, parsed.status, parsed.headers, whole)
    relay = parsed.relay
    if relay is None:
        relay = parsed.relay = relay_head(parsed.status, parsed.headers)
    close = not (ex.keep_alive and ex.complete)
    conn = ex.conn
    if not conn.closed:
        conn.transport.write(b"".join(
            (relay, _CLOSE if close else _KEEP_ALIVE_10 if ex.version == "1.0" else b"\r\n", whole)))
    return not close


def relay_head(status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
    """The status line and the fields ``write_whole`` writes for a response with a Content-Length
    and no Connection naming fields, without our end of the head."""
    parts = [STATUS_LINES.get(status) or status_line(status)]
    for name, value in headers:
        lname = name.lower()
        if lname in _SPECIAL and lname != b"content-length":
            continue
        parts += (lname, b": ", value, b"\r\n")
    return b"".join(parts)


def _write_named(ex: Exchange, status: int, headers: list[tuple[bytes, bytes]], whole: bytes, close: bool,
                 head_only: bool, no_body: bool) -> bool:
    """``write_whole`` when a ``Connection`` field names fields to drop."""
    stripped = strip_hop_by_hop(headers)
    if not no_body and not _has_length(stripped):
        stripped.append((b"content-length", b"%d" % len(whole)))
    out = head(status, stripped, close=close, http10=ex.version == "1.0")
    ex.conn.write(out if head_only else out + whole)
    return not close


def _has_length(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name == b"content-length" for name, _ in headers)


async def respond(ex: Exchange, resp: UpstreamResponse) -> tuple[int, bool]:
    """Write ``resp`` to ``ex``'s client; (the status, whether the connection stays open)."""
    conn = ex.conn
    status = resp.status
    whole = resp.take_body()
    if whole is not None:
        return status, write_whole(ex, status, resp.headers, whole)
    head_only = ex.method == "HEAD"
    close = not (ex.keep_alive and ex.complete)
    http10 = ex.version == "1.0"
    no_body = head_only or status in NO_BODY_STATUSES or status < 200
    headers = strip_hop_by_hop(resp.headers)
    has_length = _has_length(headers)
    chunked = False
    if not has_length and not no_body:
        if http10:
            close = True  # RFC 9112 §6.3: the end of the connection ends the body
        else:
            headers.append((b"transfer-encoding", b"chunked"))
            chunked = True
    ex.started = True
    try:
        conn.write(head(status, headers, close=close, http10=http10))
        while True:
            data = await resp.read_chunk()
            if data and not head_only:
                conn.write(chunk(data) if chunked else data)
            if resp.finished:
                break
            await drain(conn)
            if conn.closed:
                return status, False  # the client left: ``release`` closes the upstream side
        if chunked:
            conn.write(LAST_CHUNK)
    except UpstreamError as exc:
        logger.warning("%s %s: upstream %s failed mid-response: %s", ex.method,
                       ex.path.decode("latin-1")[:200], exc.upstream, exc.reason)
        return status, False
    finally:
        resp.release()
    return status, not close
