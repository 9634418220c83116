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
# One set per pattern tuple: a second compile of the same ACL (``demo`` compiles it twice, a
# reload) gets the queued set back instead of building its RE2 automata again.
_pending: dict[tuple[Pattern, ...], Upgradable] = {}


def defer_hyperscan(enabled: bool) -> None:
    """Turn deferred hyperscan builds on or off for this process (off by default: a library
    user, a test or ``wafproxy check`` gets hyperscan built before ``PatternSet.build`` returns)."""
    global _deferring
    _deferring = enabled


def deferring() -> bool:
    return _deferring


def defer(pattern_set: Upgradable) -> None:
    with _lock:
        _pending.setdefault(pattern_set.patterns, pattern_set)


def pending_set(patterns: tuple[Pattern, ...]) -> Upgradable | None:
    """The queued set of exactly these patterns, if any (a set is immutable: sharing it is safe)."""
    with _lock:
        return _pending.get(patterns)


@dataclass(frozen=True, slots=True)
class PendingBuild:
    """One queued set and the hyperscan databases its upgrade compiles."""

    pattern_set: Upgradable
    databases: int  # hyperscan databases to compile (for progress: "k of N")

    def run(self) -> None:
        """Compile and swap; blocking, releases the GIL while hyperscan compiles. Raises
        ``PatternError`` (a regex hyperscan refuses) or a hyperscan error; the set stays on RE2."""
        self.pattern_set.upgrade()


def take_pending() -> list[PendingBuild]:
    """Every queued set, the biggest builds first (so parallel workers do not end on one long
    compile); the queue is emptied."""
    with _lock:
        queued = list(_pending.values())
        _pending.clear()
    builds = [PendingBuild(s, s.missing_databases()) for s in queued]
    builds.sort(key=lambda b: (-b.databases, -sum(len(p.text) for p in b.pattern_set.patterns)))
    return builds
