"""Request-part parsing for the fields AWS WAF inspects: query, cookies, forms, JSON, multipart.

Principles shared by every parser here:

* **Raw, not decoded.** Query arguments, cookies and form fields are returned exactly as received
  (``%41`` stays ``%41``, ``+`` stays ``+``): AWS inspects the raw request and each rule chooses
  its own ``TextTransformation``s (URL_DECODE, ...). Decoding here would double-decode.
* **Bytes -> str** by the package rule of ``transforms._bytes`` (UTF-8, invalid bytes kept as
  ``U+DC80..U+DCFF``), so nothing an attacker sends is lost or raises.
* **Bounded.** Every parser takes a count limit; past it, the rest is not returned. JSON says so
  with ``truncated``; for the pair lists a result of exactly ``max_items`` means the cap was hit,
  and the caller applies its oversize policy (AWS ``OversizeHandling``) — never silently "clean".
  Input is itself bounded by the request-line and body inspection limits.
* **Never raises on attacker input.** Invalid JSON is a value (``InvalidJson``), not an exception.
"""

from __future__ import annotations

from collections.abc import Sequence

from wafproxy.engine.transforms import from_bytes

from ._bounds import BOUND_ANSWERS, MAX_ARGS, ContentLimits, content_bound
from ._json import InvalidJson, JsonDocument, JsonKey, JsonLeaf, parse_json
from ._multipart import Part, multipart_boundary, parse_multipart

__all__ = [
    "BOUND_ANSWERS",
    "MAX_ARGS",
    "ContentLimits",
    "InvalidJson",
    "JsonDocument",
    "JsonKey",
    "JsonLeaf",
    "Part",
    "content_bound",
    "multipart_boundary",
    "parse_cookies",
    "parse_form",
    "parse_json",
    "parse_multipart",
    "parse_query",
]

# MAX_ARGS (``_bounds``): the default cap on query arguments, cookies and form fields returned.


def _pairs(text: str, separator: str, max_items: int, strip: bool) -> list[tuple[str, str]]:
    """Split fully (no ``maxsplit``): with one, ``"&" * 5000 + "a=<x>"`` would hide argument ``a``
    inside an unsplit remainder. The text is bounded by the request line / inspection limits."""
    out: list[tuple[str, str]] = []
    for item in text.split(separator):
        if strip:
            item = item.strip(" \t")
        if not item:
            continue  # "a=1&&b=2": empty segments are not arguments
        key, _, value = item.partition("=")
        out.append((key, value))
        if len(out) >= max_items:
            break
    return out


def parse_query(qs: str, *, max_items: int = MAX_ARGS) -> list[tuple[str, str]]:
    """``"a=1&b=%41&c&=x"`` -> ``[("a","1"), ("b","%41"), ("c",""), ("","x")]`` (raw, in order).

    Split on ``&`` only, then at the first ``=``; a segment without ``=`` is a key with an empty
    value. Duplicates are kept (``a=1&a=2`` -> both): rules must see every value.
    """
    return _pairs(qs, "&", max_items, strip=False)


def parse_cookies(header_values: Sequence[str], *, max_items: int = MAX_ARGS) -> list[tuple[str, str]]:
    """All ``Cookie`` header values -> ``[(name, value)]`` in order, raw (quotes kept).

    ``["a=1; b=\\"x y\\"", "c=3"]`` -> ``[("a","1"), ("b","\\"x y\\""), ("c","3")]`` (RFC 6265 §5.4
    joins several Cookie headers with ``; ``; we read them in arrival order).
    """
    out: list[tuple[str, str]] = []
    for header in header_values:
        out.extend(_pairs(header, ";", max_items - len(out), strip=True))
        if len(out) >= max_items:
            break
    return out


def parse_form(body: bytes, *, max_items: int = MAX_ARGS) -> list[tuple[str, str]]:
    """``application/x-www-form-urlencoded`` body -> raw ``[(name, value)]``, like ``parse_query``.

    ``b"user=a%20b&x=1+2"`` -> ``[("user","a%20b"), ("x","1+2")]``. A trailing CR/LF (some
    clients send one) is not part of the last value.
    """
    return _pairs(from_bytes(body).rstrip("\r\n"), "&", max_items, strip=False)
