"""Seams between the pure core and the I/O edges, as ``typing.Protocol``s.

The engine and the sidecars depend on these shapes, never on a concrete store or client, so the
embedded default (memory, SQLite, in-process) and the scale-out one (Redis, HTTP) swap freely.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from wafproxy.engine.ratecheck import RateCheck
    from wafproxy.events import RequestEvent


@runtime_checkable
class Clock(Protocol):
    """Wall-clock seconds since the epoch (injected so tests and the engine never read time)."""

    def now(self) -> float: ...


class RateStore(Protocol):
    """Synchronous rate counting (in-process memory)."""

    def hit(self, check: RateCheck, now: float) -> bool:
        """Record one request for ``check.key``; True when it is over the limit (refuse it)."""
        ...


class AsyncRateStore(Protocol):
    """Rate counting shared across processes or hosts (Redis)."""

    async def hit(self, check: RateCheck, now: float) -> bool: ...


class EventSink(Protocol):
    """Receives one event per request. Must not block: drop and count rather than wait."""

    def emit(self, event: RequestEvent) -> None: ...


class IPSetWriter(Protocol):
    """How a sidecar changes an IP set (e.g. GuardDuty remediation), reversibly and with a TTL."""

    async def add_addresses(self, ip_set: str, cidrs: list[str], ttl_seconds: float | None) -> None: ...

    async def remove_addresses(self, ip_set: str, cidrs: list[str]) -> None: ...


class KeyProvider(Protocol):
    """Envelope encryption keys (our KMS): a fresh data key, and unwrapping a stored one."""

    async def generate_data_key(self, key_id: str, context: dict[str, str]) -> tuple[bytes, bytes]:
        """Returns (plaintext data key, wrapped data key)."""
        ...

    async def decrypt_data_key(self, wrapped: bytes, context: dict[str, str]) -> bytes: ...


class FindingSink(Protocol):
    """Where detectors and assessors put findings (the findings hub)."""

    async def put_findings(self, findings: list[dict[str, object]]) -> None: ...
