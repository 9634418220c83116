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
# per ``&`` and up to 30 dictionary lookups. The tests below say so in C: the legacy names are
# one trie-shaped alternation (``re`` tries alternatives one by one), the ``;`` search runs only
# when the value holds a ``;`` and its name run is possessive (a run not followed by ``;`` fails
# without backtracking through its prefixes).
# ``tests/engine/test_fast_transforms.py`` checks the equivalence with ``html.unescape``.
def _trie(words: list[str]) -> str:
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
        alts = [re.escape(ch) + emit(node[ch]) for ch in sorted(node) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


_LEGACY = re.compile("&" + _trie(sorted(name for name in html5 if not name.endswith(";"))))
_NAMED = re.compile(r"&[^\t\n\f <&#;]{1,32}+;")


@register("HTML_ENTITY_DECODE")
def html_entity_decode(value: str) -> str:
    """``"&lt;script&gt;alert(&#x27;x&#39;)&lt;/script&gt;"`` -> ``"<script>alert('x')</script>"``."""
    if "&" not in value:
        return value
    if "&#" in value or (";" in value and _NAMED.search(value)) or _LEGACY.search(value):
        return html.unescape(value)
    return value
