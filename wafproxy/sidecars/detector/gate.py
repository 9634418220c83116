"""``BanGate``: the synchronous gate the data path consults before the engine (``ports.RequestGate``).

A ban must hold from the very next request, in this process, at once: an IP-set change through the
control plane recompiles the web ACL (tens to hundreds of milliseconds, measured in
load_tests/RESULTS-detector.md), so the data path asks this table first — one dict lookup, and
nothing at all while no one is banned. The control plane's IP set gets the same ban with a TTL for
visibility and reversal (``remediation``); other workers/hosts learn it through Redis
(``redis_bans``). Bounded by ``max_bans``: when full, expired entries go first, then the entry
that would expire soonest (the first banned among equals). A heap of expiry times finds them
without walking the table: a walk of 100,000 bans on every new ban of a flood of addresses
stalled the event loop for tens of milliseconds per ban.

``count`` (read on every /metrics scrape) does not walk the table either: ``_untils`` is the
sorted multiset of the table's expiry times, kept with every change to the table, so the bans
holding at ``now`` are the table's size less those at or before ``now`` (a bisection). Bans past
their time stay in the table as before (``lift`` of one answers True), and any ``now``, earlier
or later than the last, is answered exactly. A heap consumed by ``count`` was tried: the scrape
after a flood's bans all expired together would pop all of them at once.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from itertools import count

from sortedcontainers import SortedList  # type: ignore[import-untyped]

from wafproxy.ports import GateBlock
from wafproxy.sidecars.detector.actors import ActorKeys


@dataclass(slots=True)
class Ban:
    key: str
    until: float
    block: GateBlock
    finding_type: str
    ip: str
    order: int = 0  # when its key entered the gate (ties of ``until``: the first banned goes first)


def _sortable(until: float) -> float:
    """``until`` as ``_untils`` holds it: a NaN (a malformed ban from Redis) never holds, as the
    walk's ``until > now`` said, and must not break the order: it sorts first."""
    return until if until == until else float("-inf")


class BanGate:
    def __init__(self, max_bans: int = 100000, keys: ActorKeys | None = None) -> None:
        self.max_bans = max_bans
        self.keys = keys or ActorKeys()
        self._bans: dict[str, Ban] = {}
        # (until, order, key) of every ban set; entries of bans lifted, expired or extended since
        # are stale and skipped (a ban is current when its until and order still match).
        self._expiry: list[tuple[float, int, str]] = []
        self._orders = count()
        self._untils: SortedList = SortedList()  # the ``until`` of every ban in the table
        self.refused = 0  # requests answered by the gate (wafproxy_detector_requests_refused)

    def verdict(self, client_ip: str, now: float) -> GateBlock | None:
        bans = self._bans
        if not bans:
            return None
        ban = bans.get(client_ip if ":" not in client_ip else self.keys.of_ip(client_ip))
        if ban is None:
            return None
        if ban.until <= now:
            del bans[ban.key]
            self._untils.remove(_sortable(ban.until))
            return None
        self.refused += 1
        remaining = int(ban.until - now) + 1
        block = ban.block
        return GateBlock(block.status, block.reason, remaining) if block.status == 429 else block

    def ban(self, ip: str, until: float, block: GateBlock, finding_type: str, now: float) -> Ban:
        key = self.keys.of_ip(ip)
        existing = self._bans.get(key)
        if existing is not None and existing.until >= until:
            return existing
        if existing is None and len(self._bans) >= self.max_bans:
            self._make_room(now)
        order = existing.order if existing is not None else next(self._orders)  # its place in the table
        ban = self._bans[key] = Ban(key, until, block, finding_type, ip, order)
        if existing is not None:
            self._untils.remove(_sortable(existing.until))
        self._untils.add(_sortable(until))
        expiry = self._expiry
        heapq.heappush(expiry, (until, order, key))
        if len(expiry) > 2 * len(self._bans) + 64:  # stale entries: rebuilt, O(1) per ban amortized
            self._expiry = [(b.until, b.order, k) for k, b in self._bans.items()]
            heapq.heapify(self._expiry)
        return ban

    def current(self, key: str, now: float) -> Ban | None:
        ban = self._bans.get(key)
        return ban if ban is not None and ban.until > now else None

    def lift(self, ip_or_key: str) -> bool:
        key = self.keys.of_ip(ip_or_key.removesuffix("/32")) if not ip_or_key.endswith("/64") else ip_or_key
        ban = self._bans.pop(key, None)
        if ban is None:
            return False
        self._untils.remove(_sortable(ban.until))
        return True

    def _make_room(self, now: float) -> None:
        """Drop every expired ban, then (still full) the one expiring soonest."""
        bans, expiry = self._bans, self._expiry
        while expiry:
            until, order, key = expiry[0]
            ban = bans.get(key)
            if ban is None or ban.until != until or ban.order != order:
                heapq.heappop(expiry)  # stale
            elif until <= now:
                heapq.heappop(expiry)
                del bans[key]
                self._untils.remove(_sortable(until))
            else:
                break
        if len(bans) >= self.max_bans and expiry:
            until, _, key = heapq.heappop(expiry)
            del bans[key]
            self._untils.remove(_sortable(until))

    def active(self, now: float) -> list[Ban]:
        return [b for b in self._bans.values() if b.until > now]

    def count(self, now: float) -> int:
        """How many bans hold at ``now`` (``until > now``): O(log n), no walk of the table."""
        return len(self._bans) - self._untils.bisect_right(now)
