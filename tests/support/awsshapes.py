"""Strict boto3 clients: every parsed response is checked against botocore's own output shape.

botocore parses what a server sends leniently: a member absent from the model is dropped, a string
where the model says ``timestamp`` may pass through, a required member may be missing. A user's
code then fails later (``KeyError``, ``.isoformat()`` on a str). ``strict(client)`` registers an
``after-call`` hook that walks the parsed response against the operation's output shape and raises
``ShapeMismatch`` naming the path (``Findings[0].CreatedAt: expected datetime, got str``), so every
call a test makes through the client is also a conformance check.
"""

from __future__ import annotations

import datetime
from typing import Any

from botocore.model import Shape

_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "double": (float, int),
    "float": (float, int),
    "timestamp": (datetime.datetime,),
    "blob": (bytes, bytearray),
}


class ShapeMismatch(AssertionError):
    """The response does not fit the documented shape; ``path`` names the member."""


def problems(shape: Shape | None, value: Any, path: str = "") -> list[str]:
    """Every way ``value`` (a parsed response or part of one) departs from ``shape``."""
    if shape is None:
        return []
    kind = shape.type_name
    where = path or "(response)"
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: expected structure, got {type(value).__name__}"]
        out = [
            f"{path + '.' if path else ''}{name}: required member missing"
            for name in shape.required_members
            if name not in value and not shape.members[name].serialization.get("location")
        ]
        for name, member in shape.members.items():
            if name in value and name != "ResponseMetadata":
                out += problems(member, value[name], f"{path + '.' if path else ''}{name}")
        return out
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: expected list, got {type(value).__name__}"]
        return [p for i, v in enumerate(value) for p in problems(shape.member, v, f"{path}[{i}]")]  # type: ignore[attr-defined]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected map, got {type(value).__name__}"]
        out = []
        for k, v in value.items():
            out += problems(shape.key, k, f"{path}<key>")  # type: ignore[attr-defined]
            out += problems(shape.value, v, f"{path}[{k!r}]")  # type: ignore[attr-defined]
        return out
    wanted = _SCALARS.get(kind)
    if wanted is None:
        return []
    if kind in ("integer", "long", "double", "float") and isinstance(value, bool):
        return [f"{where}: expected {kind}, got bool"]
    if not isinstance(value, wanted):
        return [f"{where}: expected {kind}, got {type(value).__name__} {str(value)[:40]!r}"]
    # Enums are not checked: AWS treats them as open (new values appear; botocore passes any string),
    # and wafproxy's findings name their own resource kinds (AWS_WAFPROXY_ENDPOINT).
    return []


def strict(client: Any) -> Any:
    """``client`` with every successful response checked against its operation's output shape."""

    def check(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if http_response.status_code >= 300:
            return
        found = problems(model.output_shape, parsed)
        if found:
            raise ShapeMismatch(f"{model.name}: " + "; ".join(found[:10]))

    client.meta.events.register("after-call", check)
    return client
