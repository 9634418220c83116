"""``JsonBody``: selecting keys and values of the parsed body by MatchPattern and MatchScope.

AWS semantics (WAF developer guide, "JSON body"): ``IncludedPaths`` are RFC 6901 pointers (a
path includes what lies below it); ``MatchScope`` KEY / VALUE / ALL; invalid JSON follows
``InvalidFallbackBehavior`` — MATCH, NO_MATCH, or EVALUATE_AS_STRING (the whole body as text);
without one, what parsed before the first error is inspected. The body is parsed once per request
(the evaluator memoises ``parse_json``) however many JsonBody fields the ACL uses.
"""

from __future__ import annotations

from wafproxy.engine.extract import FORCED_MATCH, FORCED_NO_MATCH, FieldValues, body_text
from wafproxy.engine.fields import FieldSpec
from wafproxy.engine.parsing import InvalidJson, JsonDocument


def _included(pointer: str, paths: tuple[str, ...] | None) -> bool:
    if paths is None:
        return True
    return any(pointer == p or pointer.startswith(p.rstrip("/") + "/") for p in paths)


def cut_by_truncation(parsed: InvalidJson, body: bytes) -> bool:
    """Whether a parse failure is only the inspection limit cutting the document short.

    The parser stops at the end of input, or at a string that never closes before the cut.
    Invalid JSON *before* the cut is still invalid and gets ``InvalidFallbackBehavior``.
    """
    if parsed.offset >= len(body) or "end of input" in parsed.reason:
        return True
    return body[parsed.offset : parsed.offset + 1] == b'"' and body.find(b'"', parsed.offset + 1) < 0


def select_json(
    spec: FieldSpec, parsed: JsonDocument | InvalidJson, body: bytes, truncated: bool = False
) -> FieldValues:
    """The values ``spec`` selects.

    A body cut at the inspection limit (``truncated``; OversizeHandling CONTINUE got us here) whose
    only flaw is the cut is inspected as far as it parsed, as CONTINUE promises: a MATCH fallback
    would block every large JSON request, a NO_MATCH one would let padding past the limit hide
    the whole body. EVALUATE_AS_STRING still inspects the text, which loses nothing.
    """
    cut = truncated and spec.fallback != "EVALUATE_AS_STRING"
    if isinstance(parsed, InvalidJson) and not (cut and cut_by_truncation(parsed, body)):
        if spec.fallback == "MATCH":
            return FORCED_MATCH
        if spec.fallback == "NO_MATCH":
            return FORCED_NO_MATCH
        if spec.fallback == "EVALUATE_AS_STRING":
            return FieldValues((("", body_text(body)),))
    if isinstance(parsed, InvalidJson):
        doc = parsed.partial
    else:
        doc = parsed
    out: list[tuple[str, str]] = []
    paths = spec.included
    if spec.scope in ("KEY", "ALL"):
        if paths is None:
            out.extend([(k.pointer, k.key) for k in doc.keys])
        else:
            out.extend([(k.pointer, k.key) for k in doc.keys if _included(k.pointer, paths)])
    if spec.scope in ("VALUE", "ALL"):
        if paths is None:
            out.extend([(leaf.pointer, leaf.value) for leaf in doc.leaves])
        else:
            out.extend([(leaf.pointer, leaf.value) for leaf in doc.leaves if _included(leaf.pointer, paths)])
    return FieldValues(tuple(out))
