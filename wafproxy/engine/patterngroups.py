"""Grouping string and regex matches by (field, transformation chain) into one ``PatternSet``.

A request then costs one transformation and one multi-pattern scan per group, however many
ByteMatch / RegexMatch / RegexPatternSetReference statements the ACL holds: each statement only
looks up its pattern ids in the scan result. Identical patterns share one id.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from wafproxy.engine.matchers import Pattern, PatternSet
from wafproxy.engine.memo import memo_for, memoized
from wafproxy.engine.slots import Chain, Slot

__all__ = ["Chain", "PatternGroup", "PatternGroupBuilder", "PatternSetCache"]


@dataclass(frozen=True, slots=True)
class PatternGroup:
    """All patterns inspecting one (field, chain), matched together."""

    slot: Slot
    patterns: tuple[Pattern, ...]  # index == Pattern.id
    pattern_set: PatternSet
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
        groups = []
        for slot, table in zip(self._keys, self._patterns, strict=True):
            patterns = tuple(sorted(table.values(), key=lambda p: p.id))
            pattern_set = cache.get(patterns) if cache is not None else PatternSet.build(patterns)
            groups.append(PatternGroup(slot, patterns, pattern_set))
        return tuple(groups)
