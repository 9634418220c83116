"""Why talking to an upstream failed, as types the proxy maps to a status code.

Each error carries the upstream it concerns (``upstream``, the configured URL without userinfo)
and a short ``reason`` that is safe to log: no request data, no header values, no secrets.
The proxy answers 502 for connect/TLS/protocol failures and 504 for timeouts. ``failure_kind``
names each for the ``wafproxy_upstream_failures_total{kind}`` series (a closed set of labels).
"""

from __future__ import annotations


class UpstreamError(Exception):
    """Base class: the upstream could not give us a complete, well-formed response."""

    def __init__(self, reason: str, upstream: str = "") -> None:
        super().__init__(f"{upstream}: {reason}" if upstream else reason)
        self.reason = reason
        self.upstream = upstream


class UpstreamConnectError(UpstreamError):
    """No TCP connection could be made (refused, unreachable, DNS failure)."""


class UpstreamTLSError(UpstreamError):
    """The TLS handshake failed, typically because the certificate did not verify."""


class UpstreamTimeout(UpstreamError):
    """Connect, read or total timeout expired; ``phase`` says which one."""

    def __init__(self, reason: str, upstream: str = "", phase: str = "read") -> None:
        super().__init__(reason, upstream)
        self.phase = phase


class UpstreamProtocolError(UpstreamError):
    """The upstream sent something that is not HTTP/1.1, or closed the connection mid-response."""


class UpstreamPoolFull(UpstreamError):
    """Every connection is busy and the queue of waiters is full: shed load instead of queueing."""


MID_RESPONSE = "mid_response"  # the head was received, then the body failed (reset, timeout, bad framing)
FAILURE_KINDS = ("connect", "tls", "timeout", "protocol", "pool_full", MID_RESPONSE, "other")


def failure_kind(exc: UpstreamError) -> str:
    """The label of a failure before a response head arrived (one of ``FAILURE_KINDS``)."""
    if isinstance(exc, UpstreamPoolFull):
        return "pool_full"
    if isinstance(exc, UpstreamTimeout):
        return "pool_full" if exc.phase == "pool" else "timeout"
    if isinstance(exc, UpstreamTLSError):
        return "tls"
    if isinstance(exc, UpstreamConnectError):
        return "connect"
    if isinstance(exc, UpstreamProtocolError):
        return "protocol"
    return "other"
