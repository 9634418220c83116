"""The Shield's limits and the checks both of its halves share (the ASGI ``ShieldMiddleware`` and
the proxy server, ``wafproxy/server/``): what one request may cost before the WAF looks at it.

Free of any server or ASGI import, so the server path loads no uvicorn.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wafproxy.engine.parsing import ContentLimits

if TYPE_CHECKING:
    from wafproxy.settings import Settings

REASONS: dict[str, tuple[int, bytes]] = {
    "url_too_long": (414, b"URI too long\n"),
    "too_many_headers": (431, b"Too many header fields\n"),
    "headers_too_large": (431, b"Request header fields too large\n"),
    "bad_content_length": (400, b"Bad Content-Length\n"),
    "body_too_large": (413, b"Content too large\n"),
    "body_timeout": (408, b"Request body timeout\n"),
    "too_many_concurrent": (429, b"Too many concurrent requests\n"),
    "client_table_full": (503, b"Busy\n"),
    "flood_mitigation": (429, b"Too many requests\n"),
}
"""Every reason the shield refuses a request: its status and body (also the metric label set)."""


@dataclass(frozen=True, slots=True)
class ShieldLimits:
    """Safe defaults, each well above what real browsers and API clients send.

    URL 8 KiB and headers 100 / 32 KiB follow nginx and Apache (8 KiB line, 100 fields); the
    body limit 10 MiB is a proxy default, not an inspection limit (that is the ACL's); 30 s of
    silence mid-body or mid-head is far beyond any live client (Apache mod_reqtimeout: 20 s).
    """

    max_url_bytes: int = 8 * 1024
    max_header_count: int = 100
    max_header_bytes: int = 32 * 1024
    max_body_bytes: int = 10 * 1024 * 1024
    body_timeout: float = 30.0
    max_requests_per_client: int = 64
    max_tracked_clients: int = 100_000
    ipv6_prefix: int = 64
    # Server level (wafproxy/server/connection.py; uvicorn's part: server_limits)
    header_timeout: float = 30.0
    keep_alive_timeout: float = 5.0
    max_connections_per_client: int = 128
    max_connections: int = 10_000
    # A connection's whole life, websockets included: AWS API Gateway's websocket cap (2 hours).
    max_connection_seconds: float = 7200.0
    # uvicorn's ``ws_max_size`` default: what an ASGI upstream accepts anyway (server/websocket.py).
    max_websocket_frame_bytes: int = 16 * 1024 * 1024
    # No byte either way on a websocket relay for this long: close 1001 (0 = off). nginx closes an
    # idle websocket at proxy_read_timeout (60 s); 600 s leaves room for apps pinging every minute+.
    websocket_idle_timeout: float = 600.0

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if name == "websocket_idle_timeout" and self.websocket_idle_timeout == 0:
                continue  # off
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be > 0, got {getattr(self, name)!r}")
        if self.ipv6_prefix > 128:
            raise ValueError(f"ipv6_prefix: must be <= 128, got {self.ipv6_prefix}")


def client_key(host: str | None, ipv6_prefix: int = 64) -> str:
    """The key one client is counted under: its IPv4 address, or its IPv6 network (/64 default),
    so a host cannot dodge a per-client limit by rotating through the addresses of its prefix."""
    if not host:
        return "-"
    if ":" not in host:
        return host
    try:
        return str(ipaddress.IPv6Network((host.split("%", 1)[0], ipv6_prefix), strict=False))
    except ValueError:
        return host


BODY = "body"  # ``check_head``: no refusal, but the request may carry a body


def check_head(limits: ShieldLimits, url_bytes: int, headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """A refusal reason (``REASONS``), ``BODY`` when the request may carry a body (its stream must
    be guarded), or None. One pass over the headers (lower-case names): this runs on every request."""
    if url_bytes > limits.max_url_bytes:
        return "url_too_long"
    count = len(headers)
    if count > limits.max_header_count:
        return "too_many_headers"
    size = 4 * count
    length: bytes | None = None  # the first Content-Length value (stripped), and whether another differs
    differing = False
    expects_body = False
    for name, value in headers:
        n = len(name)  # names of other lengths need no comparison
        size += n + len(value)
        if n == 14 and name.lower() == b"content-length":
            stripped = value.strip()
            if length is None:
                length = stripped
            elif stripped != length:
                differing = True
            if stripped != b"0":
                expects_body = True
        elif n == 17 and name == b"transfer-encoding":
            expects_body = True
    if size > limits.max_header_bytes:
        return "headers_too_large"
    if length is not None:
        # RFC 9110 8.6: one value, digits only; differing duplicates are a smuggling attempt.
        if differing or not length.isdigit():
            return "bad_content_length"
        if int(length) > limits.max_body_bytes:
            return "body_too_large"
    return BODY if expects_body else None


def shield_limits_from(settings: Settings) -> ShieldLimits:
    """The ``--max-*`` / timeout settings over the defaults."""
    from wafproxy.settings import shield_bounds

    return ShieldLimits(**shield_bounds(settings))


def content_limits_from(settings: Settings) -> ContentLimits:
    from wafproxy.settings import content_bounds

    return ContentLimits(**content_bounds(settings))
