"""Serving on RE2 while hyperscan compiles: the pattern sets a cold start left for later.

Why: from an empty cache the default web ACL needs 31 hyperscan databases, a dozen of them of
~250 large regexes at 4-9 s of CPU each — about 80 s of CPU, plus 21 s of one-regex validation
compiles, so a first ``wafproxy serve`` sat silent for minutes. RE2 ``Set``s of the same patterns
build in under a second for the whole ACL and decide identically (the same byte/UTF-8 modes, ``$``
rewritten to PCRE's meaning; tests/rules/test_engines_agree.py and tests/engine/test_deferred.py
check it on the managed regexes and the shared corpora). So a process that turns this on
(``defer_hyperscan(True)``: ``wafproxy serve`` / ``demo`` do, for their start-up compile) gets every
set whose databases are not cached built on RE2 at once and queued here; ``take_pending`` hands the
queue to whoever runs the compiles (``wafproxy.startup``, on threads: the compile releases the
GIL), and each ``PendingBuild.run`` moves its sets onto hyperscan in place (``PatternSet.upgrade``).
A build that fails leaves its sets on RE2, which still decide correctly, only slower.

Nothing here starts a thread or reads a clock: the engine stays pure; the edge decides when.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from ._pattern import Pattern


class Upgradable(Protocol):
    """What ``PatternSet`` offers a deferred build (a Protocol: no import cycle)."""

    patterns: tuple[Pattern, ...]

    def missing_databases(self) -> int: ...

    def upgrade(self) -> None: ...


_lock = threading.Lock()
_deferring = False
_pending: list[Upgradable] = []


def defer_hyperscan(enabled: bool) -> None:
    """Turn deferred hyperscan builds on or off for this process (off by default: a library
    user, a test or ``wafproxy check`` gets hyperscan built before ``PatternSet.build`` returns)."""
    global _deferring
    _deferring = enabled


def deferring() -> bool:
    return _deferring


def defer(pattern_set: Upgradable) -> None:
    with _lock:
        _pending.append(pattern_set)


@dataclass(frozen=True, slots=True)
class PendingBuild:
    """The sets sharing one pattern tuple (one compile serves all: the second finds the cache)."""

    sets: tuple[Upgradable, ...]
    databases: int  # hyperscan databases to compile (for progress: "k of N")

    def run(self) -> None:
        """Compile and swap; blocking, releases the GIL while hyperscan compiles. Raises
        ``PatternError`` (a regex hyperscan refuses) or a hyperscan error; the sets stay on RE2."""
        for pattern_set in self.sets:
            pattern_set.upgrade()


def take_pending() -> list[PendingBuild]:
    """Every queued set, grouped by pattern tuple, the biggest builds first (so parallel workers
    do not end on one long compile); the queue is emptied."""
    with _lock:
        queued = list(_pending)
        _pending.clear()
    groups: dict[tuple[Pattern, ...], list[Upgradable]] = {}
    for pattern_set in queued:
        groups.setdefault(pattern_set.patterns, []).append(pattern_set)
    builds = [PendingBuild(tuple(sets), sets[0].missing_databases()) for sets in groups.values()]
    builds.sort(key=lambda b: (-b.databases, -sum(len(p.text) for p in b.sets[0].patterns)))
    return builds
