"""Carrier views: the values a payload hides inside, shown to the managed groups one by one.

A shipped managed group inspects ``Body`` and ``UriPath`` whole, as AWS does. A payload inside
a JSON string or a path segment is then seen *in its carrier*: JSON escapes (``\\t``, ``\\n``,
``\\/``, ``\\"``) still in place, the quotes and brackets of the document around it, the next
path segment glued to its end (``admin'--/profile``). Patterns anchored on the end of a value
and the SQLi/XSS tokenizers miss it there, though the same payload as a query argument is
caught. A *view* is one such value, decoded by its carrier's own syntax and appended to the
field's values, so every scan that sees the whole field also sees each view:

* ``Body`` holding a JSON document (first non-blank byte ``{``, ``[`` or ``"``; any
  Content-Type): every member name and every scalar at every depth, unescaped by the JSON
  parser (``parsing.parse_json``, memoised per request with ``JsonBody``). A body cut at the
  inspection limit or invalid partway gives what parsed before the cut.
* ``UriPath``: each ``/`` segment without its ``;`` matrix parameters, and each matrix
  parameter's value, raw: the rule's own chain URL-decodes (twice, in the managed groups), so a
  double-encoded segment is decoded as the whole path is.

Views are a wafproxy extension for the managed groups only (``FieldSpec.views``, set by the
compiler for their pattern and detector statements, which can only gain matches from more
values); user-written rules keep AWS's field semantics exactly.

Cost is bounded and benign traffic mostly pays nothing: a value made only of word characters,
spaces and ``.,:@+-`` adds no view (it is already in the whole field verbatim, with nothing a
carrier could have escaped or glued to it), a path of only ``[A-Za-z0-9/._~-]`` is not split,
and at most ``MAX_VIEWS`` views are added per field.
"""

from __future__ import annotations

import re

from wafproxy.engine.parsing import InvalidJson, JsonDocument

Pairs = tuple[tuple[str, str], ...]

#: Field kinds that have carrier views.
VIEW_KINDS = frozenset({"Body", "UriPath"})
MAX_VIEWS = 256

# A value every view of which would equal what the whole field already shows (one C-level test).
_PLAIN_VALUE = re.compile(r"[\w .,:@+-]*")
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/._~-]*")
_JSON_START = frozenset(b'{["')
# A JSON text made only of these has no escape and no non-plain member or scalar (one C scan).
_PLAIN_JSON = re.compile(r'[\w\s.,:@+\-{}\[\]"]*')


def looks_like_json(body: bytes) -> bool:
    """Whether a body's first non-blank byte opens a JSON document."""
    head = body[:64].lstrip()
    return bool(head) and head[0] in _JSON_START


def plain_json(text: str) -> bool:
    """Whether a JSON body can have no view: no escapes, nothing but plain values."""
    return _PLAIN_JSON.fullmatch(text) is not None


def json_views(parsed: JsonDocument | InvalidJson) -> Pairs:
    """Every member name and scalar of a parsed body that is not plain text, in document order."""
    doc = parsed.partial if isinstance(parsed, InvalidJson) else parsed
    plain = _PLAIN_VALUE.fullmatch
    out = [(k.pointer, k.key) for k in doc.keys if not plain(k.key)]
    out += [(leaf.pointer, leaf.value) for leaf in doc.leaves if not plain(leaf.value)]
    return tuple(out[:MAX_VIEWS])


def path_views(path: str) -> Pairs:
    """Each path segment (matrix parameters cut off) and matrix parameter value, raw."""
    plain = _PLAIN_PATH.fullmatch
    if plain(path):
        return ()
    out: list[tuple[str, str]] = []
    for segment in path.split("/"):
        if not segment or plain(segment):
            continue
        head, *params = segment.split(";")
        if head and not plain(head):
            out.append(("segment", head))
        for param in params:
            name, _, value = param.partition("=")
            if value and not plain(value):
                out.append((f";{name}", value))
        if len(out) >= MAX_VIEWS:
            return tuple(out[:MAX_VIEWS])
    return tuple(out)
