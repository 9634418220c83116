"""The vocabulary of the managed rule sources: ``RuleClass`` and the pieces every regex shares.

Regexes run case-insensitively (``(?i)``) on values already decoded by the rule's chain (see
``generate.CHAINS``), in hyperscan or RE2: linear time, no backreferences or lookaround. Each
regex describes the *grammar* of an attack (a separator, then a command word, then an argument
shape), not a sample string, and each has a should-block and a should-pass case in
``tests/rules/cases_<family>.py``. The false-positive trade-offs are in ``docs/managed-rules.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALL = ("URIPATH", "QUERYARGUMENTS", "BODY", "COOKIE", "HEADER")
NO_BODY = ("URIPATH", "QUERYARGUMENTS", "COOKIE", "HEADER")


@dataclass(frozen=True, slots=True)
class RuleClass:
    group: str
    name: str
    patterns: tuple[str, ...] = ()
    placements: tuple[str, ...] = ALL
    chains: tuple[str, ...] = ("DEC",)
    # Case-sensitive regexes (no "(?i)"): every chain but those that lowercase (CMD).
    caseful: tuple[str, ...] = ()
    detector: str = ""  # "sqli" / "xss": libinjection through SqliMatchStatement / XssMatchStatement
    sensitivity: str = "LOW"
    size: int | None = None
    # A hand-written WAFv2 statement (built with the helpers below) for checks that read the whole
    # request (method, one named header, header names) rather than a payload in a placement: one
    # rule named ``<name>_<placements[0]>``. Its cases are whole requests (tests/rules/test_protocol_rules.py).
    statement: dict[str, Any] | None = field(default=None, hash=False, compare=False)


# Standard browser headers with a fixed grammar, sent on every request: scanning them costs more
# than it finds (an attacker controls them, but the app rarely parses them beyond the grammar).
SKIPPED_HEADERS = [  # generate._ALL_HEADERS; the protocol group's raw header checks share its scan
    "accept",
    "accept-encoding",
    "accept-language",
    "connection",
    "cache-control",
    "pragma",
    "upgrade-insecure-requests",
    "content-length",
    "sec-fetch-site",
    "sec-fetch-mode",
    "sec-fetch-dest",
    "sec-fetch-user",
    "sec-ch-ua",
    "sec-ch-ua-mobile",
    "sec-ch-ua-platform",
    "priority",
    "dnt",
    "te",
]

I = "(?i)"
# Whitespace an attacker can use instead of a space: real whitespace, shell $IFS, SQL comments.
SP = r"(?:\s|\$\{?ifs\}?|\+)"


# ---- Hand-written statements ------------------------------------------------------------------
# ``TextTransformations`` holds a chain *name* (``generate.CHAINS``) that ``generate.py`` expands.
# The engine skips a rule in bulk when none of its patterns hit (``wafproxy/engine/plan.py``): every
# statement below is a regex, or an And/Or with a regex in it, and the rare condition goes first
# (an And is gated by its first narrowest regex), so a benign request pays one scan per field.

METHOD: dict[str, Any] = {"Method": {}}
# The header names in arrival order, lower-cased, joined by ":" (AWS HeaderOrder): one string, so
# "is header X present" for any number of X costs one scan.
HEADER_ORDER: dict[str, Any] = {"HeaderOrder": {"OversizeHandling": "CONTINUE"}}


def header(name: str) -> dict[str, Any]:
    return {"SingleHeader": {"Name": name}}


def regex(field_to_match: dict[str, Any], pattern: str, chain: str = "RAW") -> dict[str, Any]:
    return {"RegexMatchStatement": {"RegexString": vt(pattern), "FieldToMatch": field_to_match, "TextTransformations": chain}}


def vt(pattern: str) -> str:
    r"""``\s`` that also means the vertical tab in both engines (hyperscan's ``\s`` has it, RE2's
    has not): ``\s`` becomes ``[\s]`` outside a character class and ``\s`` inside one."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            pair = pattern[i : i + 2]
            if pair == "\\s" and pattern[i + 2 : i + 6] != "\\x0b":
                out.append("\\s\\x0b" if in_class else "[\\s\\x0b]")
            else:
                out.append(pair)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                out.append("[^")
                i += 2
                if pattern[i : i + 1] == "]":
                    out.append("]")
                    i += 1
                continue
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


def has_header(*names: str) -> dict[str, Any]:
    """One of ``names`` is present (any value, even empty): a HeaderOrder regex."""
    return regex(HEADER_ORDER, r"(?:^|:)(?:" + "|".join(n.lower() for n in names) + r")(?::|$)")


def method_is(*methods: str) -> dict[str, Any]:
    return regex(METHOD, r"^(?:" + "|".join(methods) + r")$")


def all_of(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"AndStatement": {"Statements": list(statements)}}


def any_of(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"OrStatement": {"Statements": list(statements)}}


def none_of(statement: dict[str, Any]) -> dict[str, Any]:
    return {"NotStatement": {"Statement": statement}}


# ---- "Not one of these words" without lookaround ----------------------------------------------
# A token is a run of characters other than the caller's delimiters (``stop``, a character-class
# body); the default stops at whitespace and the separators of header lists and parameters.
STOP = r"\s\x0b,;=\"'"  # \x0b spelled out: RE2's \s has no vertical tab, hyperscan's has


def _class_escape(ch: str) -> str:
    return "\\" + ch if ch in "\\]^-[" else ch


def not_one_of(words: tuple[str, ...] | list[str], stop: str = STOP) -> str:
    """A regex for one whole token (case-insensitive) that is none of ``words``.

    From the words' trie: either the token leaves the trie at some character (then anything but
    a delimiter may follow), or it stops at a node that ends no word (a proper prefix: ``utf-``
    for ``utf-8``). The caller bounds the token on both sides by a delimiter or ``^``/``$``,
    e.g. ``charset=`` + this + ``(?:[;,\\s]|$)``.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word.lower():
            node = node.setdefault(ch, {})
        node[""] = {}  # end of a word

    def leave(node: dict[str, Any]) -> str:
        children = sorted(c for c in node if c)
        alts = ["[^" + "".join(_class_escape(c) for c in children) + stop + "]"]
        alts += [re_escape(c) + leave(node[c]) for c in children]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    def early(node: dict[str, Any]) -> str | None:
        """Non-empty continuations ending at a node that ends no word; None if there are none."""
        alts = []
        for c in sorted(c for c in node if c):
            child = node[c]
            deeper = early(child)
            if "" not in child:  # stopping right after c is a proper prefix
                alts.append(re_escape(c) + (f"(?:{deeper})?" if deeper else ""))
            elif deeper:
                alts.append(re_escape(c) + deeper)
        if not alts:
            return None
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    out = leave(trie) + "[^" + stop + "]*"
    prefix = early(trie)
    return f"(?:{out}|{prefix})" if prefix else out


def re_escape(ch: str) -> str:
    return "\\" + ch if ch in ".^$|?*+()[]{}\\/-" else ch


# ---- Whitespace a parser skips that a regex author writes as a space --------------------------
# MySQL, shells and cmd.exe read a vertical tab, a form feed or the lone byte 0xA0 (Latin-1 NBSP;
# `%a0` decodes to it, invalid UTF-8, so NFKC leaves it) between tokens as they read a space:
# `1%a0or%a0true`, `&&%a0whoami`, `` `curl%0bhost` ``. Written for each regex by hand, one would
# be forgotten; ``alt_whitespace`` widens every `\s` and every class holding a space instead.
# It only widens what counts as whitespace, so a value without those bytes decides as before.
_ALT_WS = r"\x0b\x0c\xa0"


def alt_whitespace(pattern: str) -> str:
    """``\\s`` -> ``[\\s\\x0b\\xa0]``; a (non-negated) class with a literal space gets VT, FF, 0xA0."""
    out: list[str] = []
    i, n = 0, len(pattern)
    cls_start = -1  # index in ``out`` where the open class began, -1 outside a class
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            pair = pattern[i : i + 2]
            if pair == r"\s":
                out.append(r"\s\x0b\xa0" if cls_start >= 0 else r"[\s\x0b\xa0]")
            else:
                out.append(pair)
            i += 2
            continue
        if cls_start < 0 and ch == "[":
            cls_start = len(out)
            out.append(ch)
            if pattern.startswith("^", i + 1):
                out.append("^")
                i += 1
            if pattern.startswith("]", i + 1):  # a leading "]" is a literal
                out.append("]")
                i += 1
        elif cls_start >= 0 and ch == "]":
            body = "".join(out[cls_start:])
            if " " in body and not body.startswith("[^"):
                out.append(_ALT_WS)
            out.append(ch)
            cls_start = -1
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def alt_whitespace_all(patterns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(alt_whitespace(p) for p in patterns)
