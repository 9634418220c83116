"""Seams between the pure core and the I/O edges, as ``typing.Protocol``s.

The engine and the sidecars depend on these shapes, never on a concrete store or client, so the
embedded default (memory, SQLite, in-process) and the scale-out one (Redis, HTTP) swap freely.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from wafproxy.engine.ratecheck import RateCheck
    from wafproxy.events import RequestEvent


class RateVerdictLike(Protocol):
    """What ``decide`` answers (``stores.memory.RateVerdict``): refuse, and when to retry."""

    @property
    def refused(self) -> bool: ...

    @property
    def retry_after_seconds(self) -> int: ...


@runtime_checkable
class Clock(Protocol):
    """Wall-clock seconds since the epoch (injected so tests and the engine never read time)."""

    def now(self) -> float: ...


class RateStore(Protocol):
    """Synchronous rate counting (in-process memory: ``stores.memory.MemoryRateStore``)."""

    def hit(self, check: RateCheck, now: float) -> bool:
        """Record one request for ``check.key``; True when it is over the limit (refuse it)."""
        ...

    def decide(self, check: RateCheck, now: float) -> RateVerdictLike:
        """``hit`` plus when the key may send again: the 429's ``Retry-After`` (issue 5)."""
        ...

    def limited_keys(self, rule_id: str, now: float) -> list[str]:
        """Keys whose next request would be refused (GetRateBasedStatementManagedKeys)."""
        ...

    def forget_rules(self, keep: Iterable[str]) -> None:
        """After a reload: drop the counters of every rule id not in ``keep``."""
        ...


class AsyncRateStore(Protocol):
    """Rate counting shared across processes or hosts (``stores.redis.RedisRateStore``)."""

    async def hit(self, check: RateCheck, now: float) -> bool: ...

    async def decide(self, check: RateCheck, now: float) -> RateVerdictLike: ...

    async def limited_keys(self, rule_id: str, now: float) -> list[str]: ...

    def forget_rules(self, keep: Iterable[str]) -> None: ...


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


GATE_RULE_ID = "wafproxy_ThreatDetector"  # terminating rule id of a request a gate refused


@dataclass(frozen=True, slots=True)
class GateBlock:
    """A gate's refusal of a client: answer ``status`` (403 block, 429 rate limit), ``Retry-After``
    ``retry_after`` seconds; ``reason`` names why (a finding type), for the event and the log."""

    status: int
    reason: str
    retry_after: int = 0


class RequestGate(Protocol):
    """Consulted by the data path before the engine, once per request: an in-memory O(1) lookup
    (the threat detector's bans), so a client banned by the previous request is refused now."""

    def verdict(self, client_ip: str, now: float) -> GateBlock | None: ...
