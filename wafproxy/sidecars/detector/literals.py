"""``LiteralSet``: does a text contain any of a list of literals — one linear-time scan.

Sensitive paths and scanner tokens are a few dozen literals checked on every request; a Python
loop over them costs ~1.2 µs a request, one hyperscan block scan ~0.3 µs (measured, see
load_tests/RESULTS-detector.md). Without hyperscan (not x86-64 Linux) the loop is the fallback.
Literals are escaped, never compiled as patterns: no backtracking, no attacker-chosen regex.
"""

from __future__ import annotations

from collections.abc import Sequence

try:
    import hyperscan  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - other platforms
    hyperscan = None  # type: ignore[assignment]


def _escape(literal: str) -> bytes:
    return b"".join(b"\\x%02x" % b for b in literal.encode("utf-8"))


class LiteralSet:
    __slots__ = ("literals", "_db", "_found")

    def __init__(self, literals: Sequence[str]) -> None:
        self.literals = tuple(dict.fromkeys(x for x in literals if x))
        self._db = None
        self._found = False
        if hyperscan is not None and self.literals:
            db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            n = len(self.literals)
            db.compile(expressions=[_escape(x) for x in self.literals], ids=list(range(n)), elements=n,
                       flags=[hyperscan.HS_FLAG_SINGLEMATCH] * n)
            self._db = db

    def _on_match(self, *_: object) -> bool:
        self._found = True
        return True  # stop at the first match

    def search(self, text: str) -> bool:
        if self._db is None:
            for literal in self.literals:
                if literal in text:
                    return True
            return False
        self._found = False
        try:
            self._db.scan(text.encode("utf-8", "surrogateescape"), match_event_handler=self._on_match)
        except hyperscan.ScanTerminated:
            return True  # the handler stopped the scan at the first match
        return self._found

    def first(self, text: str) -> str | None:
        """The first literal found (evidence; off the hot path)."""
        for literal in self.literals:
            if literal in text:
                return literal
        return None
