"""What makes a request's framing unambiguous, checked once its head is parsed.

llhttp (httptools) already refuses most smuggling shapes: CL+TE together, duplicate or non-digit
Content-Length, ``Transfer-Encoding`` values it cannot read, bad chunk sizes, obs-fold, bare LF,
control bytes in header names and values. What it lets through and we refuse here, as nginx does:

- ``Transfer-Encoding`` other than exactly ``chunked`` (``gzip, chunked``: we would have to decode
  it to inspect it, and an upstream may read the list differently — RFC 9112 §6.1 lets a server
  answer 501; we answer 400 like every other framing doubt), or present twice;
- ``Transfer-Encoding`` in an HTTP/1.0 request (RFC 9112 §6.1: "faulty framing");
- HTTP/0.9 (no headers: nothing to inspect) and HTTP versions above 1.x (505);
- a missing ``Host`` in HTTP/1.1, or more than one (RFC 9112 §3.2: 400).

Strict is not fussy: raw UTF-8 bytes in the request target (``/wiki/Zürich``, as some clients
send it) are accepted, as nginx does. llhttp refuses any byte above 0x7F in a URL, so the request
line is *masked* before it is fed (each such byte replaced by ``MASK``) and the target is taken
back from the original line (``RequestLine``). Only a request line at the start of a received
chunk, or continuing one, can be masked; a pipelined request line behind a body in the same chunk
is left to llhttp, which refuses it (400: safe, and rare).
"""

from __future__ import annotations

from collections.abc import Sequence

MASK = 0x78  # "x": valid in a path, so llhttp parses the masked line like the original
_HIGH = bytes(range(0x80, 0x100))
_MASK_TABLE = bytes(range(0x80)) + bytes([MASK]) * 0x80


def mask_line(data: bytes) -> tuple[bytes, bytes, bool]:
    """(``data`` with the bytes above 0x7F of its first line masked, the original first line
    (up to and including its LF, or all of ``data``), whether the line ended in ``data``)."""
    end = data.find(b"\n")
    line = data if end < 0 else data[: end + 1]
    if line.translate(None, _HIGH) == line:
        return data, line, end >= 0
    return line.translate(_MASK_TABLE) + data[len(line):], line, end >= 0


def target_of(line: bytes) -> bytes | None:
    """The request target of an original request line (``METHOD SP target SP version``)."""
    parts = line.rstrip(b"\r\n").split(b" ")
    return parts[1] if len(parts) == 3 else None


def framing_error(version: str, headers: Sequence[tuple[bytes, bytes]]) -> tuple[int, str] | None:
    """(status, reason) when the head's framing is ambiguous or unsupported, else None.
    ``headers``: lower-case names, as received."""
    if version not in ("1.1", "1.0"):
        if version == "0.9":
            return 400, "HTTP/0.9 request"
        return 505, "unsupported HTTP version"
    hosts = te = 0
    for name, value in headers:
        if name == b"host":
            hosts += 1
        elif name == b"transfer-encoding":
            te += 1
            if value.strip().lower() != b"chunked":
                return 400, "Transfer-Encoding other than chunked"
    if te > 1:
        return 400, "repeated Transfer-Encoding"
    if te and version == "1.0":
        return 400, "Transfer-Encoding in an HTTP/1.0 request"
    if hosts > 1:
        return 400, "more than one Host"
    if not hosts and version == "1.1":
        return 400, "HTTP/1.1 request without Host"
    return None
