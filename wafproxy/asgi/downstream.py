"""What the protected app is handed, and how the middleware watches what it answers.

Split from ``middleware`` (which decides whether a request reaches the app at all): once it does,
the app sees a copy of the scope with the WAF's inserted headers and, in ``state``, the client IP
and the decision (``CLIENT_IP_KEY``, ``DECISION_KEY``: the middleware's public contract with the
app); its ``send`` is wrapped only to note the status for the request event. A body the WAF cannot
inspect is refused here too, before the app is called.
"""

from __future__ import annotations

from collections.abc import Awaitable

from wafproxy.asgi.types import Message, Scope, Send
from wafproxy.engine.decision import Decision
from wafproxy.engine.request import WafRequest

CLIENT_IP_KEY = "wafproxy.client_ip"
DECISION_KEY = "wafproxy.decision"


class StatusSend:
    """``send`` that notes the status the app answered (for the request event), nothing else."""

    __slots__ = ("send", "status")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.status = 500  # the app raised or ended without answering: the server answers 500

    def __call__(self, message: Message) -> Awaitable[None]:
        # Not a coroutine of its own: the server's awaitable is handed back to the app to await.
        if message["type"] == "http.response.start":
            self.status = message["status"]
        return self.send(message)


async def send_refusal(send: Send, refusal: tuple[int, str, bytes]) -> int:
    """413 / 415 for a body the WAF cannot inspect (``bodyscan.BodyRefused``)."""
    status, _, text = refusal
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(text)).encode())]})
    await send({"type": "http.response.body", "body": text})
    return status


def downstream_scope(scope: Scope, request: WafRequest, decision: Decision) -> Scope:
    """The scope the app sees: inserted headers appended (AWS names them ``x-amzn-waf-*``), the
    client IP and decision in ``state``. A copy, so a middleware outside ours keeps its own headers;
    ``state`` is shared on purpose (uvicorn copies it per request; apps write into it)."""
    scope = dict(scope)
    if decision.inserted_headers:
        scope["headers"] = [
            *scope["headers"],
            *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in decision.inserted_headers),
        ]
    state = scope.get("state")
    if state is None:
        state = scope["state"] = {}
    state[CLIENT_IP_KEY] = request.client_ip
    state[DECISION_KEY] = decision
    return scope

