"""Extracting a ``FieldToMatch`` from a ``WafRequest``: the raw values a statement inspects.

Each field yields (name, value) pairs — name is the header/argument/cookie name or JSON pointer,
for evidence — plus ``forced``: True/False when ``OversizeHandling`` or a fallback behaviour decides
the match without inspection, None when the values are to be inspected. AWS inspection limits
(WAF developer guide, "Oversize web request components"): the first 8 KB or 200 headers, the first
8 KB or 200 cookies; the body up to the web ACL's inspection limit (the adapter truncates it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from itertools import chain
from typing import Any, NamedTuple

from wafproxy.engine.fields import FieldSpec
from wafproxy.engine.parsing import parse_cookies, parse_json, parse_query
from wafproxy.engine.request import WafRequest
from wafproxy.engine.transforms import from_bytes, to_bytes

MAX_HEADERS = 200
MAX_HEADER_BYTES = 8 * 1024
MAX_COOKIES = 200
MAX_COOKIE_BYTES = 8 * 1024

Pairs = tuple[tuple[str, str], ...]


class FieldValues(NamedTuple):
    """A field's (name, value) pairs. A named tuple, built on the hot paths with ``values_of``
    (``tuple.__new__``, a C call): a frozen dataclass's ``__init__`` ran once per field and slot
    of every request."""

    values: Pairs
    forced: bool | None = None  # True: matches, False: does not, None: inspect ``values``


#: ``values_of((pairs, forced))`` == ``FieldValues(pairs, forced)``, without a Python frame.
values_of: Callable[[tuple[Pairs, bool | None]], FieldValues] = partial(tuple.__new__, FieldValues)  # type: ignore[assignment]


NO_VALUES = FieldValues(())
FORCED_MATCH = FieldValues((), True)
FORCED_NO_MATCH = FieldValues((), False)

Extractor = Callable[[FieldSpec, WafRequest], FieldValues]
EXTRACTORS: dict[str, Extractor] = {}


def extractor(kind: str) -> Callable[[Extractor], Extractor]:
    def register(func: Extractor) -> Extractor:
        EXTRACTORS[kind] = func
        return func

    return register


def extract(spec: FieldSpec, request: WafRequest) -> FieldValues:
    return EXTRACTORS[spec.kind](spec, request)


def body_text(body: bytes) -> str:
    """Bodies are bytes; values are text. The lossless mapping (``transforms.from_bytes``) keeps
    every byte, so a pattern scan sees exactly what was sent."""
    return from_bytes(body)


def _oversize(spec: FieldSpec) -> FieldValues | None:
    if spec.oversize == "MATCH":
        return FORCED_MATCH
    if spec.oversize == "NO_MATCH":
        return FORCED_NO_MATCH
    return None


@extractor("UriPath")
def _uri_path(spec: FieldSpec, request: WafRequest) -> FieldValues:
    return values_of(((("", request.uri_path),), None))


@extractor("QueryString")
def _query_string(spec: FieldSpec, request: WafRequest) -> FieldValues:
    return values_of(((("", request.query_string),), None))


@extractor("Method")
def _method(spec: FieldSpec, request: WafRequest) -> FieldValues:
    return values_of(((("", request.method),), None))


@extractor("SingleHeader")
def _single_header(spec: FieldSpec, request: WafRequest) -> FieldValues:
    found = request.header_values(spec.name)
    if not found:
        return NO_VALUES  # most single headers a rule names are absent: one shared object
    if len(found) == 1:
        return values_of((((spec.name, found[0]),), None))
    return values_of((tuple([(spec.name, v) for v in found]), None))


@extractor("UriFragment")
def _uri_fragment(spec: FieldSpec, request: WafRequest) -> FieldValues:
    if not request.uri_fragment and spec.fallback:
        return FieldValues((), spec.fallback == "MATCH")
    return FieldValues((("", request.uri_fragment),))


def _fingerprint(value: str | None, spec: FieldSpec) -> FieldValues:
    if not value:
        return FieldValues((), spec.fallback == "MATCH")
    return FieldValues((("", value),))


@extractor("JA3Fingerprint")
def _ja3(spec: FieldSpec, request: WafRequest) -> FieldValues:
    return _fingerprint(request.ja3_fingerprint, spec)


@extractor("JA4Fingerprint")
def _ja4(spec: FieldSpec, request: WafRequest) -> FieldValues:
    return _fingerprint(request.ja4_fingerprint, spec)


def _limited_headers(request: WafRequest) -> tuple[tuple[tuple[str, str], ...], bool]:
    """Headers within AWS's inspection limits, and whether some were left out."""
    loose: Any = request  # Any: compiled (mypyc), ``headers`` of lists are not refused as non-tuples
    headers = loose.headers
    if len(headers) <= MAX_HEADERS and (
        sum(map(len, chain.from_iterable(headers))) + 4 * len(headers) <= MAX_HEADER_BYTES
    ):
        return tuple(headers), False  # all within the limits (the loop below would keep every one)
    out: list[tuple[str, str]] = []
    size = 0
    for name, value in headers:
        size += len(name) + len(value) + 4
        if len(out) >= MAX_HEADERS or size > MAX_HEADER_BYTES:
            return tuple(out), True
        out.append((name, value))
    return tuple(out), False


def _select(spec: FieldSpec, pairs: Pairs) -> Pairs:
    """Apply MatchPattern (All / Included / Excluded, names lowercased) and MatchScope."""
    if spec.included is None and spec.scope == "VALUE":  # the common shape: values, some names left out
        excluded = spec.excluded
        return tuple([pair for pair in pairs if pair[0].lower() not in excluded])
    out: list[tuple[str, str]] = []
    for name, value in pairs:
        low = name.lower()
        if spec.included is not None and low not in spec.included:
            continue
        if low in spec.excluded:
            continue
        if spec.scope in ("KEY", "ALL"):
            out.append((name, name))
        if spec.scope in ("VALUE", "ALL"):
            out.append((name, value))
    return tuple(out)


@extractor("Headers")
def _headers(spec: FieldSpec, request: WafRequest) -> FieldValues:
    pairs, over = _limited_headers(request)
    if over and (forced := _oversize(spec)) is not None:
        return forced
    return values_of((_select(spec, pairs), None))


@extractor("HeaderOrder")
def _header_order(spec: FieldSpec, request: WafRequest) -> FieldValues:
    # AWS: the header names in arrival order, separated by colons.
    pairs, over = _limited_headers(request)
    if over and (forced := _oversize(spec)) is not None:
        return forced
    return values_of(((("", ":".join([name.lower() for name, _ in pairs])),), None))


@extractor("Cookies")
def _cookies(spec: FieldSpec, request: WafRequest) -> FieldValues:
    cookies = parse_cookies(request.header_values("cookie"))
    size = sum(len(k) + len(v) + 2 for k, v in cookies)
    if len(cookies) > MAX_COOKIES or size > MAX_COOKIE_BYTES:
        if (forced := _oversize(spec)) is not None:
            return forced
        cookies = cookies[:MAX_COOKIES]
    return FieldValues(_select(spec, tuple(cookies)))


@extractor("SingleQueryArgument")
def _single_arg(spec: FieldSpec, request: WafRequest) -> FieldValues:
    return FieldValues(tuple((k, v) for k, v in parse_query(request.query_string) if k.lower() == spec.name))


@extractor("AllQueryArguments")
def _all_args(spec: FieldSpec, request: WafRequest) -> FieldValues:
    return FieldValues(tuple(parse_query(request.query_string)))


@extractor("Body")
def _body(spec: FieldSpec, request: WafRequest) -> FieldValues:
    if request.body_truncated and (forced := _oversize(spec)) is not None:
        return forced
    return values_of(((("", body_text(request.body)),), None))


@extractor("JsonBody")
def _json_body(spec: FieldSpec, request: WafRequest) -> FieldValues:
    """Standalone path (tests, tools); the evaluator memoises the parse across JsonBody fields."""
    if request.body_truncated and (forced := _oversize(spec)) is not None:
        return forced
    from wafproxy.engine.jsonfield import select_json  # jsonfield imports this module

    return select_json(spec, parse_json(request.body), request.body, request.body_truncated)


def oversize_verdict(spec: FieldSpec, request: WafRequest) -> FieldValues | None:
    """The forced result of a truncated body under ``spec.OversizeHandling``, if any."""
    return _oversize(spec) if request.body_truncated else None


def _byte_len(text: str) -> int:
    return len(text) if text.isascii() else len(to_bytes(text))


def _query_bound(request: WafRequest) -> int:
    return _byte_len(request.query_string)


def _cookie_bound(request: WafRequest) -> int:
    return max((_byte_len(v) for v in request.header_values("cookie")), default=0)


def size_bound(spec: FieldSpec) -> Callable[[WafRequest], int] | None:
    """For an untransformed field whose every value (and key) is a substring of one raw request
    part, a function giving that part's size in bytes: no value can be larger, so a
    ``SizeConstraint`` GT/GE above it is decided without parsing the part. ``to_bytes`` of a
    substring is never longer than ``to_bytes`` of the whole (each character keeps its width,
    and only a whole that needs ``surrogatepass`` widens its byte escapes). Fields that can be
    forced (``OversizeHandling`` other than CONTINUE) get none.
    """
    if spec.kind in ("AllQueryArguments", "SingleQueryArgument"):
        return _query_bound
    if spec.kind == "Cookies" and spec.oversize == "CONTINUE":
        return _cookie_bound
    return None
