"""Temporary IP-set entries: our extension for automatic remediation (documented in
docs/control-plane.md). A sidecar blocks an address for ``ttl`` seconds; when it expires the entry
disappears and the ACL is recompiled without it, so no remediation outlives its reason.

Entries are ``{ip_set: {cidr: expires_at_epoch}}``. The table is capped per IP set at AWS's own
limit of 10,000 addresses (STYLE: every per-key table is capped); adding beyond it is refused.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

MAX_ENTRIES_PER_SET = 10_000  # AWS: at most 10,000 addresses per IP set
MAX_TTL_SECONDS = 366 * 86400


class TempEntriesFull(Exception):
    def __init__(self, ip_set: str) -> None:
        super().__init__(f"{ip_set}: more than {MAX_ENTRIES_PER_SET} temporary entries")
        self.ip_set = ip_set


def normalize_cidr(text: str, version: str | None = None) -> str:
    """``10.0.0.1`` → ``10.0.0.1/32``; raises ValueError for anything else (or the wrong family)."""
    net = ipaddress.ip_network(text.strip(), strict=False)
    if version is not None and net.version != (4 if version == "IPV4" else 6):
        raise ValueError(f"{text} is not an {version} address")
    return str(net)


class TempEntries:
    """Mutable; the control plane changes it under its own lock and persists it after each change."""

    __slots__ = ("_sets",)

    def __init__(self, sets: dict[str, dict[str, float]] | None = None) -> None:
        self._sets: dict[str, dict[str, float]] = sets or {}

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> TempEntries:
        sets: dict[str, dict[str, float]] = {}
        for name, entries in raw.items():
            if isinstance(entries, dict):
                sets[str(name)] = {str(c): float(t) for c, t in entries.items() if isinstance(t, int | float)}
        return cls(sets)

    @classmethod
    def load(cls, path: Path) -> TempEntries:
        """The entries saved in ``path``; none when it does not exist. A damaged file raises
        (``ValueError``, ``OSError``): starting or reloading without it would silently lift every
        temporary block, so the store refuses it, naming the file (it is written atomically, so
        only an outside edit or a failing disk damages it)."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        if not isinstance(raw, dict):
            raise ValueError("expected a JSON object {ip_set: {cidr: expires_at}}")
        return cls.from_json(raw)

    def dump(self) -> bytes:
        return json.dumps(
            {k: dict(sorted(v.items())) for k, v in sorted(self._sets.items()) if v}, sort_keys=True
        ).encode()

    def add(self, ip_set: str, cidrs: Iterable[str], expires_at: float) -> int:
        """Add or extend entries; returns how many were new. Refuses to grow past the cap."""
        table = self._sets.setdefault(ip_set, {})
        cidrs = list(cidrs)
        new = [c for c in cidrs if c not in table]
        if len(table) + len(new) > MAX_ENTRIES_PER_SET:
            raise TempEntriesFull(ip_set)
        for c in cidrs:
            table[c] = max(table.get(c, 0.0), expires_at)
        return len(new)

    def remove(self, ip_set: str, cidrs: Iterable[str]) -> int:
        table = self._sets.get(ip_set, {})
        n = sum(1 for c in cidrs if table.pop(c, None) is not None)
        return n

    def drop_set(self, ip_set: str) -> bool:
        return self._sets.pop(ip_set, None) is not None

    def active(self, ip_set: str, now: float) -> list[str]:
        return sorted(c for c, t in self._sets.get(ip_set, {}).items() if t > now)

    def entries(self, ip_set: str) -> dict[str, float]:
        return dict(self._sets.get(ip_set, {}))

    def expire(self, now: float) -> int:
        """Drop expired entries; returns how many (0: nothing to recompile)."""
        n = 0
        for table in self._sets.values():
            for c in [c for c, t in table.items() if t <= now]:
                del table[c]
                n += 1
        return n

    def next_expiry(self) -> float | None:
        times = [t for table in self._sets.values() for t in table.values()]
        return min(times) if times else None
