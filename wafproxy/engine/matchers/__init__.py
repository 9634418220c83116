"""Multi-pattern matching: every pattern of one (field, transformation chain) group in one database.

One ``PatternSet`` answers "which of these N patterns match this value?" with one linear-time scan,
so the cost of a request does not grow with the number of ByteMatch / Regex rules on a field.

Engines (chosen once per set, ``engine="auto"`` prefers hyperscan):

* **hyperscan** — all patterns compiled into one block-mode database, ``HS_FLAG_SINGLEMATCH``
  (each id reported once) and ``HS_FLAG_ALLOWEMPTY``.
* **re2** — google-re2 ``Set`` (the portable fallback; also selectable for tests). Large sets are
  split into chunks so no RE2 DFA runs out of memory (RE2 then reports *no* match, silently).

Both are automata: no backtracking, linear in the value whatever the pattern or the input.

Bytes and text. A value is scanned as ``to_bytes(value)`` (the lossless mapping of
``transforms._bytes``). Attacker input may be invalid UTF-8, and hyperscan's UTF-8 mode is
undefined behaviour on invalid UTF-8, so every set has a *byte-mode* database (no UTF-8 flag; RE2
in Latin-1 mode) that is always safe. Literal patterns (the positional constraints) are matched
there, as bytes, as AWS matches them. Regexes are also compiled into a *UTF-8-mode* database
(``HS_FLAG_UTF8``; RE2 UTF-8), scanned instead when the value is valid non-ASCII UTF-8, so that
``.`` and classes see characters as PCRE in UTF mode would; on ASCII both modes agree, and on
invalid UTF-8 a regex sees bytes (``.`` matches one byte). A regex that only makes sense on
characters (``\\x{4e2d}``) is left out of the byte-mode database.

Positional constraints (AWS ByteMatchStatement) become anchored, escaped literals:
EXACTLY ``\\A lit \\z``, STARTS_WITH ``\\A lit``, ENDS_WITH ``lit \\z``, CONTAINS ``lit``, and
CONTAINS_WORD ``(\\A|[^A-Za-z0-9_]) lit ([^A-Za-z0-9_]|\\z)`` — AWS: the string must be preceded and
followed by a character other than an alphanumeric or underscore, or by the value's boundary.

Regex semantics: PCRE syntax without the constructs AWS WAF rejects and no automaton can run in
linear time (backreferences, lookaround, atomic groups, possessive quantifiers, recursion,
conditionals, ``\\C`` ``\\R`` ``\\K``, backtracking verbs) — ``validate_regex`` names the construct.
``$`` keeps its PCRE meaning (end, or before a final newline) on both engines: for RE2 it is
rewritten (``_pattern.pcre_for_re2``, with ``\\s``: PCRE's includes ``\\x0b``), so the fallback
gives the same decisions (tests/engine/test_deferred.py: every corpus case, both engines).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import re2

from wafproxy.engine.transforms import to_bytes

from ._deferred import PendingBuild, defer, defer_hyperscan, deferring, pending_set, take_pending
from ._engines import (
    COMPILE_ERRORS,
    HAVE_HYPERSCAN,
    Backend,
    HyperscanBackend,
    Re2Backend,
    hs_cached,
    hs_databases,
    re2_options,
)
from ._pattern import KINDS, Engine, Kind, Pattern, PatternError, expression, word_expression
from ._pooled import PooledSet, pattern_key
from ._regex import validate_regex

__all__ = [
    "HAVE_HYPERSCAN",
    "KINDS",
    "Engine",
    "Kind",
    "Pattern",
    "PatternError",
    "PatternSet",
    "PendingBuild",
    "PooledSet",
    "defer_hyperscan",
    "pattern_key",
    "take_pending",
    "validate_regex",
]


class PatternSet:
    """Immutable, compiled set of patterns; ``scan`` returns the ids of all that match."""

    __slots__ = ("_bytes", "_ids", "_identity", "_literal", "_utf8", "_words", "engine", "patterns")

    def __init__(
        self,
        patterns: tuple[Pattern, ...],
        engine: Literal["hyperscan", "re2"],
        backends: tuple[Backend | None, Backend | None] | None = None,
    ) -> None:
        self.patterns = patterns
        self.engine = engine
        self._ids = tuple(p.id for p in patterns)
        # Ids equal to positions (what PatternGroupBuilder makes): hits need no mapping.
        self._identity = self._ids == tuple(range(len(patterns)))
        backend = HyperscanBackend if engine == "hyperscan" else Re2Backend
        # Byte mode holds everything; UTF-8 mode holds only the regexes (literals are bytes, as
        # AWS matches them) and is consulted for valid non-ASCII values.
        if backends is None:
            backends = (_build(backend, patterns, utf8=False), _build(backend, patterns, utf8=True))
        self._bytes: Backend | None = backends[0]
        self._literal = frozenset(i for i, p in enumerate(patterns) if p.kind != "regex")
        self._utf8: Backend | None = backends[1]
        # CONTAINS_WORD candidates (the literal occurs) are confirmed by one RE2 search each.
        self._words = {
            i: re2.compile(word_expression(p), re2_options(utf8=False))
            for i, p in enumerate(patterns)
            if p.kind == "contains_word"
        }

    @classmethod
    def build(cls, patterns: Sequence[Pattern], engine: Engine = "auto") -> PatternSet:
        """Validate and compile ``patterns``; raises ``PatternError`` naming the bad one.

        ``auto`` while ``defer_hyperscan`` is on: a set whose hyperscan databases are cached is
        built on them at once; any other is built on RE2 (milliseconds) and queued for
        ``take_pending``, whose build swaps hyperscan in under the running set (``upgrade``).

        A set bound for hyperscan is not test-compiled regex by regex (2,000 compiles, 21 s of
        CPU for the default ACL from an empty cache): its own database compile checks them all,
        and only when that fails are they checked one by one, to name the culprit.
        """
        deferred = engine == "auto" and HAVE_HYPERSCAN and deferring()
        if engine == "auto":
            engine = "hyperscan" if HAVE_HYPERSCAN else "re2"
        for p in patterns:
            if p.kind not in KINDS:
                raise PatternError(f"unknown pattern kind {p.kind!r}")
            if p.kind == "regex":
                validate_regex(p.text, with_hyperscan=engine == "re2")
        patterns = tuple(patterns)
        if deferred:
            queued = pending_set(patterns)
            if isinstance(queued, PatternSet):
                return queued
            ready = _cached_hyperscan(patterns)
            if ready is not None:
                return cls(patterns, "hyperscan", ready)
            built = cls(patterns, "re2")
            defer(built)
            return built
        if engine == "hyperscan":
            if not HAVE_HYPERSCAN:
                raise PatternError("hyperscan is not installed on this platform")
            return cls(patterns, engine, _hyperscan_backends(patterns))
        return cls(patterns, engine)

    def missing_databases(self) -> int:
        """How many hyperscan databases ``upgrade`` would have to compile (not cached): 0 to 4
        (a mode's database may be split in two, ``_guard``)."""
        if self.engine == "hyperscan":
            return 0
        missing = 0
        for utf8 in (False, True):
            entries = _entries(HyperscanBackend, self.patterns, utf8)
            if entries and hs_cached(entries, utf8) is None:
                missing += len(hs_databases(entries, utf8))
        return missing

    def upgrade(self) -> None:
        """Move a set built on RE2 by a deferred build onto hyperscan, in place.

        Compiles (the GIL is released meanwhile), then assigns the two backends; a scan running
        on another thread meanwhile may use one engine for one mode and the other for the other
        mode, which is harmless because the engines decide alike (tests/rules/test_engines_agree.py,
        tests/engine/test_deferred.py). A regex hyperscan refuses (only checked here for deferred
        sets) raises ``PatternError`` naming it, and the set stays on RE2.
        """
        if self.engine == "hyperscan":
            return
        byte_mode, utf8_mode = _hyperscan_backends(self.patterns)
        self._utf8 = utf8_mode
        self._bytes = byte_mode
        self.engine = "hyperscan"

    def __len__(self) -> int:
        return len(self.patterns)

    def scan(self, value: str) -> frozenset[int]:
        """Ids of every pattern matching ``value``; linear time, never raises on any ``str``."""
        if not self._ids:
            return _NONE
        if value.isascii():  # the common case: one byte-mode scan (both modes agree on ASCII)
            data = value.encode("ascii")
            if self._bytes is None:
                return _NONE
            hits = self._bytes.scan(data)
        else:
            data, valid = _utf8_bytes(value)
            if self._utf8 is None or not valid:
                hits = self._bytes.scan(data) if self._bytes is not None else set()
            else:
                hits = self._utf8.scan(data)
                if self._literal and self._bytes is not None:
                    hits |= self._bytes.scan(data) & self._literal
        if not hits:
            return _NONE
        words = self._words
        if words and not hits.isdisjoint(words):
            hits = {i for i in hits if i not in words or words[i].search(data) is not None}
        if self._identity:
            return frozenset(hits)
        ids = self._ids
        return frozenset([ids[i] for i in hits])


_NONE: frozenset[int] = frozenset()


def _utf8_bytes(value: str) -> tuple[bytes, bool]:
    """``to_bytes(value)``, and whether that is valid UTF-8 (no lone surrogate in ``value``), in
    one encode where there is none: a strict encode that succeeds is what ``to_bytes`` gives
    (its error handlers act on surrogates only). A non-ASCII 2 KB body took two walks of
    ~18 k instructions each per scan."""
    try:
        return value.encode("utf-8"), True
    except UnicodeEncodeError:
        return to_bytes(value), False


Entries = list[tuple[int, bytes, bool]]  # (pattern index, expression, caseless)


def _entries(backend: type[Backend], patterns: Iterable[Pattern], utf8: bool) -> Entries:
    entries: Entries = []
    for index, pattern in enumerate(patterns):
        expr = expression(pattern, utf8, for_re2=backend is Re2Backend)
        if expr is not None:
            entries.append((index, expr, pattern.caseless))
    return entries


def _cached_hyperscan(patterns: tuple[Pattern, ...]) -> tuple[Backend | None, Backend | None] | None:
    """Both hyperscan backends of ``patterns`` when neither needs compiling; else None."""
    backends: list[Backend | None] = []
    for utf8 in (False, True):
        entries = _entries(HyperscanBackend, patterns, utf8)
        if not entries:
            backends.append(None)
            continue
        dbs = hs_cached(entries, utf8)
        if dbs is None:
            return None
        backends.append(HyperscanBackend(entries, utf8, dbs))
    return backends[0], backends[1]


def _hyperscan_backends(patterns: tuple[Pattern, ...]) -> tuple[Backend | None, Backend | None]:
    """Both hyperscan databases; a regex hyperscan refuses raises ``PatternError`` naming it."""
    try:
        return _build(HyperscanBackend, patterns, utf8=False), _build(HyperscanBackend, patterns, utf8=True)
    except COMPILE_ERRORS:
        for p in patterns:
            if p.kind == "regex":
                validate_regex(p.text)  # the one-regex test compiles: raises naming the culprit
        raise


def _build(backend: type[Backend], patterns: Iterable[Pattern], utf8: bool) -> Backend | None:
    entries = _entries(backend, patterns, utf8)
    if not entries:
        return None
    try:
        return backend(entries, utf8)
    except COMPILE_ERRORS:
        if utf8:
            raise  # a regex the engine refuses: the caller names it (``_hyperscan_backends``)
    # Byte mode: a regex valid in UTF-8 mode may still not compile on bytes (``\x{4e2d}``); such a
    # regex can only match characters, so it is left out of the byte-mode database and matches
    # valid-UTF-8 values only (the UTF-8-mode database has it).
    kept = [entry for entry in entries if _compiles(backend, entry)]
    return backend(kept, utf8) if kept else None


def _compiles(backend: type[Backend], entry: tuple[int, bytes, bool]) -> bool:
    try:
        backend([entry], False)
    except COMPILE_ERRORS:
        return False
    return True
