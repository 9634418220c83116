"""Percent-decoding: URL_DECODE, URL_DECODE_UNI.

Both decode ``%HH`` to the byte 0xHH and ``+`` to a space (as HTML forms encode it); an invalid or
truncated escape (``%zz``, ``%4``) is kept as it is. The resulting bytes map to ``str`` by the
package rule (``_bytes``): ``URL_DECODE("%ff")`` is the lone byte 0xff, ``"%c3%a9"`` is ``"é"``.

URL_DECODE_UNI adds Microsoft's ``%uHHHH`` (AWS doc): for the full-width ASCII range FF01-FF5E the
high byte is used to adjust the low byte (``%uFF41`` -> ``a``); otherwise only the low byte is kept
and the high byte is zeroed (``%u0041`` -> ``A``, ``%u2215`` -> 0x15).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from ._bytes import from_bytes, to_bytes
from ._registry import register

# Fixed-width token: linear, no backtracking.
_PCT_U = re.compile(rb"%[uU]([0-9a-fA-F]{4})")


def _unicode_low_byte(match: re.Match[bytes]) -> bytes:
    code = int(match.group(1), 16)
    low = (code & 0xFF) + 0x20 if 0xFF01 <= code <= 0xFF5E else code & 0xFF
    # The byte may itself be '%': escape it so the %HH pass keeps it literal (no double decode).
    return b"%25" if low == 0x25 else bytes((low,))


@register("URL_DECODE")
def url_decode(value: str) -> str:
    """``"a%20b+c%3Cx%zz"`` -> ``"a b c<x%zz"``."""
    if "%" not in value:
        if "+" not in value:
            return value
        if value.isascii():  # the byte round trip is the identity on ASCII
            return value.replace("+", " ")
    return from_bytes(unquote_to_bytes(to_bytes(value).replace(b"+", b" ")))


@register("URL_DECODE_UNI")
def url_decode_uni(value: str) -> str:
    """``"%u0053ELECT%uFF0A"`` -> ``"SELECT*"``; plain ``%HH`` as URL_DECODE."""
    if "%" not in value:
        if "+" not in value:
            return value
        if value.isascii():  # the byte round trip is the identity on ASCII
            return value.replace("+", " ")
    raw = to_bytes(value).replace(b"+", b" ")
    # %u first: its output is a single byte (``%`` re-escaped), so the %HH pass cannot re-read it.
    # Only when one may be there: the regex walks every byte (~25 instructions each, a 2 KB form
    # body ~50 k); ``_has_pct_u`` jumps from one ``%`` to the next.
    if _has_pct_u(raw):
        raw = _PCT_U.sub(_unicode_low_byte, raw)
    return from_bytes(unquote_to_bytes(raw))


_U = frozenset(b"uU")


def _has_pct_u(raw: bytes) -> bool:
    """Whether ``raw`` holds ``%u`` or ``%U``. A two-byte substring search stops at every ``u`` of
    the text (~2 µs on a 2 KB body); most values hold a few ``%`` at most, each a ``find`` (a
    memchr) away. Past 16 of them, the two searches."""
    at = raw.find(b"%")
    for _ in range(16):
        if at < 0:
            return False
        if at + 1 < len(raw) and raw[at + 1] in _U:
            return True
        at = raw.find(b"%", at + 1)
    return at >= 0 and (b"%u" in raw or b"%U" in raw)
