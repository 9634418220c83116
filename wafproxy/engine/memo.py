"""Bounded cross-request memos of header values: a browser sends the same headers every time.

``Host``, ``User-Agent``, ``Cookie`` (per session) and the header order repeat from request to
request, and each costs a transformation chain and a pattern scan per (field, chain). Both are
pure functions of the value, so a memo keyed by the exact value gives the same answer as the
computation — decisions cannot change (``tests/engine/test_memo.py`` compares cold and warm).

Only header-derived fields and the method (a handful of values) are memoised (``MEMO_KINDS``):
query strings and bodies rarely repeat,
and a memo that always misses costs a lookup and an insert per value. Bounds: values longer than
``MAX_CHARS`` are not stored, and a memo holding ``MAX_ENTRIES`` is emptied before the next insert
(so a client sending a new value on every request — by accident or to defeat the memo — gets the
uncached cost plus one dictionary miss, and memory stays bounded). Keys are the values
themselves: ``str`` hashing is randomised per process (SipHash), so colliding keys cannot be
precomputed. Each compiled web ACL has its own memos (attached to its slots and pattern groups);
a reload starts empty. Dictionary reads and writes are atomic under the GIL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

R = TypeVar("R")

MEMO_KINDS = frozenset({"Headers", "SingleHeader", "Cookies", "HeaderOrder", "Method"})
MAX_ENTRIES = 1024
MAX_CHARS = 2048


def memoized(func: Callable[[str], R], memo: dict[str, R]) -> Callable[[str], R]:
    """``func`` with results kept in ``memo`` (bounded as the module says)."""
    get = memo.get

    def cached(value: str) -> R:
        found = get(value)
        if found is None:
            found = func(value)
            if len(value) <= MAX_CHARS:
                if len(memo) >= MAX_ENTRIES:
                    memo.clear()
                memo[value] = found
        return found

    return cached


def memo_for(kind: str) -> dict[str, object] | None:
    """A new, empty memo for a field of ``kind``, or None if that kind is not memoised."""
    return {} if kind in MEMO_KINDS else None
