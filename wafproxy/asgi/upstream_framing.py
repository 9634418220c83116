"""How an upstream response's body is framed, where that is not llhttp's call to make.

Asked of a response head only when it matters (a ``Transfer-Encoding`` field, a connection that
closed mid-body), not for every response: kept apart from ``upstream_conn``'s per-byte path.
"""

from __future__ import annotations

from wafproxy.asgi.upstream_errors import UpstreamProtocolError


def check_coding(value: bytes, before: list[tuple[bytes, bytes]], upstream: str) -> None:
    """A response's Transfer-Encoding: only one, only ``chunked``, after no Content-Length. Any
    other coding we would relay undecoded as if identity (llhttp reads it to close), and a second
    one llhttp decodes once: as nginx, a 502 rather than a body the client could frame otherwise."""
    if value.strip().lower() != b"chunked" or not eof_framed(before):
        raise UpstreamProtocolError("Transfer-Encoding other than chunked", upstream)


def eof_framed(headers: list[tuple[bytes, bytes]]) -> bool:
    """A response head with neither Content-Length nor Transfer-Encoding: its body ends at close.
    Asked only when the connection closes mid-body, not for every response."""
    for name, _ in headers:
        lname = name.lower()
        if lname == b"content-length" or lname == b"transfer-encoding":
            return False
    return True


def without_length(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A 204's headers less any Content-Length (RFC 9110 §8.6: never sent in a 204). A client or
    a cache in front of us that believed it would take that many bytes of the next response on
    the connection as this one's body: a response desync. nginx drops it too. (A 304's length
    is the selected representation's, relayed as is; HEAD's likewise.)"""
    return [(name, value) for name, value in headers if name.lower() != b"content-length"]


def switched_to(head: bytes, protocol: bytes) -> bool:
    """A 101 response ``head`` (status line and fields, no blank line) names ``protocol``, and only
    it, in its Upgrade field (RFC 9110 §7.8: the protocol switched to, one the client asked for)."""
    values = [line.partition(b":")[2] for line in head.split(b"\r\n")[1:]
              if line.partition(b":")[0].strip().lower() == b"upgrade"]
    return len(values) == 1 and values[0].strip(b" \t").lower() == protocol
