"""The few pieces of PCRE syntax ``_guard`` reads: top-level alternatives and the elements
(atom, minimum repetitions) of a concatenation.

Not a regex parser: enough to cut a regex at its top-level ``|`` and to walk a concatenation
atom by atom (escapes, classes and groups kept whole). Anything else (inline flags, lookaround)
makes ``split_regex`` answer None, and the caller leaves the regex whole.
"""

from __future__ import annotations

import re

_FLAGS = re.compile(r"\A\(\?[a-z]+\)")
_QUANTIFIER = re.compile(r"(?:[*+?]|\{(\d*)(?:,(\d*))?\})[?+]?")


def split_regex(expression: bytes) -> tuple[str, list[str]] | None:
    """(leading flags, top-level alternatives), or None for a regex this module leaves whole."""
    text = expression.decode("utf-8", "surrogateescape")
    match = _FLAGS.match(text)
    flags = match.group(0) if match else ""
    if "m" in flags or "x" in flags:
        return None
    body = text[len(flags):]
    try:
        if not plain_groups(body):
            return None  # inline flags, lookaround …: their scope does not split cleanly
        return flags, alternatives(body)
    except (IndexError, ValueError):
        return None  # unbalanced: not ours to judge (the compile reports it)


def plain_groups(s: str) -> bool:
    """Whether every group of ``s`` is a capturing or a ``(?:`` group."""
    i = 0
    while i < len(s):
        if s[i] == "(" and s.startswith("?", i + 1) and not s.startswith("?:", i + 1):
            return False
        i = atom_end(s, i) if s[i] in "\\[" else i + 1
    return True


def atom_end(s: str, i: int) -> int:
    """The index just past the atom (character, escape, class or group) starting at ``s[i]``."""
    c = s[i]
    if c == "\\":
        if s.startswith("x{", i + 1):
            return s.index("}", i) + 1
        return i + 4 if s.startswith("x", i + 1) else i + 2
    if c == "[":
        j = i + 1
        j += s.startswith("^", j)
        j += s.startswith("]", j)
        while s[j] != "]":
            j += 2 if s[j] == "\\" else 1
        return j + 1
    if c == "(":
        depth, j = 0, i
        while True:
            ch = s[j]
            if ch == "\\":
                j += 2
                continue
            if ch == "[":
                j = atom_end(s, j)
                continue
            depth += (ch == "(") - (ch == ")")
            j += 1
            if depth == 0:
                return j
    if c == ")":
        raise ValueError("unbalanced")
    return i + 1


def alternatives(s: str) -> list[str]:
    out, i, start = [], 0, 0
    while i < len(s):
        if s[i] == "|":
            out.append(s[start:i])
            start = i + 1
            i += 1
        else:
            i = atom_end(s, i)
    out.append(s[start:])
    return out


def elements(s: str) -> list[tuple[str, int]]:
    """(atom, minimum repetitions) of a concatenation."""
    out, i = [], 0
    while i < len(s):
        j = atom_end(s, i)
        q = _QUANTIFIER.match(s, j)
        minimum = 1
        if q is not None:
            token = q.group(0)
            minimum = 1 if token[0] == "+" else 0 if token[0] in "*?" else int(q.group(1) or 0)
            j = q.end()
        out.append((s[i : j - (len(q.group(0)) if q else 0)], minimum))
        i = j
    return out
