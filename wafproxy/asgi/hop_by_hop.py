"""Hop-by-hop headers: meaningful for one connection only, so a proxy must not forward them.

RFC 9110 §7.6.1: a proxy removes ``Connection`` and every header field it names, plus the
well-known connection-specific fields (``Keep-Alive``, ``Proxy-Connection``, ``TE``,
``Transfer-Encoding``, ``Upgrade``). We also drop ``Trailer`` (we never forward trailers) and the
proxy-authentication pair: a reverse proxy that does not authenticate proxy users must not leak
``Proxy-Authorization`` credentials to the origin (RFC 9110 §11.7.2), nor relay an origin's
``Proxy-Authenticate`` challenge to clients as if it were ours.

Header names here are lower-case bytes, as ASGI delivers and expects them.
"""

from __future__ import annotations

from collections.abc import Iterable

HOP_BY_HOP: frozenset[bytes] = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"transfer-encoding",
        b"upgrade",
        b"trailer",
        b"proxy-authorization",
        b"proxy-authenticate",
    }
)

# Tokens of ``Connection`` that are options, not header names (RFC 9112 §9.3/§9.6).
_CONNECTION_OPTIONS = frozenset({b"close", b"keep-alive", b""})


def connection_tokens(values: Iterable[bytes]) -> frozenset[bytes]:
    """Header names listed in ``Connection`` values (lower-cased, options like ``close`` removed)."""
    tokens = {token.strip().lower() for value in values for token in value.split(b",")}
    return frozenset(tokens - _CONNECTION_OPTIONS)


def strip_hop_by_hop(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` (names in any case) without hop-by-hop fields, names lower-cased for ASGI."""
    kept: list[tuple[bytes, bytes]] = []
    named: list[bytes] | None = None
    for name, value in headers:
        lname = name.lower()
        if lname in HOP_BY_HOP:
            if lname == b"connection":
                named = [value] if named is None else [*named, value]
            continue
        kept.append((lname, value))
    if named is not None:
        extra = connection_tokens(named)
        if extra:
            kept = [(name, value) for name, value in kept if name not in extra]
    return kept
