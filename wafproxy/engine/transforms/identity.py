"""Which transformation chains cannot change a given value: the per-request fast path.

Most benign values carry none of the characters a decoder acts on (``%`` for URL_DECODE, ``&``
for HTML_ENTITY_DECODE, ``\\`` for UNICODE_ESCAPE_DECODE, NUL for REMOVE_NULLS, non-ASCII for
NFKC_NORMALIZE, …). For such a value the whole chain is the identity, so the evaluator keeps the
value as it is instead of calling each step: if no step's trigger occurs in the value, the first
step returns it unchanged, so the second sees the same value, and so on.

A transformation is listed here only with its trigger characters; one not listed (CMD_LINE,
BASE64_DECODE_EMBEDDED, …) makes the chain unguarded and it always runs. The property test in
``tests/engine/test_identity.py`` checks every entry against the registered function, so a
change to a transformation that breaks its entry fails a test instead of a decision.
"""

from __future__ import annotations

import string
from collections.abc import Callable

__all__ = ["UNCHANGED_UNLESS", "unchanged_chars", "unchanged_guard"]

_UPPER = string.ascii_uppercase
_WS = " \t\n\r\x0b\x0c"

#: name -> (characters whose presence may make it change the value, changes any non-ASCII value)
UNCHANGED_UNLESS: dict[str, tuple[str, bool]] = {
    "NONE": ("", False),
    "URL_DECODE": ("%+", False),
    "URL_DECODE_UNI": ("%+", False),
    "HTML_ENTITY_DECODE": ("&", False),
    "UNICODE_ESCAPE_DECODE": ("\\", False),
    "NFKC_NORMALIZE": ("", True),
    "UTF8_TO_UNICODE": ("", True),
    "REMOVE_NULLS": ("\x00", False),
    "REPLACE_NULLS": ("\x00", False),
    "LOWERCASE": (_UPPER, False),
    "REMOVE_WHITESPACE": (_WS, True),
    "COMPRESS_WHITE_SPACE": (_WS, True),
    "TRIM": (_WS, True),
    "TRIM_LEFT": (_WS, True),
    "TRIM_RIGHT": (_WS, True),
}

Guard = Callable[[str], bool]


def unchanged_guard(chain: tuple[str, ...]) -> Guard | None:
    """A predicate true only for values ``chain`` returns unchanged; None when no step is known.

    Each trigger character is one ``str.__contains__`` (a C ``memchr``-style search), all of
    A-Z together one ``bytes.lower`` comparison: a ``re`` character class costs ~65 machine
    instructions per character of the value (a 2 KB body: ~100,000), these a few thousand in all.
    ``tests/engine/test_identity.py`` compares it with the plain character-class definition.
    """
    chars = unchanged_chars(chain)
    if chars is None:
        return None
    triggers, ascii_only = chars
    upper = triggers >= set(_UPPER)  # LOWERCASE: any A-Z
    rest = tuple(sorted(triggers - set(_UPPER) if upper else triggers))
    if not rest and not upper:
        return str.isascii if ascii_only else _always

    def guard(value: str) -> bool:
        if ascii_only and not value.isascii():
            return False
        for char in rest:
            if char in value:
                return False
        if upper:
            # bytes.lower changes exactly A-Z; UTF-8 bytes of other characters are >= 0x80
            data = value.encode("ascii") if value.isascii() else value.encode("utf-8", "surrogatepass")
            if data.lower() != data:
                return False
        return True

    return guard


def unchanged_chars(chain: tuple[str, ...]) -> tuple[frozenset[str], bool] | None:
    """``unchanged_guard(chain)`` as data: (trigger characters, A-Z included for LOWERCASE; whether
    any non-ASCII character triggers), None when it has no guard. For short values one C call,
    ``triggers.isdisjoint(value) and (value.isascii() or not ascii_only)``, decides what the guard
    decides without a Python frame (A-Z: the guard's ``bytes.lower`` changes exactly those)."""
    if not chain:
        return None
    triggers: set[str] = set()
    ascii_only = False
    for name in chain:
        known = UNCHANGED_UNLESS.get(name)
        if known is None:
            return None
        triggers.update(known[0])
        ascii_only = ascii_only or known[1]
    return frozenset(triggers), ascii_only


def _always(value: str) -> bool:
    return True
