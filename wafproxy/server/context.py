"""What every connection of one listening server shares: limits, tables, counters, the handler.

One per process and listener. The per-client connection table is bounded (``max_tracked_clients``)
like every per-key table; ``refusals`` counts connection-level refusals by reason (the same label
set as the uvicorn protocol it replaces: ``too_many_connections``, ``header_timeout``, plus
``bad_request`` for malformed requests and ``busy`` for the process-wide connection cap).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wafproxy.asgi.limits import ShieldLimits

if TYPE_CHECKING:
    from wafproxy.server.connection import HttpConnection
    from wafproxy.server.handler import ProxyHandler

logger = logging.getLogger("wafproxy.server")

MAX_HEAD_BYTES = 64 * 1024  # request line + headers; well above nginx's 4 x 8 KiB buffers
MAX_HEADERS = 256  # beyond this the head is refused while parsing (431); the Shield's 431 comes first
MAX_PIPELINED = 16  # parsed requests waiting behind the one being answered, before we stop reading


@dataclass
class ServerContext:
    handler: ProxyHandler
    limits: ShieldLimits = field(default_factory=ShieldLimits)
    tls: bool = False
    connection_gauge: Any = None  # WafMetrics.open_connections (inc/dec per connection)
    connections: set[HttpConnection] = field(default_factory=set)
    per_client: dict[str, int] = field(default_factory=dict)
    refusals: Counter[str] = field(default_factory=Counter)
    draining: bool = False  # SIGTERM: answer what is in flight with ``connection: close``
    drained: asyncio.Event | None = None  # while draining: set when the last connection is gone
    # While parsing a head (before the Shield sees it whole): the memory one head may take. At least
    # the defaults above, and room for the Shield's own limits when they are set higher.
    head_cap: int = 0
    field_cap: int = 0

    def __post_init__(self) -> None:
        limits = self.limits
        self.head_cap = max(MAX_HEAD_BYTES, limits.max_url_bytes + limits.max_header_bytes + 1024)
        self.field_cap = max(MAX_HEADERS, limits.max_header_count + 1)

    def count(self, reason: str) -> None:
        """A bound reached in the ordinary course (a keep-alive connection closed when idle): counted
        with the refusals (``wafproxy_limit_hits_total``), never logged."""
        self.refusals[reason] += 1

    def refuse(self, reason: str, who: str) -> None:
        """Count a connection-level refusal; log the 1st, 2nd, 4th, 8th ... of each reason."""
        self.refusals[reason] += 1
        count = self.refusals[reason]
        if count & (count - 1) == 0:
            logger.warning("shield closed a connection: %s from %s (%d so far)", reason, who, count)
