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

from wafproxy.asgi.hop_by_hop import strip_hop_by_hop
from wafproxy.asgi.upstream import UpstreamError, UpstreamResponse
from wafproxy.server.exchange import Exchange
from wafproxy.server.writer import LAST_CHUNK, NO_BODY_STATUSES, chunk, head

logger = logging.getLogger("wafproxy.server")


async def respond(ex: Exchange, resp: UpstreamResponse) -> tuple[int, bool]:
    """Write ``resp`` to ``ex``'s client; (the status, whether the connection stays open)."""
    conn = ex.conn
    status = resp.status
    headers = strip_hop_by_hop(resp.headers)
    head_only = ex.method == "HEAD"
    close = not (ex.keep_alive and ex.complete)
    http10 = ex.version == "1.0"
    no_body = head_only or status in NO_BODY_STATUSES or status < 200
    has_length = False
    for name, _ in headers:
        if name == b"content-length":
            has_length = True
            break
    whole = resp.take_body()
    if whole is not None:
        if not has_length and not no_body:
            headers.append((b"content-length", b"%d" % len(whole)))
        conn.write(head(status, headers, close=close, http10=http10) + (b"" if head_only else whole))
        return status, not close
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
            await conn.drain()
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
