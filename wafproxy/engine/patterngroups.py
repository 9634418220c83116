"""Grouping string and regex matches by (field, transformation chain) into one ``PatternSet``.

A request then costs one transformation and one multi-pattern scan per group, however many
ByteMatch / RegexMatch / RegexPatternSetReference statements the ACL holds: each statement only
looks up its pattern ids in the scan result. Identical patterns share one id.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from wafproxy.engine.matchers import Pattern, PatternSet, PooledSet, pattern_key
from wafproxy.engine.memo import memo_for, memoized
from wafproxy.engine.slots import Chain, Slot

__all__ = ["Chain", "PatternGroup", "PatternGroupBuilder", "PatternSetCache"]


@dataclass(frozen=True, slots=True)
class PatternGroup:
    """All patterns inspecting one (field, chain), matched together."""

    slot: Slot
    patterns: tuple[Pattern, ...]  # index == Pattern.id
    pattern_set: PatternSet | PooledSet  # pooled: shared with other groups of the same chain
    # The scan of "" (a missing body, a header without a base64 token after BASE64_DECODE_EMBEDDED
    # …), done once here: a scan is a pure function of the value, so requests look it up.
    empty_hits: frozenset[int] = frozenset()
    # ``pattern_set.scan``, bound once (the evaluator calls it per value); for header fields
    # through a bounded memo of recent values (``engine.memo``), kept in ``memo``.
    scan_value: Callable[[str], frozenset[int]] = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    memo: dict[str, frozenset[int]] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "empty_hits", frozenset(self.pattern_set.scan("")))
        memo = memo_for(self.slot.field.kind)
        object.__setattr__(self, "memo", memo)
        scan = self.pattern_set.scan
        object.__setattr__(self, "scan_value", memoized(scan, memo) if memo is not None else scan)


class PatternSetCache:
    """Compiled ``PatternSet``s kept across compilations, owned by the caller (e.g. the reloader).

    Building a multi-regex database can take seconds per group (large managed regexes); a reload
    that only changed an IP set must not pay that again. Keyed by the exact pattern tuple, so a
    hit is always the same automaton; least-recently-used entries beyond ``max_entries`` go.
    Not thread-safe: one compilation at a time per cache.
    """

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._sets: OrderedDict[tuple[Pattern, ...], PatternSet] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._sets)

    def get(self, patterns: tuple[Pattern, ...]) -> PatternSet:
        found = self._sets.get(patterns)
        if found is not None:
            self._sets.move_to_end(patterns)
            self.hits += 1
            return found
        self.misses += 1
        built = PatternSet.build(patterns)
        self._sets[patterns] = built
        while len(self._sets) > self.max_entries:
            self._sets.popitem(last=False)
        return built


class PatternGroupBuilder:
    """Collects patterns during compilation; ``build`` compiles each group once."""

    def __init__(self) -> None:
        self._groups: dict[Slot, int] = {}
        self._patterns: list[dict[tuple[str, str, bool], Pattern]] = []
        self._keys: list[Slot] = []

    def add(self, slot: Slot, kind: str, text: str, caseless: bool = False) -> tuple[int, int]:
        """Register a pattern; returns (group index, pattern id)."""
        key = slot
        gidx = self._groups.get(key)
        if gidx is None:
            gidx = len(self._keys)
            self._groups[key] = gidx
            self._keys.append(key)
            self._patterns.append({})
        table = self._patterns[gidx]
        pkey = (kind, text, caseless)
        pattern = table.get(pkey)
        if pattern is None:
            pattern = Pattern(id=len(table), kind=kind, text=text, caseless=caseless)  # type: ignore[arg-type]
            table[pkey] = pattern
        return gidx, pattern.id

    def build(self, cache: PatternSetCache | None = None) -> tuple[PatternGroup, ...]:
        if not self._keys:
            return ()
        get = cache.get if cache is not None else PatternSet.build
        tables = [tuple(sorted(table.values(), key=lambda p: p.id)) for table in self._patterns]
        pools: dict[int, PatternSet] = {}
        for union, members in _pools(self._keys, tables):
            pools.update(dict.fromkeys(members, get(union)))
        groups = []
        for gidx, (slot, patterns) in enumerate(zip(self._keys, tables, strict=True)):
            pool = pools.get(gidx)
            pattern_set = get(patterns) if pool is None else PooledSet(patterns, pool)
            groups.append(PatternGroup(slot, patterns, pattern_set))
        return tuple(groups)


#: A group joins a pool only with this many patterns (smaller databases are small: a pool would
#: only make their scans dearer) and when the pool's union is at most ``POOL_GROWTH`` × its
#: largest member (a scan then does almost no work for another group).
POOL_MIN_PATTERNS = 32
POOL_GROWTH = 1.25


def _pools(
    slots: list[Slot], tables: list[tuple[Pattern, ...]]
) -> list[tuple[tuple[Pattern, ...], tuple[int, ...]]]:
    """(union of patterns, member group indexes) per pool: large groups of the same
    transformation chain whose patterns nearly coincide (``matchers._pooled`` says why)."""
    by_chain: dict[Chain, list[int]] = {}
    for gidx, (slot, patterns) in enumerate(zip(slots, tables, strict=True)):
        if len(patterns) >= POOL_MIN_PATTERNS:
            by_chain.setdefault(slot.chain, []).append(gidx)
    pools = []
    for members in by_chain.values():
        if len({tables[g] for g in members}) < 2:
            continue  # one distinct pattern tuple: the PatternSet cache already shares it
        union: dict[tuple[str, str, bool], None] = {}
        for gidx in members:
            union.update(dict.fromkeys(pattern_key(p) for p in tables[gidx]))
        if len(union) > POOL_GROWTH * max(len(tables[g]) for g in members):
            continue
        patterns = tuple(Pattern(i, kind, text, caseless) for i, (kind, text, caseless) in enumerate(union))  # type: ignore[arg-type]
        pools.append((patterns, tuple(members)))
    return pools
