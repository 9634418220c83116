"""XML request bodies as values: every text node and attribute value, entities resolved safely.

A payload in a SOAP envelope, an XML-RPC call or any XML API body reaches the application as a
text node or an attribute value, with the five predefined entities and character references
(``&lt;``, ``&#39;``, ``&#x3C;``) already resolved and CDATA sections unwrapped. The whole body,
as AWS's ``Body`` field shows it, keeps the escapes and glues the value to its tags. This parser
gives the values as the application sees them (``views.body_views`` shows them to the managed
groups).

Safety, since the input is the attacker's:

* **No DTD, so no entity of the sender's.** A document type declaration ends parsing at that
  point (the values before it are kept): no internal entity can be declared (no "billion laughs"),
  no external entity or parameter entity is ever read (``XML_PARAM_ENTITY_PARSING_NEVER``, no
  ``ExternalEntityRefHandler``: expat itself opens no file or URL). XXE attempts are the ``xxe``
  managed group's business, on the raw body.
* **Bounded**: at most ``max_values`` values, ``MAX_ELEMENTS`` elements and ``MAX_DEPTH`` open
  elements; past any of them parsing stops and what was read is returned (``complete=False``).
  expat is a C, non-recursive, linear-time parser; the handlers below do O(1) work per event.
* **Never raises on attacker input**: malformed XML, an unknown encoding or a body cut at the
  inspection limit end parsing; the values read before that point are returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.parsers import expat

MAX_VALUES = 256
MAX_ELEMENTS = 4096
MAX_DEPTH = 256
# A text node longer than this arrives in pieces (a payload straddling a cut is still in the raw body).
_TEXT_BUFFER = 1 << 16


@dataclass(frozen=True, slots=True)
class XmlValues:
    """``values``: (``element`` or ``element@attribute``, value) in document order;
    ``complete``: the whole document was read (well-formed, within the bounds)."""

    values: tuple[tuple[str, str], ...]
    complete: bool


class _Stop(Exception):
    """A bound was reached or a DTD began: stop reading, keep what was read."""


class _Reader:
    """expat handlers collecting the values (one instance per document)."""

    __slots__ = ("max_values", "out", "stack", "elements")

    def __init__(self, max_values: int) -> None:
        self.max_values = max_values
        self.out: list[tuple[str, str]] = []
        self.stack: list[str] = []
        self.elements = 0

    def start(self, name: str, attributes: list[str]) -> None:
        self.elements += 1
        if self.elements > MAX_ELEMENTS or len(self.stack) >= MAX_DEPTH:
            raise _Stop
        self.stack.append(name)
        out = self.out
        for i in range(0, len(attributes), 2):
            key = attributes[i]
            if key == "xmlns" or key.startswith("xmlns:"):
                continue  # a namespace name: the document's vocabulary, not a value it carries
            out.append((f"{name}@{key}", attributes[i + 1]))
        if len(out) >= self.max_values:
            raise _Stop

    def end(self, _name: str) -> None:
        self.stack.pop()

    def text(self, data: str) -> None:
        if data.strip():
            self.out.append((self.stack[-1] if self.stack else "", data))
            if len(self.out) >= self.max_values:
                raise _Stop

    def refuse_dtd(self, *_args: object) -> None:
        raise _Stop


def looks_like_xml(body: bytes) -> bool:
    """Whether a body's first non-blank byte opens markup (``<``), the only way XML starts."""
    head = body[:64].lstrip()
    return head[:1] == b"<"


def parse_xml(body: bytes, *, max_values: int = MAX_VALUES) -> XmlValues:
    """``b'<a x="1">&lt;b&gt;</a>'`` -> ``XmlValues((("a@x", "1"), ("a", "<b>")), True)``."""
    reader = _Reader(max_values)
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True  # one text value per run of character data (entities, CDATA merged)
    parser.buffer_size = _TEXT_BUFFER
    parser.ordered_attributes = True
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    parser.StartDoctypeDeclHandler = reader.refuse_dtd
    parser.EntityDeclHandler = reader.refuse_dtd
    complete = True
    try:
        parser.Parse(body, True)
    except (_Stop, expat.ExpatError, ValueError):
        complete = False
    return XmlValues(tuple(reader.out[:max_values]), complete)
