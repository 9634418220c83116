"""Wire form ↔ file form of documents: the one blob member of the wafv2 model.

``ByteMatchStatement.SearchString`` is a blob, so on the JSON 1.1 wire it is base64 (botocore
encodes it on the way in and decodes it on the way out). Rule files may hold it as plain text
(``SearchString``) or base64 (``SearchStringBase64``), both of which the engine accepts. Documents
that arrive through the API are stored with ``SearchStringBase64`` (byte-exact, no re-encoding), and
every document leaving through the API carries base64 ``SearchString``.
"""

from __future__ import annotations

import base64
from typing import Any

_BYTE_MATCH = "ByteMatchStatement"


def to_wire(value: Any) -> Any:
    """A deep copy with every ByteMatchStatement's search string as base64 ``SearchString``."""
    if isinstance(value, dict):
        out = {k: to_wire(v) for k, v in value.items()}
        bm = out.get(_BYTE_MATCH)
        if isinstance(bm, dict):
            bm = dict(bm)
            if "SearchStringBase64" in bm:
                bm["SearchString"] = bm.pop("SearchStringBase64")
            elif isinstance(bm.get("SearchString"), str):
                bm["SearchString"] = base64.b64encode(bm["SearchString"].encode()).decode()
            out[_BYTE_MATCH] = bm
        return out
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    return value


def from_wire(value: Any) -> Any:
    """A deep copy with every ByteMatchStatement's base64 ``SearchString`` as ``SearchStringBase64``."""
    if isinstance(value, dict):
        out = {k: from_wire(v) for k, v in value.items()}
        bm = out.get(_BYTE_MATCH)
        if isinstance(bm, dict) and "SearchString" in bm:
            bm = dict(bm)
            bm["SearchStringBase64"] = bm.pop("SearchString")
            out[_BYTE_MATCH] = bm
        return out
    if isinstance(value, list):
        return [from_wire(v) for v in value]
    return value


_REF_KINDS = {
    "IPSetReferenceStatement": "ipset",
    "RegexPatternSetReferenceStatement": "regexpatternset",
    "RuleGroupReferenceStatement": "rulegroup",
}


def qualify_refs(value: Any, arn_of: Any) -> Any:
    """Rule files may reference documents by bare name; the API shows full ARNs (the model requires
    ARNs of at least 20 characters, so a GetWebACL → UpdateWebACL round trip must carry them).
    ``arn_of(kind, name)`` returns the ARN or None (left as it is)."""
    if isinstance(value, dict):
        out = {k: qualify_refs(v, arn_of) for k, v in value.items()}
        for key, kind in _REF_KINDS.items():
            ref = out.get(key)
            if (
                isinstance(ref, dict)
                and isinstance(ref.get("ARN"), str)
                and not ref["ARN"].startswith("arn:")
            ):
                arn = arn_of(kind, ref["ARN"])
                if arn is not None:
                    out[key] = {**ref, "ARN": arn}
        return out
    if isinstance(value, list):
        return [qualify_refs(v, arn_of) for v in value]
    return value
