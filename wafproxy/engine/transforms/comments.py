"""Comments: REPLACE_COMMENTS, REMOVE_COMMENTS_CHAR.

REPLACE_COMMENTS (AWS): each C-style ``/* ... */`` comment becomes one space; an unterminated
``/*`` runs to the end of the value (and also becomes a space); a lone ``*/`` is left alone.
Implemented with ``str.find`` (linear, no regex).

REMOVE_COMMENTS_CHAR deletes the comment *markers* ``/*``, ``*/``, ``--`` and ``#`` and keeps the
text between them (the ModSecurity ``removeCommentsChar`` behaviour this AWS type mirrors).
"""

from __future__ import annotations

import re

from ._registry import register

_MARKERS = re.compile(r"/\*|\*/|--|#")


@register("REPLACE_COMMENTS")
def replace_comments(value: str) -> str:
    """``"UNION/**/SELECT/*x*/1 */ /* tail"`` -> ``"UNION SELECT 1 */  "``."""
    start = value.find("/*")
    if start < 0:
        return value
    parts: list[str] = []
    pos = 0
    while start >= 0:
        parts.append(value[pos:start])
        parts.append(" ")
        end = value.find("*/", start + 2)
        if end < 0:
            return "".join(parts)
        pos = end + 2
        start = value.find("/*", pos)
    parts.append(value[pos:])
    return "".join(parts)


@register("REMOVE_COMMENTS_CHAR")
def remove_comments_char(value: str) -> str:
    """``"1/*x*/OR--a#b"`` -> ``"1xORab"``."""
    return _MARKERS.sub("", value)
