"""Grouping string and regex matches by (field, transformation chain) into one ``PatternSet``.

A request then costs one transformation and one multi-pattern scan per group, however many
ByteMatch / RegexMatch / RegexPatternSetReference statements the ACL holds: each statement only
looks up its pattern ids in the scan result. Identical patterns share one id.
"""

from __future__ import annotations

from dataclasses import dataclass

from wafproxy.engine.matchers import Pattern, PatternSet
from wafproxy.engine.slots import Chain, Slot

__all__ = ["Chain", "PatternGroup", "PatternGroupBuilder"]


@dataclass(frozen=True, slots=True)
class PatternGroup:
    """All patterns inspecting one (field, chain), matched together."""

    slot: Slot
    patterns: tuple[Pattern, ...]  # index == Pattern.id
    pattern_set: PatternSet


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

    def build(self) -> tuple[PatternGroup, ...]:
        if not self._keys:
            return ()
        groups = []
        for slot, table in zip(self._keys, self._patterns, strict=True):
            patterns = tuple(sorted(table.values(), key=lambda p: p.id))
            groups.append(PatternGroup(slot, patterns, PatternSet.build(patterns)))
        return tuple(groups)
