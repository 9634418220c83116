"""One group's patterns answered by a shared set that holds a superset of them.

Why: the managed groups apply nearly the same few hundred regexes to the headers, the path, the
query string and the body, each field with the same transformation chain, so the compiler made
one ``PatternSet`` per field holding almost the same patterns. Each is two hyperscan databases of
6-11 MB: the default web ACL kept ~100 MB of databases, most of a worker's RSS. A pool (one set
of the union of those groups' patterns, ``PatternGroupBuilder`` decides which groups share one)
keeps one pair of databases for the lot; each group scans it and keeps the hits of its own
patterns. A pattern's matches do not depend on the other patterns of a database (each is
reported on its own, ``HS_FLAG_SINGLEMATCH`` per pattern; RE2 sets alike), so a group's hits are
exactly those of a set of its own patterns: decisions cannot change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ._pattern import Pattern

_NONE: frozenset[int] = frozenset()


class Scanner(Protocol):
    """What a pool is (a ``PatternSet``; a Protocol to keep this module free of the package)."""

    patterns: tuple[Pattern, ...]
    engine: str

    def scan(self, value: str) -> frozenset[int]: ...


def pattern_key(pattern: Pattern) -> tuple[str, str, bool]:
    """What makes two patterns the same pattern (the id is only the owner's number for it)."""
    return (pattern.kind, pattern.text, pattern.caseless)


class PooledSet:
    """``patterns`` (ids as their group numbers them), matched by scanning ``pool``."""

    __slots__ = ("patterns", "pool", "_own", "_members")

    def __init__(self, patterns: Sequence[Pattern], pool: Scanner) -> None:
        position = {pattern_key(p): i for i, p in enumerate(pool.patterns)}
        self.patterns = tuple(patterns)
        self.pool = pool
        # pool pattern index -> this group's pattern id (the pool's ids are its indexes)
        self._own = {position[pattern_key(p)]: p.id for p in self.patterns}
        self._members = frozenset(self._own)

    @property
    def engine(self) -> str:
        """The pool's engine (it changes when a deferred pool moves onto hyperscan)."""
        return self.pool.engine

    def __len__(self) -> int:
        return len(self.patterns)

    def scan(self, value: str) -> frozenset[int]:
        """Ids of this group's patterns matching ``value`` (the pool's other hits dropped)."""
        hits = self.pool.scan(value)
        if not hits or self._members.isdisjoint(hits):
            return _NONE
        own = self._own
        return frozenset([own[i] for i in hits if i in own])
