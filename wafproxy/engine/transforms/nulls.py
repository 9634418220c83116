"""NUL bytes: REMOVE_NULLS, REPLACE_NULLS (``\\x00`` -> deleted / a space, decimal 32)."""

from __future__ import annotations

from ._registry import register


@register("REMOVE_NULLS")
def remove_nulls(value: str) -> str:
    """Delete every NUL. ``"sel\\x00ect" -> "select"``."""
    # ``in`` is a memchr; ``replace`` counts character by character first, even with none there.
    return value.replace("\x00", "") if "\x00" in value else value


@register("REPLACE_NULLS")
def replace_nulls(value: str) -> str:
    """Each NUL -> one space. ``"a\\x00b" -> "a b"``."""
    return value.replace("\x00", " ")
