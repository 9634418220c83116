"""Response heads and framing, as bytes: what the server writes to the client.

Every response we write is framed explicitly: ``Content-Length`` when the length is known,
``Transfer-Encoding: chunked`` when an HTTP/1.1 upstream response streams without one, and
end-of-connection for an HTTP/1.0 client (RFC 9112 §6.3). No ``Server`` or ``Date`` header of our
own: the upstream's are forwarded. Header names are written lower-case, as they were received
from the upstream pool (``strip_hop_by_hop``) or built here.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus

from wafproxy.asgi.responses import raw_headers
from wafproxy.engine.decision import CustomResponse

STATUS_LINES = {s.value: b"HTTP/1.1 %d %s\r\n" % (s.value, s.phrase.encode("ascii")) for s in HTTPStatus}
TEXT = b"text/plain; charset=utf-8"
NO_BODY_STATUSES = frozenset({204, 304})


def status_line(status: int) -> bytes:
    line = STATUS_LINES.get(status)
    return line if line is not None else b"HTTP/1.1 %d Unknown\r\n" % status


def head(status: int, headers: Iterable[tuple[bytes, bytes]], *, close: bool, http10: bool = False) -> bytes:
    """Status line, headers, our ``Connection`` answer and the blank line."""
    parts = [status_line(status)]
    for name, value in headers:
        parts += (name, b": ", value, b"\r\n")
    if close:
        parts.append(b"connection: close\r\n")
    elif http10:
        parts.append(b"connection: keep-alive\r\n")  # HTTP/1.0 closes unless told otherwise
    parts.append(b"\r\n")
    return b"".join(parts)


def text_response(status: int, body: bytes, *, close: bool, extra: Iterable[tuple[bytes, bytes]] = (),
                  head_only: bool = False) -> bytes:
    """A short plain-text answer of our own (limits, errors, 502/503/504)."""
    headers = [(b"content-type", TEXT), (b"content-length", b"%d" % len(body)), *extra]
    return head(status, headers, close=close) + (b"" if head_only else body)


def waf_response(resp: CustomResponse, *, close: bool, http10: bool, head_only: bool) -> bytes:
    """The WAF's answer to a refused request (custom response, 403, 429 ...), never cached."""
    out = head(resp.status_code, raw_headers(resp), close=close, http10=http10)
    return out if head_only else out + resp.body


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body (never the empty last chunk: see ``LAST_CHUNK``)."""
    return b"%x\r\n%b\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"
