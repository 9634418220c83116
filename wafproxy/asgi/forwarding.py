"""The request headers a reverse proxy sends upstream (RFC 9110 §7.6, RFC 7239), shared by the ASGI
``ReverseProxy`` and the proxy server.

- hop-by-hop headers are removed, including every header named in ``Connection``;
- ``X-Forwarded-For``: the peer appended to the incoming chain when the peer is a trusted proxy,
  else a fresh chain with the peer (an untrusted client must not seed the chain); ``Forwarded``
  likewise; ``X-Forwarded-Proto``/``-Host`` kept from a trusted peer, set from what we saw otherwise;
  ``X-Real-IP`` is the resolved client IP (the WAF's, when it resolved one, else ``client_ip.py``);
- ``Host``: the client's (``preserve_host``) or the upstream's;
- ``Expect`` is dropped: the server already answered ``100-continue`` to the client, and the
  upstream's interim response would be a second one.

``forward_lines`` is the same rewrite for the proxy server's common case, a client that is not a
trusted proxy: what its connection adds is the same for each of its requests (``Via``, built once
per connection), so the header lines are written as bytes in one pass over the request's headers
instead of a list of pairs serialised afterwards (issue 11: ~700 bytecodes a request).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from wafproxy.asgi.client_ip import TrustedProxies
from wafproxy.asgi.hop_by_hop import HOP_BY_HOP, connection_tokens

Headers = list[tuple[bytes, bytes]]

# Request headers we never copy as-is: hop-by-hop ones, and those we (re)write ourselves.
_REWRITTEN: Final = frozenset(
    {
        b"host",
        b"x-forwarded-for",
        b"forwarded",
        b"x-forwarded-proto",
        b"x-forwarded-host",
        b"x-real-ip",
        b"expect",
    }
)
_SPECIAL: Final = HOP_BY_HOP | _REWRITTEN | {b"content-length"}
_OPTIONS: Final = frozenset({b"keep-alive", b"close"})  # a Connection value naming no header field


def upstream_headers(
    headers: Iterable[tuple[bytes, bytes]],
    *,
    peer: str,
    scheme: str,
    upstream_host: bytes,
    preserve_host: bool,
    trusted: TrustedProxies,
    client_ip: str = "",
) -> tuple[Headers, bool]:
    """(the headers to send upstream, whether the request has a body). ``headers``: lower-case
    names; ``client_ip``: the address the WAF resolved (empty: resolve it here)."""
    out: Headers = []
    host = xff = fwd = proto = fhost = None
    named: list[bytes] | None = None
    has_body = False
    for name, value in headers:
        if name not in _SPECIAL:
            out.append((name, value))
        elif name == b"content-length":
            has_body = True
            out.append((name, value))
        elif name == b"host":
            host = value
        elif name == b"x-forwarded-for":
            xff = value if xff is None else xff + b", " + value
        elif name == b"forwarded":
            fwd = value if fwd is None else fwd + b", " + value
        elif name == b"x-forwarded-proto":
            proto = value
        elif name == b"x-forwarded-host":
            fhost = value
        elif name == b"transfer-encoding":
            has_body = True
        elif name == b"connection":
            named = [value] if named is None else [*named, value]
    if named is not None:
        extra = connection_tokens(named)
        if extra:
            out = [(n, v) for n, v in out if n not in extra]
    trusted_peer = bool(peer) and trusted.is_trusted(peer)
    peer_b = peer.encode("latin-1")
    out.append((b"host", host if preserve_host and host is not None else upstream_host))
    if trusted_peer and xff is not None:
        out.append((b"x-forwarded-for", xff + b", " + peer_b))
    elif peer:  # no socket peer (unix socket): no address to vouch for, send none
        out.append((b"x-forwarded-for", peer_b))
    out.append((b"x-forwarded-proto", proto if trusted_peer and proto is not None else scheme.encode()))
    forwarded_host = fhost if trusted_peer and fhost is not None else host
    if forwarded_host is not None:
        out.append((b"x-forwarded-host", forwarded_host))
    node = b'"[' + peer_b + b']"' if ":" in peer else peer_b or b"unknown"
    ours = b"for=" + node + b";proto=" + scheme.encode()
    if host is not None:
        ours += b';host="' + host.replace(b"\\", b"").replace(b'"', b"") + b'"'
    out.append((b"forwarded", fwd + b", " + ours if trusted_peer and fwd is not None else ours))
    if not client_ip:
        client_ip = peer
        if trusted_peer and xff is not None:
            client_ip = trusted.resolve(peer, [xff.decode("latin-1")])
    if client_ip:
        out.append((b"x-real-ip", client_ip.encode("latin-1")))
    return out, has_body


class Via:
    """What a client connection that is not a trusted proxy adds to every request it forwards
    (``upstream_headers`` with ``trusted_peer`` false): X-Forwarded-For, X-Forwarded-Proto and
    X-Real-IP name the peer, the ``Forwarded`` element its address and scheme."""

    __slots__ = ("peer", "fixed", "forwarded", "real_ip", "_host", "_block")

    def __init__(self, peer: str, scheme: str) -> None:
        peer_b = peer.encode("latin-1")
        scheme_b = scheme.encode()
        node = b'"[' + peer_b + b']"' if ":" in peer else peer_b
        self.peer = peer
        self.fixed = b"x-forwarded-for: " + peer_b + b"\r\nx-forwarded-proto: " + scheme_b + b"\r\n"
        self.forwarded = b"forwarded: for=" + node + b";proto=" + scheme_b
        self.real_ip = b"x-real-ip: " + peer_b + b"\r\n"
        # The lines that follow the client's own for its last Host (``host_lines``): a client
        # sends the same Host on every request of a connection, so they are built once.
        self._host: tuple[bytes, bytes, bool] | None = None
        self._block = b""

    def host_lines(self, host: bytes, upstream_host: bytes, preserve_host: bool) -> bytes:
        """Host, X-Forwarded-For/-Proto/-Host, Forwarded and X-Real-IP for a request whose Host
        is ``host``: six header lines."""
        key = (host, upstream_host, preserve_host)
        if key != self._host:
            clean = host.replace(b"\\", b"").replace(b'"', b"")
            self._block = b"".join((b"host: ", host if preserve_host else upstream_host, b"\r\n", self.fixed,
                                    b"x-forwarded-host: ", host, b"\r\n", self.forwarded, b';host="', clean,
                                    b'"\r\n', self.real_ip))
            self._host = key
        return self._block


def forward_lines(
    headers: Iterable[tuple[bytes, bytes]], via: Via, upstream_host: bytes, preserve_host: bool,
) -> tuple[list[bytes], int, bool] | None:
    """The header lines ``upstream_headers`` would send for a client connection ``via`` (its
    ``client_ip`` the peer), as byte pieces to join: (pieces, how many lines, whether a
    Content-Length is among them). None when a ``Connection`` field names fields to drop (rare:
    ``upstream_headers`` does it). ``headers``: lower-case names."""
    parts: list[bytes] = []
    host = None
    has_length = False
    lines = 0
    for name, value in headers:
        if name in _SPECIAL:
            if name == b"host":
                host = value
            elif name == b"content-length":
                has_length = True
                parts += (name, b": ", value, b"\r\n")
                lines += 1
            elif name == b"connection" and value.lower() not in _OPTIONS and connection_tokens((value,)):
                return None
            continue  # hop-by-hop, or rewritten from what the peer is (never trusted here)
        parts += (name, b": ", value, b"\r\n")
        lines += 1
    if host is None:
        parts += (b"host: ", upstream_host, b"\r\n", via.fixed, via.forwarded, b"\r\n", via.real_ip)
        return parts, lines + 5, has_length
    parts.append(via.host_lines(host, upstream_host, preserve_host))
    return parts, lines + 6, has_length
