"""Which settings are bounds of ``ShieldLimits`` and which of ``ContentLimits``.

The settings hold ``None`` for a bound not set: the defaults live once, in ``ShieldLimits``
(asgi/limits.py) and ``ContentLimits`` (engine/parsing/_bounds.py); these helpers pass on only
what an operator set (issue 17, docs/operations.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wafproxy.settings.model import Settings

SHIELD_BOUNDS = ("max_url_bytes", "max_header_count", "max_header_bytes", "max_body_bytes",
                 "body_timeout", "header_timeout", "keep_alive_timeout", "max_connection_seconds",
                 "max_websocket_frame_bytes", "max_requests_per_client", "max_tracked_clients",
                 "max_connections_per_client", "max_connections", "websocket_idle_timeout")
CONTENT_BOUNDS = ("max_query_args", "max_cookies", "max_json_depth", "max_json_members",
                  "max_multipart_parts", "max_multipart_header_bytes")


def content_bounds(s: Settings) -> dict[str, int]:
    """The ``ContentLimits`` keywords that were set."""
    return {name: getattr(s, name) for name in CONTENT_BOUNDS if getattr(s, name) is not None}


def shield_bounds(s: Settings) -> dict[str, Any]:
    """The ``ShieldLimits`` keywords that were set."""
    return {name: getattr(s, name) for name in SHIELD_BOUNDS if getattr(s, name) is not None}
