"""Automatic flood mitigation (issue 5): a learned baseline, and temporary rate rules for
the keys (client address or header signature) that a flood second shows to be offending.

``ShieldMiddleware(app, flood=FloodGuard(FloodSettings(...)))`` asks ``FloodGuard.check`` once per
request, before the WAF evaluates it. Rules are derived only when replaying them over the recent
benign traffic would refuse almost none of it, run in Count mode first, and expire (see
docs/ratelimit.md). Every table here is capped.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import Counter, deque
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Scope = MutableMapping[str, Any]

logger = logging.getLogger("wafproxy.shield")


@dataclass(frozen=True, slots=True)
class FloodSettings:
    """When traffic counts as a flood, who is offending, and what the derived rules look like.

    A second is a flood when its requests exceed ``flood_factor`` x the learned baseline (EWMA of
    requests per second outside floods) and ``min_flood_rps``. In a flood, a key (client IP, or
    header signature) is offending when its requests that second reach ``min_source_rps`` and
    exceed ``source_factor`` x the busiest single key of its kind in the recent baseline.
    """

    flood_factor: float = 5.0
    min_flood_rps: int = 50
    source_factor: float = 5.0
    min_source_rps: int = 10
    baseline_seconds: int = 60
    warmup_seconds: int = 10
    count_seconds: float = 2.0
    window_seconds: int = 5
    margin: float = 2.0
    max_collateral: float = 0.001
    ttl_seconds: float = 300.0
    max_rules: int = 1000
    max_keys_per_second: int = 50_000


@dataclass(slots=True)
class FloodRule:
    """A temporary rate-based rule for one offending key: Count mode until ``enforce_at``, then
    Block while the key's requests (refused ones included, like AWS rate-based rules) in the last
    ``window_seconds`` exceed ``limit``; gone at ``expires_at``."""

    kind: str  # "ip" or "signature"
    key: str
    limit: int
    window_seconds: int
    enforce_at: float
    expires_at: float
    seconds: dict[int, int] = field(default_factory=dict)
    counted: int = 0  # would have refused, in Count mode
    refused: int = 0

    def observe(self, now: float) -> bool:
        second = int(now)
        self.seconds[second] = self.seconds.get(second, 0) + 1
        for old in [s for s in self.seconds if s <= second - self.window_seconds]:
            del self.seconds[old]
        if sum(self.seconds.values()) <= self.limit:
            return False
        if now < self.enforce_at:
            self.counted += 1
            return False
        self.refused += 1
        if self.refused == 1:
            logger.warning(
                "flood rule enforcing: %s %s limit %d/%ds (counted %d in Count mode)",
                self.kind,
                self.key,
                self.limit,
                self.window_seconds,
                self.counted,
            )
        return True


def header_signature(scope: Scope) -> str:
    """What a flood tool keeps while rotating addresses: header names in order and User-Agent."""
    return signature_of(scope.get("headers", ()))


def signature_of(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """``header_signature`` of a header list (lower-case names)."""
    digest = hashlib.blake2b(digest_size=8)
    for name, value in headers:
        digest.update(name + b"\n")
        if name == b"user-agent":
            digest.update(value + b"\n")
    return digest.hexdigest()


HISTORY_KEYS = 1000
"""Heaviest keys kept per baseline second for replaying candidate rules (Count mode on history)."""


@dataclass(frozen=True, slots=True)
class _Second:
    """One baseline second: its total, the busiest key of each kind, and the heavy keys."""

    second: int
    total: int
    ceiling_ip: int
    ceiling_signature: int
    heavy: dict[tuple[str, str], int]


class FloodGuard:
    """Learns a per-second baseline; in a flood, derives ``FloodRule``s for offending keys,
    checks each against the recent benign traffic (it must refuse at most ``max_collateral``
    of it), counts, then enforces until its TTL. Signature rules spare sources seen before the
    flood, and are derived only when offending IPs do not explain most of the excess.
    ``events`` counts what happened; every rule is logged when counting, enforcing and expiring.
    """

    def __init__(self, settings: FloodSettings | None = None) -> None:
        self.settings = settings or FloodSettings()
        self.rules: dict[tuple[str, str], FloodRule] = {}
        self.events: Counter[str] = Counter()
        self._second: int | None = None
        self._counts: Counter[tuple[str, str]] = Counter()
        self._history: deque[_Second] = deque(maxlen=self.settings.baseline_seconds)
        self._baseline: float | None = None
        self._known: dict[str, int] = {}  # client keys seen outside floods (capped)

    def check(self, ip: str, signature: str, now: float) -> FloodRule | None:
        """Count one request; the rule refusing it, if any."""
        second = int(now)
        if self._second is None:
            self._second = second
        elif second > self._second:
            self._close(second, now)
        refusing = None
        for kind, key in (("ip", ip), ("signature", signature)):
            rule = self.rules.get((kind, key))
            if rule is None or (kind == "signature" and ip in self._known):
                continue
            if rule.observe(now) and refusing is None:
                refusing = rule
        if refusing is None and (
            len(self._counts) < self.settings.max_keys_per_second or ("ip", ip) in self._counts
        ):
            self._counts["ip", ip] += 1
            self._counts["signature", signature] += 1
        return refusing

    def _close(self, second: int, now: float) -> None:
        s, counts, closing = self.settings, self._counts, self._second
        assert closing is not None
        self._counts, self._second = Counter(), second
        for key, rule in list(self.rules.items()):
            if rule.expires_at <= now:
                del self.rules[key]
                self.events["rule_expired"] += 1
                logger.warning("flood rule expired: %s %s (refused %d)", rule.kind, rule.key, rule.refused)
        total = sum(c for (kind, _), c in counts.items() if kind == "ip")
        baseline = self._baseline
        warm = baseline is not None and len(self._history) >= s.warmup_seconds
        if warm and total >= s.min_flood_rps and total > s.flood_factor * (baseline or 0.0):
            self.events["flood_seconds"] += 1
            self._derive(counts, total - (baseline or 0.0), now)
            return
        self._learn(closing, counts, total)
        for empty in range(max(closing + 1, second - s.baseline_seconds), second):
            self._learn(empty, Counter(), 0)  # quiet seconds are part of the baseline too

    def _learn(self, second: int, counts: Counter[tuple[str, str]], total: int) -> None:
        s = self.settings
        ceiling = {"ip": 0, "signature": 0}
        for (kind, key), c in counts.items():
            ceiling[kind] = max(ceiling[kind], c)
            if kind == "ip":
                self._known.pop(key, None)
                self._known[key] = second
        while len(self._known) > s.max_keys_per_second:
            del self._known[next(iter(self._known))]
        # Keep only keys a derived rule could ever refuse (a rule's limit is >= min_source_rps per
        # window), and at most the heaviest HISTORY_KEYS: the history stays bounded.
        floor = math.ceil(s.min_source_rps / s.window_seconds)
        heavy = dict(counts.most_common(HISTORY_KEYS))
        heavy = {k: c for k, c in heavy.items() if c >= floor}
        self._history.append(_Second(second, total, ceiling["ip"], ceiling["signature"], heavy))
        self._baseline = total if self._baseline is None else 0.9 * self._baseline + 0.1 * total

    def _derive(self, counts: Counter[tuple[str, str]], excess: float, now: float) -> None:
        s = self.settings
        ceiling = {
            "ip": max([1, *(past.ceiling_ip for past in self._history)]),
            "signature": max([1, *(past.ceiling_signature for past in self._history)]),
        }
        explained = 0.0
        for kind in ("ip", "signature"):
            if kind == "signature" and explained >= excess / 2:
                break  # offending addresses explain the flood: leave shared signatures alone
            for (k, key), c in counts.items():
                if k == kind and c >= s.min_source_rps and c > s.source_factor * ceiling[kind]:
                    explained += c - ceiling[kind]
                    if (kind, key) not in self.rules:
                        self._propose(kind, key, ceiling[kind], now)

    def _propose(self, kind: str, key: str, ceiling: int, now: float) -> None:
        s = self.settings
        if len(self.rules) >= s.max_rules:
            self.events["rule_table_full"] += 1
            return
        limit = max(s.min_source_rps, math.ceil(s.margin * ceiling * s.window_seconds))
        collateral = self._replay(kind, key, limit)
        if collateral > s.max_collateral:
            self.events["rule_rejected"] += 1
            logger.warning(
                "flood rule rejected: %s %s would refuse %.3f%% of recent benign traffic",
                kind,
                key,
                100 * collateral,
            )
            return
        self.rules[kind, key] = FloodRule(
            kind, key, limit, s.window_seconds, now + s.count_seconds, now + s.ttl_seconds
        )
        self.events["rule_counting"] += 1
        logger.warning(
            "flood rule counting: %s %s limit %d/%ds, enforcing in %.0fs, TTL %.0fs",
            kind,
            key,
            limit,
            s.window_seconds,
            s.count_seconds,
            s.ttl_seconds,
        )

    def _replay(self, kind: str, key: str, limit: int) -> float:
        """Share of the recent benign requests the rule would have refused (Count mode on history)."""
        window: deque[tuple[int, int]] = deque()
        in_window = refused = total = 0
        for past in self._history:
            total += past.total
            second = past.second
            while window and window[0][0] <= second - self.settings.window_seconds:
                in_window -= window.popleft()[1]
            x = past.heavy.get((kind, key), 0)
            refused += max(0, min(x, in_window + x - limit))
            in_window += x
            window.append((second, x))
        return refused / total if total else 0.0
