"""XML request bodies as values: text nodes and attribute values, entities resolved safely.

A payload in a SOAP envelope, an XML-RPC call or any XML API body reaches the application as a
text node or an attribute value, with the predefined entities and character references
(``&lt;``, ``&#39;``, ``&#x3C;``) resolved and CDATA sections unwrapped. The whole body, as AWS's
``Body`` field shows it, keeps the escapes and glues the value to its tags. ``xml_values`` gives
the values as the application reads them (``views.body_views`` shows them to the managed groups).

Not a parser: a scan. Views only ever *add* values to a field that is still scanned whole, so a
value need not be proven to be one, and a scan has no state an attacker can grow:

* **No entity of the sender's is ever expanded**: only the predefined entities and character
  references are resolved, so a DTD's
  ``<!ENTITY x "...">`` stays the text ``&x;`` (no "billion laughs", and nothing is fetched: no
  external entity, no DTD, no schema). XXE attempts are the ``xxe`` managed group's business.
* **Linear and bounded**: two ``findall`` scans without nested repetition (every match starts
  at a ``>`` or at whitespace), a ``str.find`` walk over CDATA sections, at most ``max_values``
  values; no recursion, so no depth to bound. Malformed or cut documents give what the scans find.
"""

from __future__ import annotations

import html
import re

MAX_VALUES = 256

# ``name="value"`` / ``name='value'`` inside one tag (the tag's text only: short, no "<" or ">").
# A run of text after a tag (C-level findall: every match starts at a ">").
_TEXT = re.compile(r">([^<>]+)")
# ``name="value"`` / ``name='value'``; every match starts at whitespace (a name matched from every
# position would be quadratic in its length).
_ATTRIBUTE = re.compile(r"""\s([\w:.-]{1,128})\s{0,8}=\s{0,8}(?:"([^"<]{0,8192})"|'([^'<]{0,8192})')""")
_CDATA_OPEN = "<![CDATA["
_CHAR_REF = re.compile(r"&#(?:[0-9]{1,8}|[xX][0-9a-fA-F]{1,8});?")
_PREDEFINED = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"))


def looks_like_xml(body: bytes) -> bool:
    """Whether a body's first non-blank byte opens markup (``<``), the only way XML starts."""
    head = body[:64].lstrip()
    return head[:1] == b"<"


def _resolved(value: str) -> str:
    """XML's five predefined entities (``str.replace``) and character references (``&#39;``,
    ``&#x3C;``: ``html.unescape``, only when there is one). Any other ``&name;`` stays as it is."""
    if "&" not in value:
        return value
    if "&#" in value:
        value = _CHAR_REF.sub(lambda m: html.unescape(m.group(0)), value)
    for entity, char in _PREDEFINED:
        value = value.replace(entity, char)
    return value.replace("&amp;", "&")


def _cdata(text: str, max_values: int) -> list[tuple[str, str]]:
    """The content of each CDATA section (a section cut by the end of the body runs to it)."""
    out: list[tuple[str, str]] = []
    start = text.find(_CDATA_OPEN)
    while start >= 0 and len(out) < max_values:
        begin = start + len(_CDATA_OPEN)
        end = text.find("]]>", begin)
        out.append(("cdata", text[begin:] if end < 0 else text[begin:end]))
        if end < 0:
            break
        start = text.find(_CDATA_OPEN, end + 3)
    return out


def xml_values(text: str, *, max_values: int = MAX_VALUES) -> list[tuple[str, str]]:
    """Every non-blank text run after a tag and every attribute value of an XML text, entities
    resolved, then CDATA contents. Namespace declarations name the vocabulary and carry no value:
    left out. Two C-level ``findall`` scans; Python work only per value found.

    ``'<a x="&#39;1" xmlns="urn:x">&lt;b&gt;</a>'`` -> ``[("text", "<b>"), ("x", "'1")]``."""
    out = [("text", _resolved(run)) for run in _TEXT.findall(text) if not run.isspace()]
    out += [
        (name, _resolved(double or single))
        for name, double, single in _ATTRIBUTE.findall(text)
        if not name.startswith("xmlns")
    ]
    if _CDATA_OPEN in text:
        out += _cdata(text, max_values)
    return out[:max_values]
