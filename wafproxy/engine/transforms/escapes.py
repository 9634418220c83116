"""Backslash escapes: ESCAPE_SEQ_DECODE (ANSI C), JS_DECODE, CSS_DECODE.

All three work on bytes (``_bytes.to_bytes`` / ``from_bytes``), find escapes with one
fixed-width-alternation regex (bounded repetitions only: linear, no backtracking), and keep
anything they cannot decode, so they never raise on attacker input.

* ESCAPE_SEQ_DECODE (AWS: "ANSI C escape sequences"): ``\\a \\b \\f \\n \\r \\t \\v \\\\ \\? \\' \\"``,
  ``\\xHH`` and octal ``\\OOO`` (value taken mod 256). An unrecognised escape stays as both chars.
* JS_DECODE (AWS): ``\\uHHHH`` — full-width ASCII FF01-FF5E adjusted to ASCII via the high byte,
  otherwise only the low byte is kept; ``\\xHH``, octal, the C letters above; ``\\`` before any
  other character yields that character (as JavaScript reads it).
* CSS_DECODE (AWS, CSS 2.x): ``\\`` + 1-6 hex digits and one optional trailing whitespace char,
  keeping "up to two bytes" (the low byte, with the same full-width adjustment); ``\\`` + newline
  is a line continuation (removed); ``\\`` + any other char yields that char (``ja\\vascript``
  -> ``javascript``).
"""

from __future__ import annotations

import re

from ._bytes import from_bytes, to_bytes
from ._registry import register

_C_LETTERS = {
    ord("a"): 7,
    ord("b"): 8,
    ord("f"): 12,
    ord("n"): 10,
    ord("r"): 13,
    ord("t"): 9,
    ord("v"): 11,
    ord("\\"): 92,
    ord("?"): 63,
    ord("'"): 39,
    ord('"'): 34,
}

_ANSI_C = re.compile(rb"\\(?:x([0-9a-fA-F]{2})|([0-7]{1,3})|([abfnrtv\\?'\"]))")
_JS = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|([0-7]{1,3})|(.))", re.DOTALL)
_CSS = re.compile(rb"\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(\r\n|[\n\r\f])|(.)|$)", re.DOTALL)


def _low_byte(code: int) -> bytes:
    """AWS's two-byte rule: full-width ASCII FF01-FF5E -> ASCII, else keep the low byte."""
    if 0xFF01 <= code <= 0xFF5E:
        return bytes(((code & 0xFF) + 0x20,))
    return bytes((code & 0xFF,))


def _ansi_c(m: re.Match[bytes]) -> bytes:
    hexa, octal, letter = m.groups()
    if hexa is not None:
        return bytes((int(hexa, 16),))
    if octal is not None:
        return bytes((int(octal, 8) & 0xFF,))
    return bytes((_C_LETTERS[letter[0]],))


def _js(m: re.Match[bytes]) -> bytes:
    uni, hexa, octal, other = m.groups()
    if uni is not None:
        return _low_byte(int(uni, 16))
    if hexa is not None:
        return bytes((int(hexa, 16),))
    if octal is not None:
        return bytes((int(octal, 8) & 0xFF,))
    code = _C_LETTERS.get(other[0])
    return bytes((code,)) if code is not None else other


def _css(m: re.Match[bytes]) -> bytes:
    hexa, _newline, other = m.groups()
    if hexa is not None:
        return _low_byte(int(hexa, 16))
    if other is not None:
        return other
    return b""  # line continuation, or a lone trailing backslash


@register("ESCAPE_SEQ_DECODE")
def escape_seq_decode(value: str) -> str:
    """``"\\\\x3cscript\\\\076\\\\n\\\\q"`` -> ``"<script>\\n\\\\q"``."""
    if "\\" not in value:
        return value
    return from_bytes(_ANSI_C.sub(_ansi_c, to_bytes(value)))


@register("JS_DECODE")
def js_decode(value: str) -> str:
    """``"\\\\u0061lert\\\\x28\\\\uff11\\\\)"`` -> ``"alert(1)"``."""
    if "\\" not in value:
        return value
    return from_bytes(_JS.sub(_js, to_bytes(value)))


@register("CSS_DECODE")
def css_decode(value: str) -> str:
    """``"ja\\\\vascript\\\\3a \\\\000061lert"`` -> ``"javascript:alert"``."""
    if "\\" not in value:
        return value
    return from_bytes(_CSS.sub(_css, to_bytes(value)))


_UNICODE_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|u\{([0-9a-fA-F]{1,6})\}|x([0-9a-fA-F]{2}))")


def _unicode_char(match: re.Match[str]) -> str:
    digits = match.group(1) or match.group(2) or match.group(3)
    code = int(digits, 16)
    if code > 0x10FFFF:
        return match.group(0)
    return chr(code)


@register("UNICODE_ESCAPE_DECODE")
def unicode_escape_decode(value: str) -> str:
    """wafproxy extension: ``\\uHHHH``, ``\\u{H..}``, ``\\xHH`` -> the character; nothing else.

    ``"\\u003cscript\\u003e"`` -> ``"<script>"``; ``"..\\\\..\\\\boot.ini"`` is unchanged. JSON and
    JavaScript escapes hide markup and line breaks, but JS_DECODE also eats every other backslash,
    which erases Windows paths (``..\\..\\``) and shell escapes other rules look for. A JSON
    surrogate pair (``\\ud83d\\ude00``) becomes the one character it encodes.
    """
    if "\\" not in value:
        return value
    out = _UNICODE_ESCAPE.sub(_unicode_char, value)
    if any("\ud800" <= ch <= "\udbff" for ch in out):
        # Join surrogate pairs; lone surrogates (and the U+DC80.. byte escapes) stay as they are.
        out = out.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
    return out
