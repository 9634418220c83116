"""Base64: BASE64_DECODE (strict prefix), BASE64_DECODE_EXT (forgiving).

BASE64_DECODE decodes the leading run of base64 characters (``A-Z a-z 0-9 + /`` and ``=``
padding) and stops at the first other character, as ModSecurity's ``base64Decode`` (which AWS
follows) does; missing padding is tolerated. ``"not base64!"`` therefore decodes its prefix
``"not"`` -> 2 bytes; a value with no base64 prefix decodes to ``""``.

BASE64_DECODE_EXT "ignores characters that aren't valid" (AWS): every non-alphabet character is
dropped first, and the URL-safe alphabet (``-`` ``_``) is accepted too.
Output bytes map to ``str`` by the package rule (``_bytes``).
"""

from __future__ import annotations

import binascii
import re

from ._bytes import ascii_steps_bytes, from_bytes
from ._registry import register

_PREFIX = re.compile(r"[A-Za-z0-9+/]*")
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# bytes.translate: URL-safe -> standard, and delete every other byte; all in C.
_URLSAFE = bytes.maketrans(b"-_", b"+/")
_NOT_ALPHABET = bytes(b for b in range(128) if b not in _ALPHABET and b not in b"-_")


def _decode_clean(chars: str) -> str:
    """Decode a run of alphabet characters (no padding), dropping an impossible last char."""
    usable = len(chars) - (len(chars) % 4 == 1)
    chars = chars[:usable]
    if not chars:
        return ""
    padded = chars + "=" * (-len(chars) % 4)
    try:
        return from_bytes(binascii.a2b_base64(padded.encode("ascii")))
    except binascii.Error:  # pragma: no cover - the alphabet check above makes this unreachable
        return ""


@register("BASE64_DECODE")
def base64_decode(value: str) -> str:
    """``"PHNjcmlwdD4="`` -> ``"<script>"``; ``"PHNjcmlwdD4=garbage"`` -> ``"<script>"``."""
    match = _PREFIX.match(value)
    return _decode_clean(match.group(0) if match else "")


@register("BASE64_DECODE_EXT")
def base64_decode_ext(value: str) -> str:
    """``"PHN.jc-ml*wd\\nD4"`` -> ``"<script>"`` (junk dropped, URL-safe ok)."""
    # Non-ASCII is never base64: dropped by the ASCII encode, the rest by the translate.
    ascii_only = value.encode("ascii", "ignore").translate(_URLSAFE, _NOT_ALPHABET)
    return _decode_clean(ascii_only.decode("ascii"))


# A base64 token inside text: 12+ alphabet characters (9+ decoded bytes), optional padding.
# One character class under a bounded-start repetition: linear, no nested quantifiers.
_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{12,}={0,2}")
_MAX_TOKENS = 64
# What counts as printable text in a decoded token: str.isprintable() or one of CR LF TAB.
# For ASCII that is exactly the bytes 0x20-0x7e plus those three.
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F)) + b"\r\n\t"


def _printable_ratio(text: str) -> float:
    good = sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t")
    return good / len(text) if text else 0.0


def _mostly_printable(text: str) -> bool:
    """``_printable_ratio(text) >= 0.9``, counted in C (``tests/engine/test_fast_transforms.py``)."""
    n = len(text)
    if not n:
        return False
    if text.isprintable():
        return True
    if text.isascii():
        good = n - len(text.encode("ascii").translate(None, _PRINTABLE_ASCII))
    else:
        good = sum(map(str.isprintable, text)) + text.count("\r") + text.count("\n") + text.count("\t")
    return good / n >= 0.9


def _decode_run(run: bytes) -> str | None:
    """A token (a run of alphabet bytes) decoded as BASE64_DECODE_EXT does, or None unless the
    result is mostly printable. A decoded token of plain ASCII is judged on its bytes (no
    ``str`` is built for rejected binary)."""
    data = run.translate(_URLSAFE)
    if len(data) % 4 == 1:
        data = data[:-1]  # an impossible last character (as ``_decode_clean``)
    data += b"=" * (-len(data) % 4)
    raw = binascii.a2b_base64(data)  # the alphabet is clean: cannot raise
    if raw.isascii():
        n = len(raw)
        if n and (n - len(raw.translate(None, _PRINTABLE_ASCII))) / n >= 0.9:
            return raw.decode("ascii")
        return None
    text = from_bytes(raw)
    return text if _mostly_printable(text) else None


#: A whole token (alphabet bytes, no padding) decoded, or None unless mostly printable text.
decode_token = _decode_run


# Every byte that is not in the (standard or URL-safe) alphabet becomes a space, so
# ``bytes.split()`` returns the alphabet runs. A ``_TOKEN`` match is exactly a maximal run of 12+
# alphabet characters (its optional ``=`` padding is dropped before decoding anyway), so the runs
# of 12+ bytes are the tokens, found in C instead of by a regex that retries at every position
# of every shorter run. Non-ASCII characters (UTF-8 bytes >= 0x80) are never in the alphabet.
_RUNS = bytes(b if b in _ALPHABET or b in b"-_" else 0x20 for b in range(256))
# Alphabet -> "a", the rest -> " ": a value holds a token iff its mask holds 12 "a" in a row
# (one substring search; most values hold none and need no split). Searched as 12 "a" and a
# space, in the mask with a space appended (every run ends at a space then): a needle ending in
# a character it holds nowhere else lets the search jump 13 bytes past each failed candidate,
# where 12 "a" alone advance one byte at a time through every word (a 2 KB form body: ~20 k ->
# ~12 k instructions).
_MASK = bytes(0x61 if b in _ALPHABET or b in b"-_" else 0x20 for b in range(256))
_TWELVE_RUN = b"a" * 12 + b" "


@register("BASE64_DECODE_EMBEDDED")
def base64_decode_embedded(value: str) -> str:
    """wafproxy extension: decode every base64 token found *inside* a value; keep only text.

    ``"id=JHtqbmRpOmxkYXA6Ly94fQ==&x=1"`` -> ``"${jndi:ldap://x}"``. Attackers hide payloads
    in one base64 parameter of a form, query or cookie; BASE64_DECODE_EXT would merge the whole
    value into noise. Tokens of 12+ characters are decoded (standard or URL-safe alphabet) and kept
    when the result is mostly printable text (binary such as images is dropped); the decoded
    texts are joined with newlines. At most 64 tokens per value. No token: ``""``.
    """
    data = ascii_steps_bytes(value)[0]  # non-ASCII bytes (>= 0x80) are separators either way
    if (data.translate(_MASK) + b" ").find(_TWELVE_RUN) < 0:  # ``find``: see ``cmdline``
        return ""
    out: list[str] = []
    for run in data.translate(_RUNS).split():
        if len(run) >= 12:
            decoded = _decode_run(run)
            if decoded is not None:
                out.append(decoded)
                if len(out) >= _MAX_TOKENS:
                    break
    return "\n".join(out)
