"""Content bounds: how many things a request may ask the engine's parsers to produce.

Each parser here caps what it returns (``MAX_ARGS`` query arguments and cookies, JSON ``MAX_DEPTH``
and ``MAX_ITEMS``, ``MAX_PARTS`` multipart parts, ``MAX_PART_HEADERS`` header lines a part). Past
a cap the rest is not returned, so a rule on ``AllQueryArguments`` would never see argument 1001:
padding a request with a thousand dummy arguments is a classic WAF bypass (ModSecurity's
CVE-2020-22669 answer was ``SecArgumentsLimit``, 1000, past which CRS blocks). ``content_bound``
finds a request that reaches a bound so the edge refuses it *before* the engine runs; the bounds
may be set lower than the parsers' caps, never higher (``ContentLimits`` refuses that), so what
reaches the engine is always parsed whole.

Cheap first: a count of separators (C speed, ``bytes.count``) bounds each quantity from above; the
exact parse runs only when that bound passes the limit. Pure: the edge (``asgi/inspector.py``)
answers and counts the hit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from ._json import MAX_DEPTH, MAX_ITEMS, InvalidJson, parse_json
from ._multipart import MAX_PART_HEADERS, MAX_PARTS, multipart_boundary, parse_multipart

MAX_ARGS = 1000  # the query / cookie / form parsers' cap (``parsing.MAX_ARGS``)

BOUND_ANSWERS: dict[str, tuple[int, bytes]] = {
    "too_many_query_args": (414, b"Too many query arguments\n"),
    "too_many_cookies": (431, b"Too many cookies\n"),
    "json_too_deep": (413, b"JSON body nested too deeply\n"),
    "json_too_many_members": (413, b"JSON body has too many members\n"),
    "multipart_too_many_parts": (413, b"Too many multipart parts\n"),
    "multipart_part_header_too_large": (413, b"Multipart part header too large\n"),
}
"""Every content bound: its answer (status, body). Also the ``limit`` label of its metric."""


@dataclass(frozen=True, slots=True)
class ContentLimits:
    """Defaults: the parsers' own caps (8 KiB for a multipart part's header block, nginx's line)."""

    max_query_args: int = MAX_ARGS
    max_cookies: int = MAX_ARGS
    max_json_depth: int = MAX_DEPTH
    max_json_members: int = MAX_ITEMS
    max_multipart_parts: int = MAX_PARTS
    max_multipart_header_bytes: int = 8 * 1024

    def __post_init__(self) -> None:
        caps = {"max_query_args": MAX_ARGS, "max_cookies": MAX_ARGS, "max_json_depth": MAX_DEPTH,
                "max_json_members": MAX_ITEMS, "max_multipart_parts": MAX_PARTS}
        for f in fields(self):
            value = getattr(self, f.name)
            if value < 1:
                raise ValueError(f"{f.name}: must be >= 1, got {value}")
            cap = caps.get(f.name)
            if cap is not None and value > cap:
                # Higher would let requests through that the parser then reads only in part.
                raise ValueError(f"{f.name}: at most {cap} (the parser's own cap), got {value}")


def content_bound(limits: ContentLimits, query: str, cookies: Sequence[str], body: bytes,
                  content_type: str | None) -> str | None:
    """The first bound (a ``BOUND_ANSWERS`` key) the request reaches, or None."""
    if query.count("&") >= limits.max_query_args and _args(query, "&") > limits.max_query_args:
        return "too_many_query_args"
    if cookies:
        # One Cookie header is the rule (RFC 6265 §5.4): no generator for it.
        bound = cookies[0].count(";") + 1 if len(cookies) == 1 else sum(c.count(";") + 1 for c in cookies)
        if bound > limits.max_cookies and sum(_args(c, ";") for c in cookies) > limits.max_cookies:
            return "too_many_cookies"
    if not body:
        return None
    start = body[:64].lstrip()[:1]
    if start in (b"{", b"[") or body.startswith(b"\xef\xbb\xbf"):
        return _json_bound(limits, body)
    if content_type is not None and (boundary := multipart_boundary(content_type)) is not None:
        return _multipart_bound(limits, body, boundary)
    return None


def _args(text: str, separator: str) -> int:
    """Non-blank segments: what ``parse_query`` / ``parse_cookies`` would return, uncapped."""
    if separator == "&":
        return sum(1 for item in text.split("&") if item)
    return sum(1 for item in text.split(separator) if item.strip(" \t"))


def _json_bound(limits: ContentLimits, body: bytes) -> str | None:
    # Depth <= containers opened; keys + leaves <= colons + commas + containers + 1.
    opened = body.count(b"{") + body.count(b"[")
    if opened <= limits.max_json_depth and len(body) <= limits.max_json_members:
        return None  # each key or value takes at least a byte: no need to count them
    if opened <= limits.max_json_depth:
        if body.count(b":") + body.count(b",") + opened < limits.max_json_members:
            return None
    parsed = parse_json(body, max_depth=limits.max_json_depth, max_items=limits.max_json_members)
    if isinstance(parsed, InvalidJson):
        if parsed.reason.startswith("nesting deeper"):
            return "json_too_deep"
        parsed = parsed.partial  # otherwise invalid: the engine's InvalidFallbackBehavior decides
    return "json_too_many_members" if parsed.truncated else None


def _multipart_bound(limits: ContentLimits, body: bytes, boundary: str) -> str | None:
    parts = parse_multipart(body, boundary, max_parts=limits.max_multipart_parts + 1)
    if len(parts) > limits.max_multipart_parts:
        return "multipart_too_many_parts"
    for part in parts:
        if part.head_bytes > limits.max_multipart_header_bytes or part.head_lines > MAX_PART_HEADERS:
            return "multipart_part_header_too_large"
    return None
