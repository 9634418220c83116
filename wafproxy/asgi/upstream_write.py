"""A request as written on an upstream connection: its head serialised, its body framed.

Split from ``upstream`` (the pool: acquiring, connecting, reusing and releasing connections)
because what goes on the wire is its own concern, and a security one: the target must be
origin-form without SP/CTL (RFC 9112 §3.2), a CR or LF in the method or a header is refused
(request smuggling, header injection), and the framing headers (Host, Content-Length,
Transfer-Encoding) are added only when the caller sent none.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Sequence
from typing import Final

from wafproxy.asgi.upstream_conn import UpstreamConnection

Body = bytes | AsyncIterable[bytes]
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
_FRAMING: Final = frozenset({b"host", b"content-length", b"transfer-encoding"})
_TARGET_FORBIDDEN: Final = bytes(range(0x21)) + b"\x7f"


def serialize_head(
    method: str,
    target: str | bytes,
    headers: Sequence[tuple[bytes, bytes]],
    body: Body,
    base: bytes,
    host_header: bytes,
) -> tuple[bytes, bool]:
    """The request head for an upstream whose URL path is ``base`` (``host_header`` added when the
    caller sent no Host), and whether the body goes chunked. Raises ``ValueError`` on a target that
    is not origin-form or holds SP/CTL, and on CR/LF in the method or a header."""
    parts = _request_line(method, target, base)
    has_host = has_length = chunked = False
    for name, value in headers:
        parts += (name, b": ", value, b"\r\n")
        # The framing headers (names in any case): only a name of their length is lowered.
        size = len(name)
        if size == 4 or size == 14 or size == 17:
            lname = name.lower()
            if lname == b"host":
                has_host = True
            elif lname == b"content-length":
                has_length = True
            elif lname == b"transfer-encoding":  # the last one decides, as it always did
                has_length = True
                chunked = b"chunked" in value.lower()
    lines = len(headers)
    if not has_host:
        parts += (b"host: ", host_header, b"\r\n")
        lines += 1
    if has_length:
        return _checked(parts, lines), chunked
    if not isinstance(body, bytes):
        parts.append(b"transfer-encoding: chunked\r\n")
        return _checked(parts, lines + 1), True
    return _end(parts, lines, method, body), False


def compose_head(method: str, target: bytes, base: bytes, lines: list[bytes], count: int, has_length: bool,
                 body: bytes) -> bytes:
    """The request head with header ``lines`` already written (``forwarding.forward_lines``: ``count``
    of them, Host among them, a Content-Length when ``has_length``), as ``serialize_head`` writes
    it for a body in memory; the same checks, the same ``ValueError``."""
    parts = _request_line(method, target, base)
    parts += lines
    return _checked(parts, count) if has_length else _end(parts, count, method, body)


def _request_line(method: str, target: str | bytes, base: bytes) -> list[bytes]:
    raw = target.encode("latin-1") if isinstance(target, str) else target
    if raw[:1] != b"/" or len(raw.translate(None, _TARGET_FORBIDDEN)) != len(raw):
        raise ValueError("invalid request target")  # origin-form only; no SP/CTL (RFC 9112 §3.2)
    return [method.encode("ascii"), b" ", base, raw, b" HTTP/1.1\r\n"]


def _end(parts: list[bytes], lines: int, method: str, body: bytes) -> bytes:
    """The head of a request the caller framed no length for: its body's, when one is due."""
    if body or method in _BODY_METHODS:
        parts += (b"content-length: ", b"%d" % len(body), b"\r\n")
        lines += 1
    return _checked(parts, lines)


def _checked(parts: list[bytes], lines: int) -> bytes:
    """The head joined, once it holds exactly ``lines`` header lines. One pass over the whole head
    instead of four per header: any CR or LF inside a method, name or value shows up as an extra
    one (request smuggling / header injection)."""
    parts.append(b"\r\n")
    head = b"".join(parts)
    lines += 2  # the request line and the blank line
    if head.count(b"\n") != lines or head.count(b"\r") != lines:
        raise ValueError("CR/LF in the method or a header")
    return head


def send_whole(conn: UpstreamConnection, head: bytes, body: bytes, chunked: bool) -> None:
    """A body already in memory: head and body in one write."""
    if chunked:
        data = head + (b"%x\r\n%b\r\n0\r\n\r\n" % (len(body), body) if body else b"0\r\n\r\n")
    else:
        data = head + body if body else head
    transport = conn.transport  # ``conn.write`` inlined: one call less per request
    if transport is not None and not conn.closed:
        transport.write(data)
    conn.request_sent = True


async def send_streamed(conn: UpstreamConnection, head: bytes, body: Body, chunked: bool) -> None:
    """The head, then ``body``: written whole if it is bytes, else streamed chunk by chunk with
    back-pressure (``conn.drain``), stopping early when the upstream answered or failed.

    No ``await`` inside a ``finally`` or ``except`` block here: compiled by mypyc (2.4), an awaiting
    ``finally`` left the exception it was propagating (a ``BodyBlocked`` from the body scan) in the
    event loop thread's exception state, and a later request's ``await send_streamed`` raised that
    same object again: a benign upload answered 403 with another request's match
    (``tests/test_compiled_suite.py`` found it through tests/bodystream). The exception is held,
    the generator closed, then the exception re-raised."""
    if isinstance(body, bytes):
        send_whole(conn, head, body, chunked)
        return
    conn.write(head)
    stopped = False
    failed: BaseException | None = None
    try:
        async for chunk in body:
            if conn.closed or conn.headers_done or conn.error is not None:
                stopped = True  # answered or failed early: request_sent stays False, never reused
                break
            if not chunk:
                continue
            if chunked:
                conn.write(b"%x\r\n" % len(chunk))
                conn.write(chunk)
                conn.write(b"\r\n")
            else:
                conn.write(chunk)
            await conn.drain()
    except BaseException as exc:  # no await in a finally or except block: see the docstring
        failed = exc
    aclose = getattr(body, "aclose", None)
    if aclose is not None:
        await aclose()  # finalize a generator we stopped early, here rather than in the GC
    if failed is not None:
        try:
            raise failed
        finally:
            failed = None  # no frame <-> traceback cycle left for the GC
    if stopped:
        return
    if chunked:
        conn.write(b"0\r\n\r\n")
    conn.request_sent = True
