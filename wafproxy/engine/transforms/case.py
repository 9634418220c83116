"""Case folding: LOWERCASE, UPPERCASE.

AWS documents these as ASCII-only ("convert uppercase letters (A-Z) to lowercase (a-z)"), so
non-ASCII letters are left alone (``"É"`` stays ``"É"``); ``str.translate`` keeps it in C.
"""

from __future__ import annotations

from ._registry import register

_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_UPPER = {c + 32: c for c in range(ord("A"), ord("Z") + 1)}


@register("LOWERCASE")
def lowercase(value: str) -> str:
    """A-Z -> a-z only. ``"SeLeCT É" -> "select É"``."""
    return value.lower() if value.isascii() else value.translate(_LOWER)


@register("UPPERCASE")
def uppercase(value: str) -> str:
    """a-z -> A-Z only. ``"select é" -> "SELECT é"``."""
    return value.upper() if value.isascii() else value.translate(_UPPER)
