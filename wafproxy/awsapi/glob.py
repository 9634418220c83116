"""IAM wildcard matching (``*`` any run, ``?`` one character), linear-time and case-configurable.

IAM ``Action``/``Resource``/``StringLike`` patterns are matched against request values, which an
attacker controls, so no regex engine and no exponential backtracking: the classic two-pointer
algorithm that remembers only the last ``*`` runs in O(len(pattern) * len(text)) worst case.
"""

from __future__ import annotations


def wildcard_match(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """``wildcard_match("kms:Gen*", "kms:GenerateDataKey")`` → True; ``"a?c"`` matches ``"abc"``."""
    if ignore_case:
        pattern, text = pattern.lower(), text.lower()
    if "*" not in pattern and "?" not in pattern:
        return pattern == text
    p = t = 0
    star = -1
    mark = 0
    plen, tlen = len(pattern), len(text)
    while t < tlen:
        if p < plen and (pattern[p] == "?" or pattern[p] == text[t]):
            p += 1
            t += 1
        elif p < plen and pattern[p] == "*":
            star = p
            mark = t
            p += 1
        elif star != -1:
            p = star + 1
            mark += 1
            t = mark
        else:
            return False
    while p < plen and pattern[p] == "*":
        p += 1
    return p == plen
