"""One event per request: the single record that metrics, the WAF log and the detector consume."""

from __future__ import annotations

from dataclasses import dataclass

from wafproxy.engine.decision import Decision
from wafproxy.engine.request import WafRequest


@dataclass(frozen=True, slots=True)
class RequestEvent:
    """What happened to one request, end to end.

    ``timestamp`` is epoch seconds at arrival; ``response_status`` is what the client was sent
    (the WAF's own answer when blocked, the upstream's otherwise, 502/504 on upstream failure).
    """

    timestamp: float
    web_acl: str
    request: WafRequest
    decision: Decision
    response_status: int
    evaluation_seconds: float
    upstream_seconds: float | None = None
    source: str = "PROXY"  # httpSourceName: PROXY or MIDDLEWARE
