"""What the detector does about a hit: ban in the gate now, record it in the IP set with a TTL.

Escalation (recidive): an actor banned again within ``recidive_window`` gets ``recidive_factor``
times the previous ban, up to ``max_ban_seconds``. Each ban is (1) in the ``BanGate`` at once —
the next request is refused — (2) queued to the control plane's IP set (``ports.IPSetWriter``)
with the same TTL, visible and removable through the WAFv2 API (``ListIPSetTemporaryAddresses``,
``RemoveIPSetAddresses``); removing it there lifts the gate's ban too (``reconcile``), and (3)
written to the audit log. ``on_ban`` callbacks (Redis propagation) hear of every ban.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from wafproxy.control.persist import AuditLog
from wafproxy.ports import GateBlock, IPSetWriter
from wafproxy.sidecars.detector.gate import Ban, BanGate
from wafproxy.sidecars.detector.observation import Hit
from wafproxy.sidecars.detector.policy import RemediationPolicy

log = logging.getLogger("wafproxy.detector")
_HISTORY_MAX = 100000
_PROTECTED_MEMO_MAX = 4096
WHO = "wafproxy-detector"


def _spared_log_level(ip: str) -> int:
    """How loudly to say a never_ban address was spared. Never WARNING: the finding (recorded
    either way: store, hub, outputs) is the alert. Loopback is DEBUG: it is where the assessor's
    own probes and local tools come from, and the demo's first assessment made four INFO lines
    that a first-time user read as an attack. Another never_ban network (an operator's office, a
    scanner they run) stays INFO. Keyed on the client address the WAF resolved (the socket peer,
    or X-Forwarded-For only through a trusted proxy), never on a header or user agent a client
    could forge to hide."""
    try:
        loopback = ipaddress.ip_address(ip).is_loopback
    except ValueError:
        loopback = False
    return logging.DEBUG if loopback else logging.INFO


def cidr_of(key: str) -> str:
    return key if "/" in key else (f"{key}/32" if ":" not in key else f"{key}/128")


class Remediator:
    def __init__(self, policy: RemediationPolicy, gate: BanGate, *, writer: IPSetWriter | None = None,
                 audit: AuditLog | None = None) -> None:
        self.policy = policy
        self.gate = gate
        self.writer = writer if policy.write_ip_set else None
        self.audit = audit or AuditLog(None)
        self._history: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key → (bans, last ban)
        self._queue: list[tuple[str, str, float]] = []  # (ip set, cidr, ttl)
        self._worker: asyncio.Task[None] | None = None
        self.confirmed: dict[str, str] = {}  # gate key → IP set it was written to
        self.on_ban: list[Callable[[Ban], None]] = []
        self.write_errors = 0
        self.bans = 0
        self.spared = 0  # hits on never_ban networks: a finding, no ban
        self._protected: dict[str, bool] = {}  # address → in never_ban (``protected``)
        try:
            self._never_ban = tuple(ipaddress.ip_network(n, strict=False) for n in policy.never_ban)
        except ValueError as exc:
            raise ValueError(f"remediation.never_ban: {exc}") from None

    def protected(self, ip: str) -> bool:
        """Whether ``ip`` is in ``never_ban`` (a handful of networks: a linear test is enough).

        Memoized per address (bounded): a flood from one address is a hit on every request, and
        parsing it with ``ipaddress`` each time cost more than the rest of the detector."""
        if not self._never_ban:
            return False
        known = self._protected.get(ip)
        if known is None:
            try:
                address = ipaddress.ip_address(ip)
            except ValueError:
                known = False
            else:
                known = any(address in network for network in self._never_ban)
            if len(self._protected) >= _PROTECTED_MEMO_MAX:
                self._protected.clear()
            self._protected[ip] = known
        return known

    def duration(self, key: str, now: float) -> float:
        p = self.policy
        bans, last = self._history.get(key, (0, 0.0))
        if bans and now - last > p.recidive_window:
            bans = 0
        seconds = min(p.max_ban_seconds, p.ban_seconds * (p.recidive_factor ** min(bans, 32)))
        self._history[key] = (bans + 1, now)
        self._history.move_to_end(key)
        if len(self._history) > _HISTORY_MAX:
            self._history.popitem(last=False)
        return seconds

    def apply(self, hit: Hit) -> Ban | None:
        """Ban ``hit.ip`` (its actor key: /64 for IPv6) per ``hit.action``; None for ``none``."""
        if hit.action == "none" or hit.dry_run:
            return None
        if self.protected(hit.ip):
            self.spared += 1
            if self.spared & (self.spared - 1) == 0:  # 1st, 2nd, 4th…: bounded log volume
                log.log(_spared_log_level(hit.ip), "detector: %s from %s not banned: remediation.never_ban "
                        "(%d so far)", hit.type, hit.ip, self.spared)
            return None
        key = self.gate.keys.of_ip(hit.ip)
        now = hit.ts
        current = self.gate.current(key, now)
        if current is not None:
            return current  # already banned (a replay, or a request in flight when the ban came)
        if hit.action == "rate_limit":
            seconds = self.policy.rate_limit_seconds
            block = GateBlock(429, hit.type, int(seconds))
        else:
            seconds = self.duration(key, now)
            block = GateBlock(403, hit.type, 0)
        ban = self.gate.ban(hit.ip, now + seconds, block, hit.type, now)
        self.bans += 1
        self.audit.record(WHO, "Ban", cidr_of(key), "ok",
                          f"{hit.type} {hit.action} {int(seconds)}s (scenario {hit.scenario})")
        if hit.action == "block":
            self._enqueue(key, seconds)
        for callback in self.on_ban:
            try:
                callback(ban)
            except Exception:  # noqa: BLE001 — propagation failing must not fail the request
                log.warning("ban propagation failed", exc_info=True)
        return ban

    def adopt(self, ban: Ban) -> None:
        """A ban decided elsewhere (another worker/host, through Redis): in this gate; and in the
        IP set when this process writes to it (the admin process of ``--workers N``)."""
        now = time.time()
        if ban.until <= now or self.gate.current(ban.key, now) is not None:
            return
        self.gate.ban(ban.ip, ban.until, ban.block, ban.finding_type, now)
        if ban.block.status == 403 and self.writer is not None:
            self.audit.record(WHO, "Ban", cidr_of(ban.key), "ok",
                              f"{ban.finding_type} {int(ban.until - now)}s (decided by another worker/host)")
            self._enqueue(ban.key, ban.until - now)

    def _ip_set_for(self, key: str) -> str:
        return self.policy.ip_set_v6 if ":" in key else self.policy.ip_set_v4

    def _enqueue(self, key: str, seconds: float) -> None:
        if self.writer is None:
            return
        self._queue.append((self._ip_set_for(key), cidr_of(key), seconds))
        if self._worker is None or self._worker.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # no loop (offline replay): the gate is all there is
            self._worker = loop.create_task(self._drain(), name="wafproxy-detector-ipset")

    async def _drain(self) -> None:
        """One control-plane change per (IP set, TTL) batch: a burst of bans is one recompile."""
        assert self.writer is not None
        while self._queue:
            batch, self._queue = self._queue, []
            groups: dict[tuple[str, int], list[str]] = {}
            for ip_set, cidr, ttl in batch:
                groups.setdefault((ip_set, max(1, int(ttl))), []).append(cidr)
            for (ip_set, ttl), cidrs in groups.items():
                try:
                    await self.writer.add_addresses(ip_set, sorted(set(cidrs)), float(ttl))
                except Exception as exc:  # noqa: BLE001 — the gate still holds the ban
                    self.write_errors += 1
                    log.warning("detector: could not add %d address(es) to IP set %s: %s",
                                len(cidrs), ip_set, type(exc).__name__)
                    continue
                for cidr in cidrs:
                    self.confirmed[cidr] = ip_set

    async def flush(self) -> None:
        """Wait for queued IP-set writes (tests, shutdown)."""
        if self._worker is not None:
            await self._worker

    def reconcile(self, present: Callable[[str], Iterable[str]]) -> list[str]:
        """After a control-plane change: lift the gate's bans whose IP-set entry an operator removed
        (``present(ip_set)`` lists the set's current temporary entries). Returns the lifted CIDRs."""
        lifted = []
        by_set: dict[str, set[str]] = {}
        for cidr, ip_set in list(self.confirmed.items()):
            if ip_set not in by_set:
                by_set[ip_set] = set(present(ip_set))
            if cidr not in by_set[ip_set]:
                del self.confirmed[cidr]
                key = cidr.removesuffix("/32")
                if self.gate.lift(key):
                    lifted.append(cidr)
                    self.audit.record(WHO, "Unban", cidr, "ok", "entry removed from the IP set")
        return lifted

    def stats(self) -> dict[str, Any]:
        return {"bans": self.bans, "writeErrors": self.write_errors, "pending": len(self._queue)}
