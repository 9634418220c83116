"""The two linear-time engines behind a PatternSet: hyperscan and google-re2 ``Set``.

A backend is built from ``(index, expression bytes, caseless)`` entries in one mode (byte or
UTF-8) and answers ``scan(data) -> set of indexes``. Both are automata: no backtracking.
"""

from __future__ import annotations

import functools
import importlib
import threading
from types import ModuleType
from typing import Any, Protocol

import re2

from ._cache import cache_key, cached, lookup
from ._guard import Split, split


def _optional(name: str) -> ModuleType | None:
    """The module, or None where it is not installed. (Not ``try: import``: with the module's type
    unknown, mypy reads that as a redefinition, and the mypyc build type-checks this module.)"""
    try:
        return importlib.import_module(name)
    except ImportError:  # pragma: no cover - depends on the platform
        return None


# hyperscan is a Linux/x86-64 wheel; everywhere else the RE2 fallback is used
hyperscan: ModuleType | None = _optional("hyperscan")

HAVE_HYPERSCAN = hyperscan is not None
_HS_VERSION = (
    str(getattr(hyperscan, "__version__", ""))
    + ":"
    + str(getattr(hyperscan, "HS_VERSION", b"") if hyperscan is not None else "")
)
COMPILE_ERRORS: tuple[type[Exception], ...] = (re2.error,) + (
    (hyperscan.error,) if hyperscan is not None else ()
)

# RE2 DFA memory budget per Set, and patterns per Set: when a Set's DFA runs out of memory RE2
# reports *no match* (silently), so large groups are split into chunks that stay well inside it.
_RE2_MAX_MEM = 64 << 20
_RE2_CHUNK = 200


def re2_options(utf8: bool) -> re2.Options:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _RE2_MAX_MEM
    options.encoding = re2.Options.Encoding.UTF8 if utf8 else re2.Options.Encoding.LATIN1
    return options


HS_BASE = (hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY) if hyperscan is not None else 0


def hs_compile(expressions: list[bytes], flags: list[int], ids: list[int] | None = None) -> Any:
    """Compile a block-mode database, through the cache of ``_cache`` (same inputs, same db).

    The compile itself runs without the GIL (the binding releases it around ``hs_compile``), so
    databases built on other threads compile in parallel while this thread's caller keeps going.
    """
    assert hyperscan is not None
    hs = hyperscan
    idents = ids if ids is not None else list(range(len(expressions)))
    mode = hs.HS_MODE_BLOCK

    def build() -> Any:
        db = hs.Database(mode=mode)
        db.compile(expressions=expressions, ids=idents, elements=len(expressions), flags=flags)
        return db

    key = cache_key(_HS_VERSION, mode, expressions, flags, idents)
    return cached(key, mode, hs, build)


def hs_cached(entries: list[tuple[int, bytes, bool]], utf8: bool) -> tuple[Any, ...] | None:
    """The databases ``HyperscanBackend(entries, utf8)`` would use, when none needs compiling
    (in memory or in the disk cache); else None."""
    assert hyperscan is not None
    found = []
    for expressions, flags, ids in hs_databases(entries, utf8):
        db = lookup(cache_key(_HS_VERSION, hyperscan.HS_MODE_BLOCK, expressions, flags, ids),
                    hyperscan.HS_MODE_BLOCK, hyperscan)
        if db is None:
            return None
        found.append(db)
    return tuple(found)


def hs_databases(
    entries: list[tuple[int, bytes, bool]], utf8: bool
) -> list[tuple[list[bytes], list[int], list[int]]]:
    """The compile inputs of the one database of ``entries``, or of the main and the guarded
    database when ``_guard.split`` splits them (the large pooled sets)."""
    parts = _split(tuple(entries))
    groups = [entries] if parts is None else [parts.main, *parts.guarded]
    return [_hs_inputs(group, utf8) for group in groups]


@functools.lru_cache(maxsize=32)
def _split(entries: tuple[tuple[int, bytes, bool], ...]) -> Split | None:
    """``split``, once per set of entries: a start-up asks for a set's databases several times
    (cached? missing? build), and analysing ~400 regexes takes ~50 ms."""
    return split(list(entries))


def _hs_inputs(
    entries: list[tuple[int, bytes, bool]], utf8: bool
) -> tuple[list[bytes], list[int], list[int]]:
    assert hyperscan is not None
    extra = hyperscan.HS_FLAG_UTF8 if utf8 else 0
    flags = [HS_BASE | extra | (hyperscan.HS_FLAG_CASELESS if caseless else 0) for _, _, caseless in entries]
    return [expr for _, expr, _ in entries], flags, [index for index, _, _ in entries]


class Backend(Protocol):
    def __init__(self, entries: list[tuple[int, bytes, bool]], utf8: bool) -> None: ...

    def scan(self, data: bytes) -> set[int]: ...


class HyperscanBackend:
    """One database, or a main one and guarded ones (``_guard``); a scratch space per thread and
    database (hyperscan scratch must not be shared)."""

    __slots__ = ("_db", "_guarded", "_local", "_prototypes")

    def __init__(
        self, entries: list[tuple[int, bytes, bool]], utf8: bool, dbs: tuple[Any, ...] | None = None
    ) -> None:
        assert hyperscan is not None
        if dbs is None:
            dbs = tuple(hs_compile(*inputs) for inputs in hs_databases(entries, utf8))
        parts = _split(tuple(entries)) if len(dbs) > 1 else None
        self._db = dbs[0]
        # (guard id in the main database's hits, the database it unlocks, its scratch's index)
        self._guarded: tuple[tuple[int, Any, int], ...] = (
            tuple(zip(parts.guard_ids, dbs[1:], range(1, len(dbs)), strict=True)) if parts else ()
        )
        self._prototypes = tuple(hyperscan.Scratch(db) for db in dbs)
        self._local = threading.local()

    @property
    def databases(self) -> tuple[Any, ...]:
        return (self._db, *(db for _, db, _ in self._guarded))

    def scan(self, data: bytes) -> set[int]:
        try:
            scratch = self._local.scratch
        except AttributeError:
            scratch = self._local.scratch = [p.clone() for p in self._prototypes]
        hits: set[int] = set()
        # Positional arguments: the binding parses keywords with PyArg_ParseTupleAndKeywords,
        # which costs more than a small database's whole scan (~0.85 µs of ~1.4 µs measured).
        # Order: data, match_event_handler, flags, context, scratch.
        self._db.scan(data, _collect, 0, hits, scratch[0])
        for guard, db, space in self._guarded:  # empty unless split
            if guard in hits:  # the guarded database may match: scan it too
                hits.discard(guard)
                db.scan(data, _collect, 0, hits, scratch[space])
        return hits


def _collect(index: int, _start: int, _end: int, _flags: int, hits: set[int]) -> None:
    hits.add(index)


class Re2Backend:
    """RE2 ``Set``s of at most ``_RE2_CHUNK`` patterns each (DFA memory stays bounded)."""

    __slots__ = ("_sets",)

    def __init__(self, entries: list[tuple[int, bytes, bool]], utf8: bool) -> None:
        self._sets: list[tuple[re2.Set, list[int]]] = []
        for start in range(0, len(entries), _RE2_CHUNK):
            chunk = entries[start : start + _RE2_CHUNK]
            rset = re2.Set.SearchSet(re2_options(utf8))
            for _, expr, caseless in chunk:
                rset.Add((b"(?i)" if caseless else b"") + expr)
            rset.Compile()
            self._sets.append((rset, [index for index, _, _ in chunk]))

    def scan(self, data: bytes) -> set[int]:
        hits: set[int] = set()
        for rset, indexes in self._sets:
            hits.update(indexes[i] for i in rset.Match(data) or ())  # None: no match
        return hits
