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
* ``Body`` holding an XML document (first non-blank byte ``<``, and an XML media type or an
  ``<?xml`` declaration: a scan costs ~0.5 M instructions per 2 KB): every text node and attribute
  value (namespace declarations aside), the predefined entities and character references resolved
  and CDATA unwrapped, by a linear scan that expands no entity of the sender's (``parsing._xml``):
  a SOAP envelope's ``&lt;script&gt;`` is ``<script>`` here, as the application reads it.
* ``Body`` holding ``multipart/form-data``: each part's name, file name and media type when not
  plain (``filename="../../x.php"``), outside the ``Content-Disposition`` quoting around them.
* ``UriPath``: each ``/`` segment without its ``;`` matrix parameters, and each matrix
  parameter's value, raw: the rule's own chain URL-decodes (twice, in the managed groups), so a
  double-encoded segment is decoded as the whole path is.
* **Base64**: a value that is *wholly* one base64 token (``MIN_BASE64``+ characters, standard or
  URL-safe alphabet, with or without ``=`` padding, ``%3D`` accepted) is decoded once and, when the
  result is mostly printable text (``transforms.b64.decode_token``) and not one bare word, added
  as a view named ``<name>:base64``: path segments and matrix values, query arguments, inspected
  header values but credentials (``Authorization``), cookie values (when the ``Headers`` field
  includes ``cookie``), JSON strings, XML values, form fields and multipart parts of the body.
  Tokens embedded in longer text are the ``BASE64_DECODE_EMBEDDED`` chain's job (12+
  characters); this catches the short ones (``| id`` is ``fCBpZA``) and gives the decoded text to
  every chain and detector, not only to the base64 chain's patterns.

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
from collections.abc import Callable, Iterable

from wafproxy.engine.fields import FieldSpec
from wafproxy.engine.parsing import (
    InvalidJson,
    JsonDocument,
    Part,
    multipart_boundary,
    parse_cookies,
    parse_multipart,
    parse_query,
)
from wafproxy.engine.parsing._xml import looks_like_xml, xml_values
from wafproxy.engine.request import WafRequest
from wafproxy.engine.transforms.b64 import decode_token

Pairs = tuple[tuple[str, str], ...]

#: Field kinds that have carrier views.
# JsonBody: no views, but a multipart fallback reads binary uploads as text (context._uploads_as_text).
VIEW_KINDS = frozenset({"Body", "JsonBody", "UriPath", "QueryString", "Headers"})
MAX_VIEWS = 256
MAX_BASE64 = 64  # decoded views per field
_ESCAPES = (("%3D", "="), ("%3d", "="), ("%2B", "+"), ("%2b", "+"), ("%2F", "/"), ("%2f", "/"))
# Six characters carry four bytes: ``| id`` is ``fCBpZA`` (``fCBpZA==`` padded), the shortest
# command a shell runs; shorter tokens are words.
MIN_BASE64 = 6
_B64_VALUE = re.compile(r"[A-Za-z0-9+/_-]{6,8192}={0,2}")

# A value every view of which would equal what the whole field already shows (one C-level test).
_PLAIN_VALUE = re.compile(r"[\w .,:@+-]*")
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/._~-]*")
# A decoded token that is one word (a user name, an id): unlike a plain *value*, decoded text is
# not in the field already, so only this is skipped ("1 UNION SELECT a, b FROM t--" is plain).
_ONE_WORD = re.compile(r"[\w.:@+-]*")
# Words and numbers joined by "+", as a form encodes a phrase: a word is capitalised or lower case.
_WORDS_JOINED = re.compile(r"(?:[A-Z]?[a-z]*|[0-9]+)(?:\+(?:[A-Z]?[a-z]*|[0-9]+))*")
# A string of a plain JSON text that could be a base64 token, and is not a member name.
_JSON_TOKEN = re.compile(r'"([A-Za-z0-9+_-]{6,8192})"(?!\s*:)')

_JSON_START = frozenset(b'{["')
# A JSON text made only of these has no escape and no non-plain member or scalar (one C scan).
_PLAIN_JSON = re.compile(r'[\w\s.,:@+\-{}\[\]"]*')


def _no_upper(text: str) -> bool:
    """No upper-case letter (``str.lower`` has an ASCII fast path; ``str.islower`` does not)."""
    return text.lower() == text


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
    out += base64_views((leaf.pointer, leaf.value) for leaf in doc.leaves)
    return tuple(out[:MAX_VIEWS])


def base64_view(value: str, plus_is_space: bool = False) -> str | None:
    """``value`` decoded when it is wholly one base64 token and decodes to non-plain text.

    ``plus_is_space``: a form-encoded value (query argument, form field), where a raw ``+`` is
    a space. A well-behaved client sends base64's ``+`` as ``%2B``, but attack tools paste the
    token raw, so only a value whose ``+``-joined pieces all read as words or numbers
    ("Jane+Doe+42") is taken for words; any other is tried as base64 (it still has to decode to
    mostly printable text that is not one bare word)."""
    if len(value) < MIN_BASE64 or _no_upper(value) or value.upper() == value:
        # Base64 of 6+ bytes of text all but always mixes cases; one case is a word, a hex id,
        # a form value ("leave+at+the+door"): not decoded, at no cost.
        return None
    if plus_is_space and "+" in value and _WORDS_JOINED.fullmatch(value):
        return None
    if "%" in value:
        for escape, char in _ESCAPES:
            value = value.replace(escape, char)
    if _B64_VALUE.fullmatch(value) is None:
        return None
    decoded = decode_token(value.rstrip("=").encode("ascii"))
    if decoded is None or _ONE_WORD.fullmatch(decoded):
        return None
    return decoded


def base64_views(pairs: Iterable[tuple[str, str]], plus_is_space: bool = False) -> list[tuple[str, str]]:
    """The base64 views of (name, value) pairs, at most ``MAX_BASE64``."""
    out: list[tuple[str, str]] = []
    for name, value in pairs:
        # A space is never part of a token (``_B64_VALUE``): a phrase is out before ``_no_upper``
        # copies it (a 2 KB form field of words: ~10 k instructions).
        if len(value) >= MIN_BASE64 and " " not in value and not _no_upper(value):
            decoded = base64_view(value, plus_is_space)
            if decoded is not None:
                out.append((f"{name}:base64", decoded))
                if len(out) >= MAX_BASE64:
                    break
    return out


def path_views(path: str) -> Pairs:
    """Each path segment (matrix parameters cut off) and matrix parameter value, raw; base64
    views of segments, and of the whole path when it is one token (base64's ``/`` splits it)."""
    plain = _PLAIN_PATH.fullmatch
    if plain(path):
        if _no_upper(path):  # no upper-case letter: no base64 candidate (``base64_view``)
            return ()
        views = base64_views(("segment", s) for s in path.split("/") if len(s) >= MIN_BASE64)
        return tuple(views + _whole_path_base64(path))
    out: list[tuple[str, str]] = []
    for segment in path.split("/"):
        if not segment:
            continue
        if plain(segment):
            out += base64_views((("segment", segment),))
            continue
        head, *params = segment.split(";")
        if head and not plain(head):
            out.append(("segment", head))
        out += base64_views((("segment", head),))
        for param in params:
            name, _, value = param.partition("=")
            if value and not plain(value):
                out.append((f";{name}", value))
            out += base64_views(((f";{name}", value),))
        if len(out) >= MAX_VIEWS:
            return tuple(out[:MAX_VIEWS])
    if not _no_upper(path):
        out += _whole_path_base64(path)
    return tuple(out)


def _whole_path_base64(path: str) -> list[tuple[str, str]]:
    """``/PHN2Zy9vbmxvYWQ9YWxlcnQoMSk+`` split at base64's own ``/``: the path as one token."""
    tail = path[1:]
    if "/" not in tail:
        return []  # one segment: already a segment view
    decoded = base64_view(tail)
    return [] if decoded is None else [("path:base64", decoded)]


def query_views(query: str) -> Pairs:
    """Base64 views of the query arguments' values."""
    if len(query) < MIN_BASE64 or _no_upper(query):  # no upper-case letter: no base64 candidate
        return ()
    return tuple(base64_views(parse_query(query), plus_is_space=True))


#: Headers whose values are never decoded: credentials (a view could reach a match log) and the
#: cookie header, which ``header_views`` reads cookie by cookie.
_NOT_DECODED = frozenset({"authorization", "proxy-authorization", "cookie"})


def header_views(spec: FieldSpec, request: WafRequest, selected: Pairs) -> Pairs:
    """Base64 views of the cookie values (when the ``Headers`` field inspects ``cookie``) and of
    every other inspected header value that is wholly one base64 token (``X-Data: PHN2Zz4=``).

    ``selected`` is the field's own (name, value) pairs, so its MatchPattern holds for the views.
    A header value is mostly a word, a number, a date, a URL or a product list: the first space,
    colon or semicolon ends the token test (``base64_view``), so a browser's headers cost a few
    C-level checks."""
    if spec.scope == "KEY":
        return ()
    # A token has no space, "." or ";": those tests (no regex call, ~2 k instructions each) leave
    # a browser's Host, User-Agent, Accept... out at once.
    candidates = [
        (n, v)
        for n, v in selected
        if len(v) >= MIN_BASE64
        and " " not in v
        and "." not in v
        and ";" not in v
        and n.lower() not in _NOT_DECODED
    ]
    out = base64_views(candidates) if candidates else []
    if "cookie" in spec.excluded or (spec.included is not None and "cookie" not in spec.included):
        return tuple(out)
    cookies = request.header_values("cookie")
    if cookies and not all(map(_no_upper, cookies)):
        out += base64_views(parse_cookies(cookies))
    return tuple(out[:MAX_BASE64])


def body_views(request: WafRequest, whole: str, parsed: Callable[[], JsonDocument | InvalidJson]) -> Pairs:
    """JSON views of a JSON body, XML views of an XML body; base64 views of form fields, and
    multipart parts with their names, file names and media types, otherwise."""
    body = request.body
    if looks_like_json(body):
        if plain_json(whole):  # no view but base64 ones: found without parsing
            return tuple(base64_views(("json", m) for m in _JSON_TOKEN.findall(whole)))
        return json_views(parsed())
    ctype = request.header_values("content-type")
    if looks_like_xml(body) and (whole.startswith("<?xml") or (ctype and "xml" in ctype[0].lower())):
        return xml_views(whole)  # an XML media type or declaration: a body of markup is not enough
    if ctype:
        boundary = multipart_boundary(ctype[0])
        if boundary is not None:
            return multipart_views(parse_multipart(body, boundary, max_parts=MAX_BASE64))
        if "x-www-form-urlencoded" in ctype[0].lower():
            return tuple(base64_views(parse_query(whole.rstrip("\r\n")), plus_is_space=True))
    # Any other body (no media type, or one its bytes do not parse as): the whole body may be one
    # base64 token, as an API that takes an encoded blob receives it.
    return tuple(base64_views((("body", whole.strip()),)))


def xml_views(text: str) -> Pairs:
    """Every text node and attribute value of an XML body that is not plain text, entities and
    CDATA resolved (``parsing._xml``: a scan, no entity of the sender's expanded), and the
    base64 views of the values."""
    values = xml_values(text, max_values=MAX_VIEWS)
    plain = _PLAIN_VALUE.fullmatch
    out = [(name, value) for name, value in values if name != "text:token" and not plain(value)]
    out += base64_views((name, value.strip()) for name, value in values)
    return tuple(out[:MAX_VIEWS])


# A media type as clients send it (``image/png``, ``text/csv; charset=utf-8``): no view.
_PLAIN_MEDIA_TYPE = re.compile(
    r"[\w.+-]{1,64}/[\w.+-]{1,128}(?:\s{0,4};\s{0,4}[\w.-]{1,32}=\"?[\w.+-]{1,64}\"?){0,4}"
)


def multipart_views(parts: list[Part]) -> Pairs:
    """Each part's name, file name and media type when not plain (``../../etc/passwd``,
    ``x.php;.jpg``, ``"><svg onload=...>`` in a header parameter), and each part value's base64
    view. The whole body shows them too, but inside ``Content-Disposition`` quoting, glued to the
    header around them."""
    plain = _PLAIN_VALUE.fullmatch
    out: list[tuple[str, str]] = []
    for part in parts:
        name = part.name or ""
        if name and not plain(name):
            out.append(("part-name", name))
        if part.filename and not plain(part.filename):
            out.append((f"{name}:filename", part.filename))
        media = part.content_type
        if media and _PLAIN_MEDIA_TYPE.fullmatch(media.strip()) is None:
            out.append((f"{name}:content-type", media))
    out += base64_views((part.name or "", part.value.strip()) for part in parts)
    return tuple(out[:MAX_VIEWS])
