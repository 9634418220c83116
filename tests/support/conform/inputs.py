"""Inputs built from an operation's input shape: rich (every optional member set) and invalid.

Why a generator and not per-operation fixtures: the probes that measure us call operations we never
listed with inputs we never wrote. Walking the model finds the member we forgot to validate, the
length we do not bound, the enum we do not check, in all 430-odd operations at once.

``rich(op, ctx)``: every member of the input shape set (to depth 4), each value inside the shape's
constraints (``min``/``max`` length or value, the enum's first value, a union's first member);
``ctx`` (member name → value) names real resources and wins over the generated value.

``invalid(op, base)``: variations of a valid ``base`` parameter set, each breaking one top-level rule
of the model — a required member left out, a member of the wrong JSON type, a string past ``max`` or
short of ``min``, a number outside its range, a value outside the enum. Each is sent with botocore's
``parameter_validation=False``, so the refusal must be the server's.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.model import OperationModel, Shape

from tests.support.opsweep import example, params_for

# A pagination token is the server's to issue: a made-up one is refused, as it should be (paging.py).
_TOKENS = frozenset({"NextToken", "nextToken", "NextMarker", "Marker"})


def _string(name: str, shape: Shape, ctx: Mapping[str, Any]) -> str:
    value = example(name, shape, ctx)
    hi = shape.metadata.get("max")
    return value[: int(hi)] if hi is not None and isinstance(value, str) else value


def rich_value(name: str, shape: Shape, ctx: Mapping[str, Any], depth: int = 0) -> Any:
    """A value of ``shape`` with every member set (structures to depth 4, then required only)."""
    if name in ctx:
        return ctx[name]
    kind = shape.type_name
    if kind == "structure":
        if depth > 4:
            return example(name, shape, ctx, depth)
        members = shape.members
        if shape.metadata.get("union") and members:
            first = next(iter(members))
            return {first: rich_value(first, members[first], ctx, depth + 1)}
        return {
            m: rich_value(m, s, ctx, depth + 1)
            for m, s in members.items()
            if m in ctx or not (s.metadata.get("idempotencyToken") or m in _TOKENS)
        }
    if kind == "list":
        return [rich_value(name, shape.member, ctx, depth + 1)]  # type: ignore[attr-defined]
    if kind == "map":
        key = _string("key", shape.key, {}) if shape.key.type_name == "string" else "k"  # type: ignore[attr-defined]
        return {key: rich_value(name, shape.value, ctx, depth + 1)}  # type: ignore[attr-defined]
    if kind == "string":
        return _string(name, shape, ctx)
    if kind in ("integer", "long"):
        lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
        value = int(lo) if lo is not None else 1
        return min(max(value, 1), int(hi)) if hi is not None else max(value, 1)
    if kind in ("double", "float"):
        return float(shape.metadata.get("min", 1.0) or 1.0)
    if kind == "boolean":
        return False
    if kind == "timestamp":
        return datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    if kind == "blob":
        return b"x" * max(int(shape.metadata.get("min", 1) or 1), 1)
    return None


def rich(op: OperationModel, ctx: Mapping[str, Any]) -> dict[str, Any]:
    return params_for(op, ctx, rich_value)


@dataclass(frozen=True)
class Invalid:
    """One broken rule: ``what`` names it (``Name: over max 128``); ``params`` is what is sent."""

    what: str
    params: dict[str, Any]


_WRONG: dict[str, Any] = {
    "string": {"not": "a string"},
    "integer": "twelve",
    "long": "twelve",
    "boolean": "maybe",
    "double": "one",
    "float": "one",
    "timestamp": {"not": "a time"},
    "blob": 12,
    "structure": "not a structure",
    "list": "not a list",
    "map": ["not", "a map"],
}


def invalid(op: OperationModel, base: Mapping[str, Any]) -> Iterator[Invalid]:
    """Each variation of ``base`` that breaks one rule of ``op``'s input shape (top-level members)."""
    shape = op.input_shape
    if shape is None:
        return
    for name in shape.required_members:
        if shape.members[name].serialization.get("location") in ("uri", "hostname"):
            continue  # a URI member cannot be left out: botocore would build another route
        yield Invalid(f"{name}: required member missing", {k: v for k, v in base.items() if k != name})
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location in ("uri", "hostname", "header", "headers"):
            continue  # a header/URI value is text whatever botocore is handed
        kind = member.type_name
        # botocore serializes any iterable as a list and fails on a non-mapping structure or map
        # itself: only scalars can go out with the wrong type (the rest: tests/awsapi/test_inputcheck).
        if location != "querystring" and kind not in ("list", "structure", "map"):
            yield Invalid(
                f"{name}: wrong type ({kind} sent as {type(_WRONG[kind]).__name__})",
                {**base, name: _WRONG[kind]},
            )
        yield from _bounds(name, member, base)


def _bounds(name: str, member: Shape, base: Mapping[str, Any]) -> Iterator[Invalid]:
    meta = member.metadata
    kind = member.type_name
    lo, hi = meta.get("min"), meta.get("max")
    if kind == "string":
        if meta.get("enum"):
            yield Invalid(f"{name}: not in enum", {**base, name: "NOT_A_MEMBER_OF_THE_ENUM"})
        if hi is not None and int(hi) < 100_000:
            yield Invalid(f"{name}: longer than max {hi}", {**base, name: "x" * (int(hi) + 1)})
        if lo is not None and int(lo) > 0:
            yield Invalid(f"{name}: shorter than min {lo}", {**base, name: "x" * (int(lo) - 1)})
    elif kind in ("integer", "long"):
        if hi is not None:
            yield Invalid(f"{name}: above max {hi}", {**base, name: int(hi) + 1})
        if lo is not None:
            yield Invalid(f"{name}: below min {lo}", {**base, name: int(lo) - 1})
    elif kind in ("list", "map"):
        if lo is not None and int(lo) > 0:
            yield Invalid(f"{name}: fewer than min {lo} items", {**base, name: [] if kind == "list" else {}})
