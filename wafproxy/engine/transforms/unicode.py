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
_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")


@register("UTF8_TO_UNICODE")
def utf8_to_unicode(value: str) -> str:
    """``"café ＜"`` -> ``"caf%u00e9 %uff1c"``."""
    if value.isascii():
        return value
    return _NON_ASCII.sub(lambda m: f"%u{ord(m.group(0)):04x}", value)


@register("NFKC_NORMALIZE")
def nfkc_normalize(value: str) -> str:
    """wafproxy extension: Unicode NFKC, so look-alike forms become the ASCII a parser acts on.

    ``"＜ｓｃｒｉｐｔ＞"`` -> ``"<script>"``; ``"ﬁle"`` -> ``"file"``. Fullwidth and compatibility
    forms are an evasion (IIS and some frameworks fold them to ASCII after the WAF looked).
    Surrogate escapes (invalid bytes, see ``_bytes``) are left as they are.
    """
    if value.isascii():
        return value
    return unicodedata.normalize("NFKC", value)
