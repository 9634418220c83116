"""Which IP addresses an IP-based statement inspects: the source IP or a forwarded header.

AWS WAF ``ForwardedIPConfig`` / ``IPSetForwardedIPConfig``: the header holds a comma-separated
list (X-Forwarded-For style); Position FIRST/LAST/ANY picks from it (ANY: at most the last 10);
when no valid address is found, ``FallbackBehavior`` decides (MATCH or NO_MATCH).
"""

from __future__ import annotations

from dataclasses import dataclass

from wafproxy.engine.doc import Node
from wafproxy.engine.ipsets import parse_ip
from wafproxy.engine.request import WafRequest

MAX_ANY = 10


@dataclass(frozen=True, slots=True)
class ForwardedIP:
    header: str  # lowercased
    fallback_match: bool
    position: str = "FIRST"


def parse_forwarded(node: Node, *, with_position: bool) -> ForwardedIP:
    keys = (
        ("HeaderName", "FallbackBehavior", "Position")
        if with_position
        else ("HeaderName", "FallbackBehavior")
    )
    node.obj(required=keys)
    header = node.at("HeaderName").str_(1, 255)
    if not all(c.isalnum() or c == "-" for c in header) or not header.isascii():
        node.at("HeaderName").fail(f"{header!r} is not a valid header name")
    fallback = node.at("FallbackBehavior").enum(("MATCH", "NO_MATCH"))
    position = node.at("Position").enum(("FIRST", "LAST", "ANY")) if with_position else "FIRST"
    return ForwardedIP(header.lower(), fallback == "MATCH", position)


def source_ips(request: WafRequest, forwarded: ForwardedIP | None) -> list[str] | bool:
    """The addresses to inspect, or the fallback verdict (a bool) when there are none."""
    if forwarded is None:
        ip = parse_ip(request.client_ip)
        return [ip] if ip else False
    raw = request.header(forwarded.header)
    if raw is None:
        return forwarded.fallback_match
    parts = [p for p in (x.strip() for x in raw.split(",")) if p]
    if not parts:
        return forwarded.fallback_match
    if forwarded.position == "FIRST":
        parts = parts[:1]
    elif forwarded.position == "LAST":
        parts = parts[-1:]
    else:
        parts = parts[-MAX_ANY:]
    ips = [ip for ip in (parse_ip(p) for p in parts) if ip]
    if not ips or (forwarded.position != "ANY" and len(ips) != len(parts)):
        return forwarded.fallback_match
    return ips
