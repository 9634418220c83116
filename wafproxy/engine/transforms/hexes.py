"""Hex: HEX_DECODE (the whole value is hex), SQL_HEX_DECODE (``0x...`` literals inside text).

HEX_DECODE turns a string of hex digit pairs into the bytes they spell (``"414243"`` -> ``"ABC"``).
A value that is not an even-length run of hex digits (whitespace between pairs is tolerated) is
left unchanged: never raise on attacker input, and there is nothing to decode.

SQL_HEX_DECODE decodes every ``0x``-prefixed run of hex digit pairs in place, the way MySQL reads
``SELECT 0x61646D696E``; a trailing odd digit stays as it is (``0x414`` -> ``"A4"``).
Output bytes map to ``str`` by the package rule (``_bytes``).
"""

from __future__ import annotations

import re

from ._bytes import from_bytes, to_bytes
from ._registry import register

# ``(?:XX)+`` over a fixed two-char class: one way to match, linear time.
_SQL_HEX = re.compile(rb"0[xX]((?:[0-9a-fA-F]{2})+)")


@register("HEX_DECODE")
def hex_decode(value: str) -> str:
    """``"3c7363726970743e"`` -> ``"<script>"``; ``"xyz"`` -> ``"xyz"`` (not hex)."""
    try:
        return from_bytes(bytes.fromhex(value))
    except ValueError:
        return value


@register("SQL_HEX_DECODE")
def sql_hex_decode(value: str) -> str:
    """``"SELECT 0x61646d696e"`` -> ``"SELECT admin"``."""
    if "0x" not in value and "0X" not in value:
        return value
    raw = _SQL_HEX.sub(lambda m: bytes.fromhex(m.group(1).decode("ascii")), to_bytes(value))
    return from_bytes(raw)
