"""NUL bytes: REMOVE_NULLS, REPLACE_NULLS (``\\x00`` -> deleted / a space, decimal 32)."""

from __future__ import annotations

from ._registry import register


@register("REMOVE_NULLS")
def remove_nulls(value: str) -> str:
    """Delete every NUL. ``"sel\\x00ect" -> "select"``."""
    return value.replace("\x00", "")


@register("REPLACE_NULLS")
def replace_nulls(value: str) -> str:
    """Each NUL -> one space. ``"a\\x00b" -> "a b"``."""
    return value.replace("\x00", " ")
