"""The request view the engine evaluates: immutable, built once per request by an adapter.

The engine never sees ASGI scopes, sockets or clocks. An adapter (the ASGI middleware, the proxy,
a test) builds one ``WafRequest`` from what arrived on the wire and hands it to ``evaluate``.
Everything is kept as received (raw path and query, header names in their original case and order)
because AWS WAF inspects the raw request and lets rules choose their own transformations.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class WafRequest:
    """One HTTP request, as the WAF inspects it.

    ``body`` holds at most the inspection limit; ``body_size`` is the full size as declared
    (Content-Length) or observed, so the engine can apply ``OversizeHandling`` when
    ``body_size > len(body)``.
    """

    client_ip: str
    method: str
    uri_path: str
    query_string: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    body_size: int = 0
    http_version: str = "1.1"
    scheme: str = "http"
    uri_fragment: str = ""
    request_id: str = ""
    # Address of the TCP peer, before any X-Forwarded-For resolution (AWS "source IP" for the
    # IP-based statements is ``client_ip``; forwarded-IP statements read the headers themselves).
    peer_ip: str = ""
    ja3_fingerprint: str | None = None
    ja4_fingerprint: str | None = None
    _lowered: dict[str, tuple[str, ...]] | None = field(default=None, repr=False, compare=False)

    @property
    def body_truncated(self) -> bool:
        """True when the body was cut at the inspection limit (``OversizeHandling`` applies)."""
        return self.body_size > len(self.body)

    def header_values(self, name: str) -> tuple[str, ...]:
        """All values of header ``name`` (case-insensitive), in arrival order."""
        lowered = self._lowered
        if lowered is None:
            built: dict[str, list[str]] = {}
            for key, value in self.headers:
                built.setdefault(key.lower(), []).append(value)
            lowered = {key: tuple(values) for key, values in built.items()}
            object.__setattr__(self, "_lowered", lowered)
        return lowered.get(name.lower(), ())

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        values = self.header_values(name)
        return values[0] if values else None
