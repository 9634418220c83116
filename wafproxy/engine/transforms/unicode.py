"""UTF8_TO_UNICODE: every multi-byte UTF-8 character -> ``%uHHHH`` (its code point).

AWS: "convert all UTF-8 character sequences to Unicode", which normalises non-English input for
the ``%u`` notation other rules and URL_DECODE_UNI use (ModSecurity ``utf8toUnicode``). Code
points above U+FFFF are written with as many hex digits as they need (``%u1f600``). ASCII is
unchanged, and so are bytes that were not valid UTF-8 (the ``U+DC80..U+DCFF`` escapes of the
package rule in ``_bytes``). Output grows at most 6x; ``apply_chain`` bounds it.
"""

from __future__ import annotations

import re
import unicodedata

from ._registry import register

# One non-ASCII code point that is not a surrogate escape: a single-character class, linear.
# (The surrogates by ``chr``: mypyc, which compiles this module, refuses them in literals.)
_NON_ASCII = re.compile(f"[^\x00-\x7f{chr(0xDC80)}-{chr(0xDCFF)}]")


@register("UTF8_TO_UNICODE")
def utf8_to_unicode(value: str) -> str:
    """``"café ＜"`` -> ``"caf%u00e9 %uff1c"``."""
    if value.isascii():
        return value
    return _NON_ASCII.sub(lambda m: f"%u{ord(m.group(0)):04x}", value)


# NFKC changes exactly these 14 characters below U+0100 (each alone), and a string of the other
# 242 is its own NFKC form: none has a non-zero combining class, so each decomposes to a starter
# and its own marks and composes back (``tests/engine/test_fast_transforms.py`` checks every
# character and every pair). So a Latin-1 string is tested with one ``in`` per character, each a
# ``memchr`` of the string's one-byte buffer: a 2 KB form body whose ``&not`` decoded to ``¬``
# costs ~10 k instructions, where ``normalize``'s own quick check walks every character (~45 k)
# and a ``bytes.translate`` marking them (~22 k) does too.
_LATIN1_CHANGED_BY_NFKC = "\xa0\xa8\xaa\xaf\xb2\xb3\xb4\xb5\xb8\xb9\xba\xbc\xbd\xbe"


@register("NFKC_NORMALIZE")
def nfkc_normalize(value: str) -> str:
    """wafproxy extension: Unicode NFKC, so look-alike forms become the ASCII a parser acts on.

    ``"＜ｓｃｒｉｐｔ＞"`` -> ``"<script>"``; ``"ﬁle"`` -> ``"file"``. Fullwidth and compatibility
    forms are an evasion (IIS and some frameworks fold them to ASCII after the WAF looked).
    Surrogate escapes (invalid bytes, see ``_bytes``) are left as they are.
    """
    if value.isascii():
        return value
    try:  # every character below U+0100 (a one-byte string: the encode is a copy)
        value.encode("latin-1")
    except UnicodeEncodeError:
        return unicodedata.normalize("NFKC", value)
    for char in _LATIN1_CHANGED_BY_NFKC:
        if char in value:
            return unicodedata.normalize("NFKC", value)
    return value
