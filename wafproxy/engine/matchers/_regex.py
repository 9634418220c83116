"""validate_regex: accept exactly the regexes every engine we may use runs in linear time.

AWS WAF rejects the PCRE constructs no automaton can run (backreferences, lookaround, atomic
groups, possessive quantifiers, recursion, conditionals, ``\\C`` ``\\R`` ``\\K``, verbs); so do we,
naming the construct, before either engine sees the pattern. Then the pattern must compile in
RE2 and (where installed) hyperscan, in UTF-8 mode, or the engine's own message is the reason.
"""

from __future__ import annotations

import functools

import re2

from ._engines import HS_BASE, hs_compile, hyperscan, re2_options
from ._pattern import PatternError, encode_regex

# (prefix after "(", reason) — checked in order, so "(?<=" wins over "(?<name>".
_GROUP_CONSTRUCTS: tuple[tuple[str, str], ...] = (
    ("?=", "lookahead (?=...) is not supported"),
    ("?!", "negative lookahead (?!...) is not supported"),
    ("?<=", "lookbehind (?<=...) is not supported"),
    ("?<!", "negative lookbehind (?<!...) is not supported"),
    ("?>", "atomic groups (?>...) are not supported"),
    ("?|", "branch reset groups (?|...) are not supported"),
    ("?(", "conditional patterns (?(...)...) are not supported"),
    ("?R", "recursive patterns (?R) are not supported"),
    ("?&", "subroutine references (?&name) are not supported"),
    ("?P>", "subroutine references (?P>name) are not supported"),
    ("?C", "callouts (?C) are not supported"),
    ("*", "backtracking control verbs (*...) are not supported"),
)
_ESCAPES = {
    "C": "the single-byte directive \\C is not supported",
    "R": "the newline directive \\R is not supported",
    "K": "the match reset directive \\K is not supported",
    "g": "backreferences (\\g) are not supported",
    "k": "backreferences (\\k) are not supported",
}


def _unsupported_construct(text: str) -> str | None:
    """Find the first construct no linear-time engine runs; skips escapes and character classes.

    ``after_quantifier`` tracks whether the previous token was a quantifier, so a following ``+``
    is possessive (``a++``) while ``\\p{L}+`` or ``\\++`` are not.
    """
    i, n, in_class, after_quantifier = 0, len(text), False, False
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            nxt = text[i + 1]
            i += 2
            if nxt in "pPxNo" and text.startswith("{", i):  # \p{L}, \x{41}: one token
                close = text.find("}", i)
                i = n if close < 0 else close + 1
            if not in_class:
                if nxt in "123456789":
                    return f"backreferences (\\{nxt}) are not supported"
                if nxt in _ESCAPES:
                    return _ESCAPES[nxt]
            after_quantifier = False
            continue
        if in_class:
            if c == "[" and text.startswith(":", i + 1):  # POSIX class [:alpha:] inside [...]
                close = text.find(":]", i + 2)
                i = i + 1 if close < 0 else close + 2
                continue
            in_class = c != "]"
            i += 1
            continue
        quantifier = False
        if c == "[":
            in_class = True
            if text.startswith("^", i + 1):
                i += 1
            if text.startswith("]", i + 1):
                i += 1  # a leading ']' is a literal member of the class
        elif c == "(":
            rest = text[i + 1 : i + 4]
            for prefix, reason in _GROUP_CONSTRUCTS:
                if rest.startswith(prefix):
                    return reason
            if rest[:1] == "?" and (rest[1:2].isdigit() or rest[1:2] in "+-" and rest[2:3].isdigit()):
                return "subroutine calls (?N) are not supported"
            if rest[:1] == "?":
                i += 1  # the '?' of a group modifier is not a quantifier
        elif c in "*?":
            quantifier = True
        elif c == "+":
            if after_quantifier:
                return "possessive quantifiers (x*+, x++, x?+) are not supported"
            quantifier = True
        elif c == "{":
            close = text.find("}", i)
            body = text[i + 1 : close] if close > 0 else ""
            if body and body.replace(",", "").isdigit():
                i, quantifier = close, True
        i += 1
        after_quantifier = quantifier
    return None


def validate_regex(text: str, *, with_hyperscan: bool = True) -> None:
    """Raise ``PatternError`` unless ``text`` runs on every engine we may use, in linear time.

    Memoised: a managed rule group repeats each regex once per (field, chain) statement, and a
    hyperscan test compile costs milliseconds; a regex's validity never changes within a process.
    ``with_hyperscan=False`` leaves out the hyperscan test compile (~10 ms per regex from an empty
    cache, 21 s of CPU for the default ACL's ~2,000): a set built on RE2 while hyperscan compiles
    in the background (``_deferred``) has its regexes checked by that compile instead.
    """
    error = _validity(text)
    if error is None and with_hyperscan and hyperscan is not None:
        error = _hyperscan_validity(text)
    if error is not None:
        raise PatternError(*error)


@functools.lru_cache(maxsize=4096)
def _validity(text: str) -> tuple[str, str] | None:
    try:
        _validate(text)
    except PatternError as exc:
        return (exc.reason, text)
    return None


@functools.lru_cache(maxsize=4096)
def _hyperscan_validity(text: str) -> tuple[str, str] | None:
    assert hyperscan is not None
    try:
        hs_compile([encode_regex(text)], [HS_BASE | hyperscan.HS_FLAG_UTF8])
    except hyperscan.error as exc:
        return (f"not supported by hyperscan ({_message(exc)})", text)
    return None


def _validate(text: str) -> None:
    if not text:
        raise PatternError("an empty regex matches everything", text)
    reason = _unsupported_construct(text)
    if reason is not None:
        raise PatternError(reason, text)
    try:
        re2.compile(encode_regex(text, for_re2=True), re2_options(utf8=True))
    except re2.error as exc:
        raise PatternError(f"invalid regex ({_message(exc)})", text) from None


def _message(exc: BaseException) -> str:
    msg = exc.args[0] if exc.args else str(exc)
    return msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
