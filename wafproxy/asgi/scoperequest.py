"""An ASGI scope as the engine's ``WafRequest``: what ``WafMiddleware`` builds once per request.

Two builders. ``bodiless_request`` serves the common case, a request that declares no body
(nearly every GET): its headers come from ``read_headers``, one pass that decodes them, groups the
values by lower-cased name (``WafRequest.header_values``'s table, which the engine would otherwise
build on its first lookup) and tells whether there is a body to read. ``scope_request`` serves a
request whose body was read: ``wafrequests.build_request``, exactly as the proxy server builds its requests.
Both give the same ``WafRequest`` for the same request (but its id), so the same decision
(``tests/asgi/test_middleware_fastpath.py``).

Why the effort (issue 11): in pure Python the middleware's request building was ~40,000 machine
instructions of a benign GET's ~330,000 for the WAF, beside a ~190,000 Starlette app.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping, Sequence
from typing import Any

from wafproxy.asgi.inspector import Inspector
from wafproxy.asgi.wafrequests import build_request, new_request, wire_text
from wafproxy.engine.request import WafRequest

Scope = MutableMapping[str, Any]
HeaderText = tuple[tuple[str, str], ...]
ByName = dict[str, tuple[str, ...]]

# An HTTP/1.x request carries a body only when it declares one (RFC 9112 §6.3: neither
# Content-Length nor Transfer-Encoding means no body). HTTP/2 and 3 may send DATA frames without
# declaring a length, so only these versions can be known bodiless from their headers.
DECLARED_BODY_VERSIONS = frozenset({"1.0", "1.1"})
# Headers that send a request down the path that reads its body: a body declared, or a
# Content-Encoding (refused 415 when unknown, even on an empty body: ``bodyscan``).
BODY_HEADERS = frozenset({b"content-length", b"transfer-encoding", b"content-encoding"})

# (name, value) as received → ((name, value) decoded, lower-cased name, (value,)). Most header lines
# repeat from request to request (Host, User-Agent, Accept...): decoding each once saves ~1 µs a
# request, and the one-value tuple ``by_name`` gets is kept beside them, built once too.
# Bounded (STYLE: every per-key table): values past MEMO_VALUE_MAX bytes are never kept (nor the
# BODY_HEADERS lines), and the table is emptied when it holds MEMO_ENTRIES lines (~1.5 MB at most).
_decoded: dict[Sequence[bytes], tuple[tuple[str, str], str, tuple[str]]] = {}
MEMO_ENTRIES = 4096
MEMO_VALUE_MAX = 256


def read_headers(headers: Iterable[Sequence[bytes]]) -> tuple[HeaderText, ByName, bool]:
    """One pass over a scope's headers: decoded as ``build_request`` decodes them, the values by
    lower-cased name, and whether the request declares no body (none of ``BODY_HEADERS``, but a
    ``Content-Length: 0``)."""
    out = []
    by_name: ByName = {}
    bodiless = True
    memo = _decoded
    for pair in headers:
        try:
            hit = memo.get(pair)
        except TypeError:  # a list: the ASGI spec allows any two-item iterable
            pair = tuple(pair)
            hit = memo.get(pair)
        if hit is None:
            name, value = pair
            text = name.decode("latin-1")
            value_text = value.decode("latin-1") if value.isascii() else wire_text(value)
            hit = (text, value_text), text.lower(), (value_text,)
            # ``lower``: an ASGI server or an outer middleware that breaks the spec's lower-case names
            # ("Content-Length") must not have a body handed to the app uninspected (misses only).
            lname = name.lower()
            if lname in BODY_HEADERS:  # never kept: these lines are looked at on every request
                if value != b"0" or lname != b"content-length":
                    bodiless = False
            elif len(value) <= MEMO_VALUE_MAX:
                if len(memo) >= MEMO_ENTRIES:
                    memo.clear()
                memo[pair] = hit
        decoded, key, single = hit
        out.append(decoded)
        seen = by_name.get(key)
        by_name[key] = single if seen is None else seen + single
    return tuple(out), by_name, bodiless


def _path(scope: Scope) -> str:
    raw_path = scope.get("raw_path")
    return wire_text(raw_path).partition("?")[0] if raw_path else scope["path"]


def bodiless_request(
    inspector: Inspector, scope: Scope, text_headers: HeaderText, by_name: ByName, method: str
) -> WafRequest:
    """The ``WafRequest`` of a request without a body, from ``read_headers``'s answer."""
    client = scope.get("client")
    peer = client[0] if client else ""
    client_ip = inspector.client_ip(peer, scope["headers"]) if inspector.any_trusted else peer
    # ``_path`` and ``wire_text`` inline for the ASCII target nearly every request has (a call less
    # each); anything else goes through them.
    raw_path: bytes | None = scope.get("raw_path")
    if raw_path and raw_path.isascii():
        path = raw_path.decode().partition("?")[0]
    else:
        path = _path(scope)
    query: bytes = scope.get("query_string", b"")
    return new_request(client_ip, peer, method, path, query.decode() if query.isascii() else wire_text(query),
                       text_headers, by_name, scope.get("http_version", "1.1"), scope.get("scheme", "http"))


def scope_request(inspector: Inspector, scope: Scope, body: bytes, seen: int, more: bool) -> WafRequest:
    """The ``WafRequest`` of an HTTP request whose body was read (``body``: at most the inspection
    limit, ``seen`` bytes read, ``more`` when the client sent more)."""
    client = scope.get("client")
    peer = client[0] if client else ""
    headers = scope["headers"]
    return build_request(
        client_ip=inspector.client_ip(peer, headers),
        peer=peer,
        method=scope.get("method", "GET"),
        path=_path(scope),
        query=scope.get("query_string", b""),
        headers=headers,
        body=body,
        seen=seen,
        more=more,
        http_version=scope.get("http_version", "1.1"),
        scheme=scope.get("scheme", "http"),
    )
