"""A response's raw JSON body checked against botocore's output shape, before botocore parses it.

Why: botocore's parser is lenient. It drops members the model does not define, passes any string for
an enum, reads an ISO string where the model says epoch seconds, and fills nothing in for a missing
required member. boto3 users (and the probes that measure us) then meet the gap later, and other
SDKs (Go, JS v3) fail outright. So the check reads the bytes on the wire: every member is defined by
the shape (by its wire name: ``locationName``/``jsonName``), has the wire type the protocol gives
that shape, a timestamp is in the model's format (epoch seconds for ``json``/``rest-json`` unless
``timestampFormat`` says otherwise) and parses, an enum value is one the enum lists, and every
``required`` body member is present.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from typing import Any

from botocore.model import OperationModel, Shape

# Enum values the model does not list that we answer on purpose: our own resource kind in findings
# (the ASFF/Inspector "Type"/"resourceType" of the endpoint we assess) — documented in docs/hub.md.
OPEN_ENUMS: frozenset[tuple[str, str]] = frozenset()


def body_problems(op: OperationModel, raw: bytes) -> list[str]:
    """Every way the raw success body of ``op`` departs from its output shape (empty: it fits)."""
    shape = op.output_shape
    if shape is None:
        return [] if not raw.strip() or raw.strip() == b"{}" else ["(body): operation has no output"]
    payload = shape.serialization.get("payload")
    if payload:  # rest-json: one member is the whole body
        shape = shape.members[payload]
    if not raw.strip():
        return (
            [f"{n}: required member missing" for n in _body_required(shape)]
            if shape.type_name == "structure"
            else []
        )
    try:
        value = json.loads(raw)
    except ValueError as exc:
        return [f"(body): not JSON ({exc})"]
    return _check(shape, value, "", top=True)


def error_problems(op: OperationModel, raw: bytes) -> list[str]:
    """The raw error body of ``op`` against the error shape its code names (when the operation
    declares it): ``required`` members present (Inspector2's ``reason``), none undefined."""
    try:
        value = json.loads(raw)
    except ValueError:
        return ["(error body): not JSON"]
    if not isinstance(value, dict):
        return ["(error body): not an object"]
    code = str(value.get("__type", "")).rsplit("#", 1)[-1]
    shape = next((e for e in op.error_shapes if e.name == code), None)
    if shape is None:
        return []
    return [f"{code} {p}" for p in _check(shape, value, "", top=True)]


def _wire(name: str, member: Shape) -> str:
    return str(member.serialization.get("name", name))


def _body_required(shape: Shape) -> list[str]:
    return [n for n in shape.required_members if not shape.members[n].serialization.get("location")]


def _check(shape: Shape, value: Any, path: str, *, top: bool = False) -> list[str]:
    where = path or "(body)"
    if value is None:
        return []  # JSON null reads as absent (botocore skips it; AWS never sends it for a required member)
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape, value, path, top)
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: expected list, got {type(value).__name__}"]
        member: Shape = shape.member  # type: ignore[attr-defined]
        return [p for i, v in enumerate(value) for p in _check(member, v, f"{path}[{i}]")]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected map, got {type(value).__name__}"]
        out: list[str] = []
        for k, v in value.items():
            out += _scalar(shape.key, k, f"{path}<key {k!r}>")  # type: ignore[attr-defined]
            out += _check(shape.value, v, f"{path}[{k!r}]")  # type: ignore[attr-defined]
        return out
    return _scalar(shape, value, where)


def _structure(shape: Shape, value: Any, path: str, top: bool) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path or '(body)'}: expected structure, got {type(value).__name__}"]
    prefix = f"{path}." if path else ""
    body_members = {
        _wire(n, m): (n, m) for n, m in shape.members.items() if not m.serialization.get("location")
    }
    out = [
        f"{prefix}{n}: required member missing"
        for n in _body_required(shape)
        if _wire(n, shape.members[n]) not in value or value[_wire(n, shape.members[n])] is None
    ]
    if shape.metadata.get("union"):
        present = [k for k, v in value.items() if v is not None]
        if len(present) > 1:
            out.append(f"{path or '(body)'}: union with {len(present)} members set {present}")
    for key, item in value.items():
        if key in body_members:
            name, member = body_members[key]
            out += _check(member, item, f"{prefix}{name}")
        elif not (top and key in ("__type", "message", "Message", "code", "Code")):
            out.append(f"{prefix}{key}: member not in the shape {shape.name}")
    return out


def _scalar(shape: Shape, value: Any, where: str) -> list[str]:
    kind = shape.type_name
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected string, got {type(value).__name__} {str(value)[:40]!r}"]
        enum = shape.metadata.get("enum")
        if enum and value not in enum and (shape.name, value) not in OPEN_ENUMS:
            return [f"{where}: {value!r} is not in enum {shape.name}"]
        return []
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{where}: expected {kind}, got {type(value).__name__} {str(value)[:40]!r}"]
        return []
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [f"{where}: expected {kind}, got {type(value).__name__}"]
        return []
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: expected boolean, got {type(value).__name__}"]
    if kind == "timestamp":
        return _timestamp(shape, value, where)
    if kind == "blob":
        if not isinstance(value, str):
            return [f"{where}: expected base64 string, got {type(value).__name__}"]
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return [f"{where}: blob is not base64"]
        return []
    return []


def _timestamp(shape: Shape, value: Any, where: str) -> list[str]:
    fmt = shape.serialization.get("timestampFormat") or "unixTimestamp"
    if fmt == "unixTimestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [f"{where}: timestamp {str(value)[:40]!r} is not epoch seconds (the model's format)"]
        if not 0 <= value < 32503680000:  # before year 3000: milliseconds sent as seconds show here
            return [f"{where}: timestamp {value} out of range (milliseconds?)"]
        return []
    if not isinstance(value, str):
        return [f"{where}: timestamp {value!r} is not a {fmt} string"]
    try:
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return [f"{where}: timestamp {value!r} does not parse as {fmt}"]
    return []
