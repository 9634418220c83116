"""``FieldToMatch``: which part of the request a statement inspects, parsed to a hashable spec.

The spec is a frozen value so the compiler can group statements by (field, transformation chain)
and the evaluator can cache the extracted values per request (see ``context``). Extraction itself
lives in ``extract``; this module only validates the AWS shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from wafproxy.engine.doc import Node

OVERSIZE = ("CONTINUE", "MATCH", "NO_MATCH")
SCOPES = ("ALL", "KEY", "VALUE")
FIELD_KINDS = (
    "UriPath",
    "QueryString",
    "SingleQueryArgument",
    "AllQueryArguments",
    "Method",
    "SingleHeader",
    "Headers",
    "Cookies",
    "HeaderOrder",
    "Body",
    "JsonBody",
    "UriFragment",
    "JA3Fingerprint",
    "JA4Fingerprint",
)
# AWS log ``location`` of the match details, per field kind.
LOCATIONS = {
    "UriPath": "URI",
    "QueryString": "QUERY_STRING",
    "SingleQueryArgument": "SINGLE_QUERY_ARG",
    "AllQueryArguments": "ALL_QUERY_ARGS",
    "Method": "METHOD",
    "SingleHeader": "HEADER",
    "Headers": "HEADERS",
    "Cookies": "COOKIES",
    "HeaderOrder": "HEADER_ORDER",
    "Body": "BODY",
    "JsonBody": "BODY",
    "UriFragment": "URI_FRAGMENT",
    "JA3Fingerprint": "JA3_FINGERPRINT",
    "JA4Fingerprint": "JA4_FINGERPRINT",
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One ``FieldToMatch``. Names are lowercased where AWS matches them case-insensitively."""

    kind: str
    name: str = ""  # SingleHeader / SingleQueryArgument
    scope: str = ""  # KEY / VALUE / ALL (Headers, Cookies, JsonBody)
    included: tuple[str, ...] | None = None  # None = All
    excluded: tuple[str, ...] = ()
    oversize: str = "CONTINUE"
    fallback: str = ""  # JsonBody InvalidFallbackBehavior; JA3/JA4/UriFragment FallbackBehavior
    # wafproxy extension, set only for shipped managed groups' pattern and detector statements:
    # the field's values also include its carrier views (``views``: JSON strings, path segments).
    views: bool = False

    @property
    def location(self) -> str:
        return LOCATIONS[self.kind]

    @property
    def is_body(self) -> bool:
        return self.kind in ("Body", "JsonBody")

    def describe(self) -> str:
        """A short label for explanations and logs (``SingleHeader:user-agent``)."""
        return f"{self.kind}:{self.name}" if self.name else self.kind


def parse_field(node: Node) -> FieldSpec:
    kind, inner = node.one_of(FIELD_KINDS)
    if kind in ("UriPath", "QueryString", "AllQueryArguments", "Method"):
        inner.empty_obj()
        return FieldSpec(kind)
    if kind in ("SingleHeader", "SingleQueryArgument"):
        inner.obj(required=("Name",))
        name = inner.at("Name").str_(1, 64)
        if not name.strip():
            inner.at("Name").fail("must contain a non-space character")
        return FieldSpec(kind, name=name.lower())
    if kind in ("Headers", "Cookies"):
        inner.obj(required=("MatchPattern", "MatchScope", "OversizeHandling"))
        noun = "Headers" if kind == "Headers" else "Cookies"
        included, excluded = _map_pattern(inner.at("MatchPattern"), f"Included{noun}", f"Excluded{noun}")
        return FieldSpec(
            kind,
            scope=inner.at("MatchScope").enum(SCOPES),
            included=included,
            excluded=excluded,
            oversize=inner.at("OversizeHandling").enum(OVERSIZE),
        )
    if kind == "HeaderOrder":
        inner.obj(required=("OversizeHandling",))
        return FieldSpec(kind, oversize=inner.at("OversizeHandling").enum(OVERSIZE))
    if kind == "Body":
        inner.obj(optional=("OversizeHandling",))
        over = inner.opt("OversizeHandling")
        return FieldSpec(kind, oversize=over.enum(OVERSIZE) if over else "CONTINUE")
    if kind == "JsonBody":
        inner.obj(
            required=("MatchPattern", "MatchScope"), optional=("InvalidFallbackBehavior", "OversizeHandling")
        )
        pattern = inner.at("MatchPattern")
        key, pnode = pattern.one_of(("All", "IncludedPaths"))
        paths: tuple[str, ...] | None = None
        if key == "All":
            pnode.empty_obj()
        else:
            paths = tuple(_json_pointer(p) for p in pnode.items(min_len=1))
        fb = inner.opt("InvalidFallbackBehavior")
        over = inner.opt("OversizeHandling")
        return FieldSpec(
            kind,
            scope=inner.at("MatchScope").enum(SCOPES),
            included=paths,
            oversize=over.enum(OVERSIZE) if over else "CONTINUE",
            fallback=fb.enum(("MATCH", "NO_MATCH", "EVALUATE_AS_STRING")) if fb else "",
        )
    if kind == "UriFragment":
        inner.obj(optional=("FallbackBehavior",))
        fb = inner.opt("FallbackBehavior")
        return FieldSpec(kind, fallback=fb.enum(("MATCH", "NO_MATCH")) if fb else "")
    # JA3Fingerprint / JA4Fingerprint: the adapter fills them from our own TLS handshake.
    inner.obj(required=("FallbackBehavior",))
    return FieldSpec(kind, fallback=inner.at("FallbackBehavior").enum(("MATCH", "NO_MATCH")))


def _map_pattern(node: Node, inc_key: str, exc_key: str) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    key, inner = node.one_of(("All", inc_key, exc_key))
    if key == "All":
        inner.empty_obj()
        return None, ()
    names = tuple(item.str_(1, 64).lower() for item in inner.items(min_len=1, max_len=199))
    return (names, ()) if key == inc_key else (None, names)


def _json_pointer(node: Node) -> str:
    text = node.str_(1, 512)
    if not text.startswith("/"):
        node.fail(f"{text!r} is not a JSON pointer (RFC 6901): it must start with '/'")
    for i, ch in enumerate(text):
        if ch == "~" and (i + 1 >= len(text) or text[i + 1] not in "01"):
            node.fail(f"{text!r} is not a JSON pointer: '~' must be followed by 0 or 1")
    return text
