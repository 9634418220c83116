"""A pattern, its compile error, and its expression for the engines.

Positional constraints (AWS ByteMatchStatement) become anchored, escaped byte literals:
EXACTLY ``\\A lit \\z``, STARTS_WITH ``\\A lit``, ENDS_WITH ``lit \\z``, CONTAINS ``lit``, and
CONTAINS_WORD ``(\\A|[^A-Za-z0-9_]) lit ([^A-Za-z0-9_]|\\z)`` — AWS: the string must be preceded
and followed by a character other than an alphanumeric or underscore, or by the value's boundary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from wafproxy.engine.transforms import to_bytes

Kind = Literal["regex", "exactly", "starts_with", "ends_with", "contains", "contains_word"]
Engine = Literal["auto", "hyperscan", "re2"]
KINDS: frozenset[str] = frozenset(
    ("regex", "exactly", "starts_with", "ends_with", "contains", "contains_word")
)


@dataclass(frozen=True, slots=True)
class Pattern:
    """One pattern of a set; ``id`` is the caller's (e.g. the index of its rule); ids may repeat."""

    id: int
    kind: Kind
    text: str
    caseless: bool = False


class PatternError(ValueError):
    """A pattern that cannot be compiled, with the reason (and the pattern, for the message).

    The compiler re-raises it with the path of the offending field
    (``...RegexMatchStatement.RegexString``); ``path`` is empty until then.
    """

    def __init__(self, reason: str, pattern: str = "", path: str = "") -> None:
        self.reason = reason
        self.pattern = pattern
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{reason}" + (f" in regex {pattern!r}" if pattern else ""))


# --------------------------------------------------------------------------------

_WORD_BEFORE = rb"(?:\A|[^A-Za-z0-9_])"
_WORD_AFTER = rb"(?:[^A-Za-z0-9_]|\z)"


def encode_regex(text: str, for_re2: bool = False) -> bytes:
    """The regex as the engine compiles it; for RE2, rewritten to PCRE's meaning (``pcre_for_re2``)."""
    return to_bytes(pcre_for_re2(text) if for_re2 else text)


_MULTILINE = re.compile(r"\(\?[a-zA-Z-]*m")
# PCRE's \s (since 8.34, and hyperscan's) includes the vertical tab \x0b; RE2's does not. Found by
# the shared corpora (CRS 933161, 942390: ``pi\x0b()``, ``xor\x0b3``), tests/engine/test_deferred.py.
_SPACE = "\\t\\n\\x0b\\f\\r "


def pcre_for_re2(text: str) -> str:
    """Rewrite what RE2 reads differently from PCRE, so both engines decide alike.

    * ``$``: outside multiline mode PCRE (and hyperscan) let it match at the end *or before a
      final newline*; RE2's only matches at the very end, and RE2 has no ``\\Z`` (rewritten alike):
      ``a$`` -> ``a(?:\\n?\\z)``. A pattern that turns on ``(?m)`` keeps them (there they agree).
    * ``\\s`` / ``\\S``: PCRE's whitespace includes ``\\x0b``; spelled out as a class
      (``[\\t\\n\\x0b\\f\\r ]``, its members inside a class). ``\\S`` inside a class stays (no
      RE2 spelling; none of the managed regexes has one).

    Escaped characters and ``$`` inside a class are literal and left alone.
    """
    if "$" not in text and "\\Z" not in text and "\\s" not in text and "\\S" not in text:
        return text
    anchors = not _MULTILINE.search(text)
    out: list[str] = []
    i, n, in_class = 0, len(text), False
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt == "Z" and anchors and not in_class:
                out.append("(?:\\n?\\z)")
            elif nxt == "s":
                out.append(_SPACE if in_class else f"[{_SPACE}]")
            elif nxt == "S" and not in_class:
                out.append(f"[^{_SPACE}]")
            else:
                out.append(text[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":  # copy the class opener, with a leading '^' and/or literal ']'
            in_class, j = True, i + 1
            j += text.startswith("^", j)
            j += text.startswith("]", j)
            out.append(text[i:j])
            i = j
            continue
        elif c == "$" and anchors:
            c = "(?:\\n?\\z)"
        out.append(c)
        i += 1
    return "".join(out)


def _escape_literal(text: str) -> bytes:
    """Escape the UTF-8 bytes of ``text`` (``\\xHH`` for all but ASCII alphanumerics)."""
    out = bytearray()
    for byte in to_bytes(text):
        out += bytes((byte,)) if byte < 0x80 and chr(byte).isalnum() else b"\\x%02x" % byte
    return bytes(out)


def _names_wide_character(text: str) -> bool:
    """Whether ``text`` has a ``\\x{...}`` escape above 0xFF (then it can only match characters)."""
    i = text.find("\\")
    while 0 <= i < len(text) - 1:
        if text[i + 1] == "x" and text.startswith("{", i + 2):
            close = text.find("}", i + 3)
            digits = text[i + 3 : close] if close > 0 else ""
            if digits and all(c in "0123456789abcdefABCDEF" for c in digits) and int(digits, 16) > 0xFF:
                return True
        i = text.find("\\", i + 2)  # skip the escaped character (``\\\\x{100}`` is literal)
    return False


def expression(pattern: Pattern, utf8: bool, for_re2: bool = False) -> bytes | None:
    if pattern.kind == "regex":
        if not utf8 and _names_wide_character(pattern.text):
            # Left out of the byte-mode database, as its failed compile would leave it out anyway
            # (``PatternSet._build``), but known without compiling: a cold start can tell from
            # the cache alone that this set's byte-mode database is already built.
            return None
        return encode_regex(pattern.text, for_re2)
    if utf8:
        return None  # literals live in the byte-mode database only
    lit = b"(?:" + _escape_literal(pattern.text) + b")"
    if pattern.kind == "exactly":
        return rb"\A" + lit + rb"\z"
    if pattern.kind == "starts_with":
        return rb"\A" + lit
    if pattern.kind == "ends_with":
        return lit + rb"\z"
    # CONTAINS_WORD: the database finds the bare literal; ``word_expression`` confirms the word
    # boundaries on the (rare) candidates. Boundary patterns cost hyperscan ~10 ms each to compile.
    return lit


def word_expression(pattern: Pattern) -> bytes:
    """The exact AWS CONTAINS_WORD test, for RE2 in Latin-1 (byte) mode."""
    lit = b"(?:" + _escape_literal(pattern.text) + b")"
    return (b"(?i)" if pattern.caseless else b"") + _WORD_BEFORE + lit + _WORD_AFTER
