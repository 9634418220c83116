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


_LEGACY = _trie(sorted(name for name in html5 if not name.endswith(";")))
_LEGACY_NAME = re.compile(_LEGACY)  # greedy on a trie: the longest legacy name at a position
# An ``&`` where unescape may change something (the three tests above as one lookahead, so one
# C scan finds every such ``&``), and the reference unescape's own regex (``html._charref`` in
# CPython 3.11) for the span it would replace there. Each reference starts at an ``&`` and holds
# no other ``&``, so unescape works ``&`` by ``&``: decoding only the references at the ``&`` found
# here gives its result. A named reference is decoded as unescape's ``_replace_charref`` does: the
# whole name if it is one, else the longest legacy name it starts with (legacy names are 2-6
# letters and digits, so always inside the reference), else nothing; ``_replace_charref`` finds
# that prefix with a Python loop of up to 30 slices and lookups, ``_LEGACY_NAME`` in C.
# This costs one scan of the value and a Python step per *decodable* reference, not a scan, a
# callback per ``&`` and a copy (a 2 KB form body with ``&note=``: 91 k -> ~30 k instructions).
# Without a ``;`` in the value no name can end in one: the lookahead then skips the name run.
_MAY_DECODE = re.compile(r"&(?=#|" + _LEGACY + r"|[^\t\n\f <&#;]{1,32}+;)")
_MAY_DECODE_NO_SEMICOLON = re.compile(r"&(?=#|" + _LEGACY + r")")
_REFERENCE = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


def _decoded(value: str, reference: re.Match[str]) -> str:
    """What ``html.unescape`` makes of the one reference ``reference`` (a match in ``value``)."""
    name = reference.group(1)
    if name[0] == "#":
        return html.unescape(reference.group())
    if name in html5:
        return html5[name]
    legacy = _LEGACY_NAME.match(value, reference.start() + 1)
    if legacy is None:
        return reference.group()
    return html5[legacy.group()] + name[len(legacy.group()) :]


@register("HTML_ENTITY_DECODE")
def html_entity_decode(value: str) -> str:
    """``"&lt;script&gt;alert(&#x27;x&#39;)&lt;/script&gt;"`` -> ``"<script>alert('x')</script>"``."""
    if "&" not in value:
        return value
    may_decode = _MAY_DECODE if ";" in value else _MAY_DECODE_NO_SEMICOLON
    found = _search(may_decode, value, 0)
    if found is None:
        return value
    parts: list[str] = []
    done = 0  # value[:done] is decoded into parts
    while found is not None:
        start = found.start()
        reference = _REFERENCE.match(value, start)
        if reference is None:  # ``&#`` with no digits: unescape keeps it
            found = _search(may_decode, value, start + 1)
            continue
        parts.append(value[done:start])
        parts.append(_decoded(value, reference))
        done = reference.end()
        found = _search(may_decode, value, done)
    parts.append(value[done:])
    return "".join(parts)


#: ``&`` positions tried one by one before a ``_search`` hands over to the regex's own search,
#: and the shortest text searched so (a query string's ``&`` are a dozen characters apart).
_FIND_TRIES = 16
_FIND_FROM = 256


def _search(pattern: re.Pattern[str], value: str, pos: int) -> re.Match[str] | None:
    """``pattern.search(value, pos)`` for a pattern that starts with ``&``: the regex's own search
    tries every character (~15 instructions each: a 2 KB form body with four ``&`` ~30 k), a
    ``str.find`` jumps from one ``&`` to the next in C. After ``_FIND_TRIES`` ``&`` without a
    match (a text full of them) the regex searches the rest itself."""
    if len(value) - pos < _FIND_FROM:
        return pattern.search(value, pos)
    find = value.find
    at = find("&", pos)
    tries = 0
    while at >= 0:
        if tries == _FIND_TRIES:
            return pattern.search(value, at)
        found = pattern.match(value, at)
        if found is not None:
            return found
        at = find("&", at + 1)
        tries += 1
    return None
