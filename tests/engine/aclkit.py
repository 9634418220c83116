"""Builders for web ACL documents in tests: terse, but producing the exact AWS shapes."""

from __future__ import annotations

from typing import Any

from wafproxy.engine import CompiledWebACL, DocumentIndex, WafRequest, compile_web_acl

VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}


def rule(
    name: str,
    priority: int,
    statement: dict[str, Any],
    action: str | dict[str, Any] = "Block",
    labels: tuple[str, ...] = (),
    **extra: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Name": name,
        "Priority": priority,
        "Statement": statement,
        "VisibilityConfig": VIS,
    }
    if "OverrideAction" not in extra:
        out["Action"] = {action: {}} if isinstance(action, str) else action
    if labels:
        out["RuleLabels"] = [{"Name": lb} for lb in labels]
    out.update(extra)
    return out


def web_acl(*rules: dict[str, Any], default: str | dict[str, Any] = "Allow", **extra: Any) -> dict[str, Any]:
    return {
        "Name": "test-acl",
        "DefaultAction": {default: {}} if isinstance(default, str) else default,
        "VisibilityConfig": VIS,
        "Rules": list(rules),
        **extra,
    }


def tt(*types: str) -> list[dict[str, Any]]:
    return [{"Priority": i, "Type": t} for i, t in enumerate(types or ("NONE",))]


def byte_match(
    search: str,
    field: dict[str, Any] | None = None,
    position: str = "CONTAINS",
    transforms: tuple[str, ...] = ("NONE",),
) -> dict[str, Any]:
    return {
        "ByteMatchStatement": {
            "SearchString": search,
            "FieldToMatch": field or {"UriPath": {}},
            "TextTransformations": tt(*transforms),
            "PositionalConstraint": position,
        }
    }


def compile_with(document: dict[str, Any], *docs: dict[str, Any], **kwargs: Any) -> CompiledWebACL:
    index = DocumentIndex()
    for doc in docs:
        index.add_document(doc, "test")
    return compile_web_acl(document, resolver=index, **kwargs)


def req(
    path: str = "/",
    *,
    ip: str = "203.0.113.9",
    method: str = "GET",
    query: str = "",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
    body_size: int | None = None,
    **kwargs: Any,
) -> WafRequest:
    return WafRequest(
        client_ip=ip,
        method=method,
        uri_path=path,
        query_string=query,
        headers=headers,
        body=body,
        body_size=len(body) if body_size is None else body_size,
        **kwargs,
    )
