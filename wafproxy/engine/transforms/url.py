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
    decoded = _unquote(to_bytes(value.replace("+", " ")))  # ``_plus_to_space``
    assert decoded is not None  # None only with ``stop_at_u``
    return from_bytes(decoded)


@register("URL_DECODE_UNI")
def url_decode_uni(value: str) -> str:
    """``"%u0053ELECT%uFF0A"`` -> ``"SELECT*"``; plain ``%HH`` as URL_DECODE."""
    if "%" not in value:
        if "+" not in value:
            return value
        if value.isascii():  # the byte round trip is the identity on ASCII
            return value.replace("+", " ")
    raw = to_bytes(value.replace("+", " "))  # ``_plus_to_space``
    decoded = _unquote(raw, stop_at_u=True)
    if decoded is None:
        # %u first: its output is a single byte (``%`` re-escaped), so the %HH pass cannot re-read
        # it. Only when one is there: the regex walks every byte (~25 instructions each, a 2 KB
        # form body ~50 k).
        decoded = _unquote(_PCT_U.sub(_unicode_low_byte, raw))
        assert decoded is not None  # None only with ``stop_at_u``
    return from_bytes(decoded)


# _plus_to_space: ``+`` becomes a space on the ``str``, before ``to_bytes``: the same bytes as
# replacing in the encoded value (0x2B is only ever the encoding of ``+``: every byte of a
# multi-byte UTF-8 or escaped-surrogate sequence is >= 0x80), but ``str.replace`` of one
# character walks the text in a loop, where ``bytes.replace`` calls memchr once per ``+``:
# a 2 KB form body with ~370 of them took 2.1 µs that way, 0.8 µs this way (thread time).
_HEX_DIGITS = "0123456789abcdefABCDEF"
#: ``%HH`` (either case) -> its byte: what ``unquote_to_bytes`` looks each escape up in.
_HEX_BYTE = {(a + b).encode(): bytes.fromhex(a + b) for a in _HEX_DIGITS for b in _HEX_DIGITS}
_U = frozenset(b"uU")


def _unquote(raw: bytes, stop_at_u: bool = False) -> bytes | None:
    """``urllib.parse.unquote_to_bytes(raw)``, hopping from one ``%`` to the next with ``find``
    (a memchr): the library splits the whole value at ``%`` first, a byte-by-byte loop (a 2 KB
    form body with one escape: ~20 k instructions, ~5 k this way); per escape both run the same
    few steps. An invalid or cut escape keeps its ``%`` and the text after it, as the library
    does (``tests/engine/test_fast_transforms.py``). ``stop_at_u``: None at the first ``%u`` /
    ``%U`` — the hop visits every ``%`` (a valid escape's two hex digits hold none), so None
    exactly when the value holds one, and no second pass is needed to ask."""
    at = raw.find(b"%")
    if at < 0:
        return raw
    out = [raw[:at]]
    hexbyte = _HEX_BYTE.get
    size = len(raw)
    while True:
        byte = hexbyte(raw[at + 1 : at + 3])
        if byte is not None:
            out.append(byte)
            start = at + 3
        elif stop_at_u and at + 1 < size and raw[at + 1] in _U:
            return None
        else:
            out.append(b"%")
            start = at + 1
        at = raw.find(b"%", start)
        if at < 0:
            out.append(raw[start:])
            return b"".join(out)
        out.append(raw[start:at])
