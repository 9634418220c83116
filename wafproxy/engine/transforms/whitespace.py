"""Whitespace: NONE, COMPRESS_WHITE_SPACE, REMOVE_WHITESPACE, TRIM, TRIM_LEFT, TRIM_RIGHT.

The whitespace set is the one AWS lists for COMPRESS_WHITE_SPACE: \\f \\t \\n \\r \\v, space and
the non-breaking space (decimal 160). The regexes here are single-class runs (``' {2,}'``): they
cannot backtrack, so stdlib ``re`` is safe on attacker input.
"""

from __future__ import annotations

import re

from ._registry import register

_WS = "\f\t\n\r\v \xa0"
_TO_SPACE = str.maketrans({c: " " for c in _WS})
_DELETE_WS = str.maketrans({c: None for c in _WS})
_RUN_OF_SPACES = re.compile(" {2,}")


@register("NONE")
def none(value: str) -> str:
    """Identity (AWS requires at least one transformation; NONE is the no-op). ``"a" -> "a"``."""
    return value


@register("COMPRESS_WHITE_SPACE")
def compress_white_space(value: str) -> str:
    """Whitespace chars -> space, then runs of spaces -> one. ``"a\\t\\n  b" -> "a b"``."""
    return _RUN_OF_SPACES.sub(" ", value.translate(_TO_SPACE))


@register("REMOVE_WHITESPACE")
def remove_whitespace(value: str) -> str:
    """Delete every whitespace char. ``"un ion\\tselect" -> "unionselect"``."""
    return value.translate(_DELETE_WS)


@register("TRIM")
def trim(value: str) -> str:
    """Strip whitespace at both ends. ``" \\ta b\\n" -> "a b"``."""
    return value.strip(_WS)


@register("TRIM_LEFT")
def trim_left(value: str) -> str:
    """Strip leading whitespace. ``" \\ta b " -> "a b "``."""
    return value.lstrip(_WS)


@register("TRIM_RIGHT")
def trim_right(value: str) -> str:
    """Strip trailing whitespace. ``" a b \\n" -> " a b"``."""
    return value.rstrip(_WS)
