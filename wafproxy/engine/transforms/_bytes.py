"""How decoded bytes become ``str`` and back — one rule for every transformation and matcher.

Decoders (URL, base64, hex, escapes) produce *bytes*, and attackers choose those bytes: they are
often not valid UTF-8. We never raise and never lose information:

* ``from_bytes`` decodes UTF-8 with ``surrogateescape``: valid sequences become their characters,
  every invalid byte ``0xNN`` becomes the lone surrogate ``U+DCNN``.
* ``to_bytes`` is its exact inverse, so a matcher scanning ``to_bytes(value)`` sees the very bytes
  the decoder produced (``URL_DECODE("%ff")`` is matched as the byte ``0xff``).

Lone surrogates that did not come from ``surrogateescape`` (e.g. a JSON ``"\\ud800"``) cannot be
escaped back; they are encoded with ``surrogatepass`` (their 3-byte CESU form) instead of raising.
"""

from __future__ import annotations


def from_bytes(data: bytes) -> str:
    """Bytes -> str, lossless: ``from_bytes(b"A\\xff") == "A\\udcff"``."""
    return data.decode("utf-8", "surrogateescape")


def to_bytes(text: str) -> bytes:
    """Str -> bytes, the inverse of ``from_bytes``; never raises."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def ascii_steps_bytes(text: str) -> tuple[bytes, str]:
    """``text`` as bytes for steps that act on ASCII bytes only, and the codec that undoes it.

    Latin-1 when every character is below U+0100 (one byte per character; CPython copies a
    one-byte string's buffer, where UTF-8 walks it: ~22 k instructions on a 2 KB body), else
    UTF-8 with ``surrogatepass`` (an exact round trip for any ``str``, lone surrogates
    included). Either way a byte below 0x80 is exactly an ASCII character of ``text``.
    """
    try:
        return text.encode("latin-1"), "latin-1"
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass"), "utf-8"
