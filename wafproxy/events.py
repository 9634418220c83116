"""One event per request: the single record that metrics, the WAF log and the detector consume."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wafproxy.engine.decision import Decision
from wafproxy.engine.request import WafRequest


@dataclass(frozen=True, slots=True, init=False)
class RequestEvent:
    """What happened to one request, end to end.

    ``timestamp`` is epoch seconds at arrival; ``response_status`` is what the client was sent
    (the WAF's own answer when blocked, the upstream's otherwise, 502/504 on upstream failure).

    Built once per request: ``__init__`` sets the slots through their descriptors, half the cost
    of the generated frozen ``__init__`` (issue 2); fields, equality, repr and immutability are
    the dataclass's.
    """

    timestamp: float
    web_acl: str
    request: WafRequest
    decision: Decision
    response_status: int
    evaluation_seconds: float
    upstream_seconds: float | None = None
    source: str = "PROXY"  # httpSourceName: PROXY or MIDDLEWARE

    def __init__(
        self,
        timestamp: float,
        web_acl: str,
        request: WafRequest,
        decision: Decision,
        response_status: int,
        evaluation_seconds: float,
        upstream_seconds: float | None = None,
        source: str = "PROXY",
    ) -> None:
        _set_fields(self, timestamp, web_acl, request, decision, response_status, evaluation_seconds,
                    upstream_seconds, source)


def _slot_setter() -> Callable[..., None]:
    s0, s1, s2, s3, s4, s5, s6, s7 = (RequestEvent.__dict__[name].__set__ for name in RequestEvent.__slots__)

    def set_fields(event: RequestEvent, a: object, b: object, c: object, d: object,
                   e: object, f: object, g: object, h: object) -> None:
        s0(event, a)
        s1(event, b)
        s2(event, c)
        s3(event, d)
        s4(event, e)
        s5(event, f)
        s6(event, g)
        s7(event, h)

    return set_fields


_set_fields = _slot_setter()
