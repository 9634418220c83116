"""The ``WafRequest`` both adapters build from what they received, and the text it holds.

Split from ``inspector`` (deciding, answering refusals, emitting events): building the request is
its own step, and the same one for ``WafMiddleware`` and the proxy server, which is part of why
both decide alike. Header names come lower-cased; values, the query string and the raw path are
decoded by ``wire_text``; the declared size of a body cut at the inspection limit is kept for
``OversizeHandling``; every request gets a process-unique id.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from typing import Final

from wafproxy.engine.request import WafRequest
from wafproxy.slotinit import positional_init

_ids: Final = itertools.count(1)
# ``_ID_FORMAT % n``: the process's prefix and ``n`` in hex; ``%`` formats an int for less than an
# f-string's ``:x`` (no format spec to parse; compiled, no ``__format__`` method call: ~1.5k instructions).
_ID_FORMAT: Final = f"{os.getpid():x}-{os.urandom(4).hex()}-%x"

RawHeaders = Iterable[tuple[bytes, bytes]]

# ``WafRequest(...)`` through its frozen ``__init__`` was ~27,000 instructions a request (issue 11).
_new_request = positional_init(WafRequest, (
    "client_ip", "method", "uri_path", "query_string", "headers", "body", "body_size", "http_version",
    "scheme", "request_id", "peer_ip",
))
_new_bodiless = positional_init(WafRequest, (
    "client_ip", "method", "uri_path", "query_string", "headers", "http_version", "scheme", "request_id",
    "peer_ip", "_lowered",
))
_new_read = positional_init(WafRequest, (
    "client_ip", "method", "uri_path", "query_string", "headers", "body", "body_size", "http_version",
    "scheme", "request_id", "peer_ip", "_lowered",
))


def wire_text(raw: bytes) -> str:
    """Bytes from the wire as the engine's text: UTF-8 when they are valid UTF-8 (a `’` in a
    cookie, `①` or `Zürich` in a URL, as clients send them), else latin-1 (one character per byte).

    The engine scans ``to_bytes(text)`` (UTF-8): decoding valid UTF-8 as latin-1 would hand it
    mojibake (`â\x80\x99` for `’`), and a rule written for the character would not see it where
    the same request evaluated in-process is refused (CRS 942420, 934120 through ``serve``).
    ASCII, nearly every value, is the same either way."""
    if raw.isascii():
        return raw.decode()  # UTF-8 is ASCII here; no codec name to look up
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def new_request(
    client_ip: str,
    peer: str,
    method: str,
    path: str,
    query: str,
    text_headers: tuple[tuple[str, str], ...],
    by_name: dict[str, tuple[str, ...]],
    http_version: str,
    scheme: str,
    body: bytes = b"",
) -> WafRequest:
    """A request from already decoded parts (``WafMiddleware``'s fast path, the proxy server's
    fast lane: one pass over the headers decodes them as ``build_request`` does and groups the
    values by lower-cased name, which ``WafRequest.header_values`` would otherwise build on its
    first call); with a fresh request id, as ``build_request`` makes it. ``body``: read whole
    (within the inspection limit, nothing more sent), or none."""
    if body:
        return _new_read(client_ip, method, path, query, text_headers, body, len(body), http_version, scheme,
                         _ID_FORMAT % next(_ids), peer, by_name)
    return _new_bodiless(client_ip, method, path, query, text_headers, http_version, scheme,
                         _ID_FORMAT % next(_ids), peer, by_name)


def build_request(
    *,
    client_ip: str,
    peer: str,
    method: str,
    path: str,
    query: bytes,
    headers: RawHeaders,
    body: bytes,
    seen: int,
    more: bool,
    http_version: str,
    scheme: str,
) -> WafRequest:
    """The engine's view of a request read off the wire. ``headers``: lower-case names; ``body``:
    at most the inspection limit, ``seen`` bytes of it read, ``more`` when the client sent more."""
    # ``decode()`` (UTF-8, no codec name to look up) is latin-1 for the ASCII value it gets.
    text_headers = tuple([(k.decode("latin-1"), v.decode() if v.isascii() else wire_text(v))
                          for k, v in headers])
    body_size = seen
    if more:
        # Cut at the limit: the declared size tells OversizeHandling how much was not seen.
        for k, v in text_headers:
            if k == "content-length" and v.isdigit():
                body_size = max(seen, int(v))
                break
    return _new_request(client_ip, method, path, wire_text(query), text_headers, body, body_size,
                        http_version, scheme, _ID_FORMAT % next(_ids), peer)
