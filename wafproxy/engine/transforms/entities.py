"""HTML_ENTITY_DECODE: ``&lt;`` ``&gt;`` ``&quot;`` ``&nbsp;`` (-> U+00A0), ``&#nnnn;``, ``&#xhhhh;``.

AWS lists those entities; we use the stdlib's C-accelerated HTML5 decoder (``html.unescape``),
which decodes them and every other named entity a browser would, plus numeric references without
the trailing ``;`` (``&#60`` -> ``<``) as browsers do. Decoding *more* than AWS can only reveal
more of what a browser would execute; invalid references are left as they are (``&bogus;``).
Numeric references follow the browser too (HTML5 §13.2.5.80): ``&#0;`` and out-of-range values
become U+FFFD and ``&#x80;``-``&#x9f;`` the Windows-1252 characters, where ModSecurity would keep
the low byte — we decode to what the browser will actually render.
"""

from __future__ import annotations

import html
import re
from html.entities import html5

from ._registry import register

# Where ``html.unescape`` can change anything: a numeric reference (``&#``), a name ending in
# ``;`` (its regex takes at most 32 name characters), or one of the 106 legacy names that need no
# ``;`` (``&amp`` ``&lt`` ``&copy`` …, matched as a prefix as unescape does). Every other ``&``
# (``&page=2`` in a query string) is returned by unescape as it was, after a Python callback
# per ``&`` and up to 30 dictionary lookups; this search answers in C that none can change.
# ``tests/engine/test_fast_transforms.py`` checks the equivalence.
_LEGACY = sorted((name for name in html5 if not name.endswith(";")), key=len, reverse=True)
_MAY_CHANGE = re.compile("&(?:#|" + "|".join(_LEGACY) + r"|[^\t\n\f <&#;]{1,32};)")


@register("HTML_ENTITY_DECODE")
def html_entity_decode(value: str) -> str:
    """``"&lt;script&gt;alert(&#x27;x&#39;)&lt;/script&gt;"`` -> ``"<script>alert('x')</script>"``."""
    if "&" not in value or _MAY_CHANGE.search(value) is None:
        return value
    return html.unescape(value)
