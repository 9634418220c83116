"""The WAF's own answers, sent straight on the ASGI ``send`` (no Starlette ``Response`` on the hot path).

Statuses follow AWS WAF: BLOCK answers 403 unless the rule configured a custom response; CAPTCHA
answers 405 and CHALLENGE 202 (AWS serves an interstitial page with a JavaScript puzzle there; we
send a short text body for now, so a browser sees the status but cannot solve anything yet).
Bodies are short and say nothing about which rule matched: that goes to the WAF log, not to the
attacker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from wafproxy.engine.decision import Action, CustomResponse, Decision

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

BLOCKED = CustomResponse(403, body=b"Forbidden: request blocked by the web application firewall.\n")
CAPTCHA = CustomResponse(405, body=b"CAPTCHA required: this client has not solved a CAPTCHA yet.\n")
CHALLENGE = CustomResponse(202, body=b"Challenge required: this client has not passed a challenge yet.\n")
ENGINE_ERROR = CustomResponse(500, body=b"Internal error: the request could not be inspected.\n")

RATE_LIMITED_BODY = b"Too many requests: slow down and retry later.\n"


def rate_limited(retry_after_seconds: int) -> CustomResponse:
    """A rate-based rule's Block without a custom response: 429 and when to come back (issue 5).
    AWS answers 403 there; clients and SDKs back off properly only on 429 + Retry-After."""
    return CustomResponse(429, headers=(("Retry-After", str(retry_after_seconds)),), body=RATE_LIMITED_BODY)


_DEFAULTS = {Action.BLOCK: BLOCKED, Action.CAPTCHA: CAPTCHA, Action.CHALLENGE: CHALLENGE}


def response_for(decision: Decision) -> CustomResponse:
    """The answer to a request the engine did not allow: the rule's custom one, else AWS's default."""
    if decision.custom_response is not None:
        return decision.custom_response
    return _DEFAULTS.get(decision.action, BLOCKED)


def raw_headers(resp: CustomResponse) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-type", resp.content_type.encode("latin-1")),
        (b"content-length", str(len(resp.body)).encode("ascii")),
        # Never let a cache keep a WAF verdict: the next request may well be allowed.
        (b"cache-control", b"no-store"),
    ]
    headers.extend((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in resp.headers)
    return headers


async def send_response(send: Send, resp: CustomResponse, *, head_only: bool = False) -> int:
    """Send ``resp`` as a complete HTTP response; returns the status sent (for the request event)."""
    await send({"type": "http.response.start", "status": resp.status_code, "headers": raw_headers(resp)})
    await send({"type": "http.response.body", "body": b"" if head_only else resp.body})
    return resp.status_code
