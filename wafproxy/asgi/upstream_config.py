"""How to reach one upstream: ``UpstreamConfig`` (validated once), its TLS context, pool stats.

Kept apart from the pool so settings code and tests can build and validate configurations without
importing the connection machinery.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

logger = logging.getLogger("wafproxy.upstream")


@dataclass(frozen=True, slots=True)
class UpstreamConfig:
    """Where and how to reach one upstream. Validated at construction, never later.

    ``url`` is ``http://`` or ``https://host[:port][/base]``; a base path is prepended to every
    request target. The TLS options apply to ``https://`` only: the CLI's ``--upstream-ca`` and
    friends are global, so a plain-http route next to a TLS one legitimately carries them (the
    settings layer is where "TLS flags but no https upstream" is refused). ``keepalive_expiry``
    stays below common server idle timeouts (uvicorn: 5 s) so we rarely pick a connection the
    server is closing.
    """

    url: str
    ca_file: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    insecure_skip_verify: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    total_timeout: float | None = None
    max_connections: int = 256
    max_waiters: int = 1024
    keepalive_expiry: float = 4.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"UpstreamConfig.url: scheme must be http or https, got {parts.scheme!r}")
        if not parts.hostname:
            raise ValueError("UpstreamConfig.url: no host")
        if parts.query or parts.fragment or parts.username:
            raise ValueError("UpstreamConfig.url: no query, fragment or userinfo allowed")
        for name in ("connect_timeout", "read_timeout", "keepalive_expiry"):
            if getattr(self, name) <= 0:
                raise ValueError(f"UpstreamConfig.{name}: must be > 0")
        if self.total_timeout is not None and self.total_timeout <= 0:
            raise ValueError("UpstreamConfig.total_timeout: must be > 0 or None")
        if self.max_connections < 1 or self.max_waiters < 0:
            raise ValueError("UpstreamConfig.max_connections must be >= 1, max_waiters >= 0")
        if self.client_key and not self.client_cert:
            raise ValueError("UpstreamConfig.client_key: given without client_cert")

    @property
    def tls(self) -> bool:
        return self.url.startswith("https:")


@dataclass(frozen=True, slots=True)
class PoolStats:
    """Connections open (idle + in use + being opened), idle, and requests queued for one."""

    open: int
    idle: int
    waiting: int


def ssl_context(config: UpstreamConfig) -> ssl.SSLContext:
    """The client TLS context for an https upstream, built once per pool (at startup, so a bad
    file stops the process instead of failing requests). Errors name the setting."""
    try:
        ctx = ssl.create_default_context(cafile=config.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"UpstreamConfig.ca_file: cannot load {config.ca_file!r}: {exc}") from None
    if config.client_cert:
        try:
            ctx.load_cert_chain(config.client_cert, config.client_key)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(
                f"UpstreamConfig.client_cert: cannot load {config.client_cert!r}: {exc}"
            ) from None
    if config.insecure_skip_verify:
        logger.warning(
            "TLS verification of upstream %s is DISABLED (insecure_skip_verify): "
            "anyone on the path can impersonate it",
            config.url,
        )
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx
