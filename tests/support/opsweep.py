"""Every operation of a botocore service model, called through boto3 with minimal valid parameters.

``sweep(client, overrides)`` builds each operation's parameters from its input shape (required
members only, plausible values: an enum's first value, a length within bounds, an ARN where the
member names one) with ``overrides`` (operation → parameters, or member name → value) naming the
real resources a run created, calls it, and classifies the answer:

- ``served``: a success whose parsed response fits the output shape;
- ``modeled``: a ``ClientError`` whose code the operation's model declares (or AWS's common
  authentication/validation codes), with a 4xx status: AWS's own answer to that call;
- ``broken``: anything else — an undeclared code, a 404 for the route, a 5xx, a body botocore
  could not parse, a success that does not fit the documented shape.

``python -m tests.support.opsweep`` runs both detector/assessor services against a fresh
``wafproxy demo`` and prints the table.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.model import OperationModel, Shape

from tests.support.awsshapes import problems

# Codes every AWS API may answer whatever its model lists (botocore's common errors).
COMMON = frozenset(
    {"AccessDeniedException", "ValidationException", "ThrottlingException", "InternalServerException"}
)
Override = Mapping[str, Any] | Callable[[], Mapping[str, Any]]
# Members the model marks required that AWS itself leaves out in a case a single account always is:
# GuardDuty answers an account without an administrator with an empty body.
AWS_OMITS = {
    ("GetAdministratorAccount", "Administrator: required member missing"),
    ("GetMasterAccount", "Master: required member missing"),
}


@dataclass(frozen=True)
class Outcome:
    operation: str
    kind: str  # served | modeled | broken
    detail: str  # the error code, or what is broken


def _string(name: str, shape: Shape, ctx: Mapping[str, Any]) -> str:
    enum = shape.metadata.get("enum")
    if enum:
        return str(enum[0])
    lo = int(shape.metadata.get("min", 1) or 1)
    lower = name.lower()
    if lower.endswith("arn") or lower.endswith("arns"):
        value = str(ctx.get("arn", "arn:aws:iam::123456789012:role/x"))
    elif "accountid" in lower:
        value = str(ctx.get("account", "123456789012"))
    elif "email" in lower:
        value = "someone@example.com"
    elif "token" in lower:
        value = "token-0123456789"
    else:
        value = "x" * max(lo, 1)
    return value if len(value) >= lo else value + "x" * (lo - len(value))


def example(name: str, shape: Shape, ctx: Mapping[str, Any], depth: int = 0) -> Any:
    """A minimal value of ``shape`` for member ``name``; ``ctx[name]`` wins when given."""
    if name in ctx:
        return ctx[name]
    kind = shape.type_name
    if kind == "structure":
        if depth > 8:
            return {}
        members = shape.members
        required = list(shape.required_members)
        if not required and shape.metadata.get("union") and members:
            required = [next(iter(members))]
        return {m: example(m, members[m], ctx, depth + 1) for m in required}
    if kind == "list":
        return [example(name, shape.member, ctx, depth + 1)]  # type: ignore[attr-defined]
    if kind == "map":
        return {"key": example(name, shape.value, ctx, depth + 1)}  # type: ignore[attr-defined]
    if kind == "string":
        return _string(name, shape, ctx)
    if kind in ("integer", "long"):
        return max(int(shape.metadata.get("min", 1) or 1), 1)
    if kind in ("double", "float"):
        return 1.0
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return datetime.datetime.now(datetime.UTC)
    if kind == "blob":
        return b"x"
    return None


def params_for(
    op: OperationModel, ctx: Mapping[str, Any], value_of: Callable[..., Any] | None = None
) -> dict[str, Any]:
    """The operation's parameters: ``value_of`` (``example`` by default: required members only)
    over its input shape."""
    shape = op.input_shape
    if shape is None:
        return {}
    value = (value_of or example)("", shape, ctx)
    return value if isinstance(value, dict) else {}


def classify(op: OperationModel, call: Callable[[], Any]) -> Outcome:
    declared = {e.name for e in op.error_shapes} | COMMON
    try:
        parsed = call()
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = exc.response.get("Error", {}).get("Code", "")
        if code in declared and 400 <= status < 500:
            return Outcome(op.name, "modeled", code)
        return Outcome(op.name, "broken", f"{status} {code}")
    except (BotoCoreError, ValueError, KeyError, TypeError) as exc:
        return Outcome(op.name, "broken", f"{type(exc).__name__}: {str(exc)[:120]}")
    found = [f for f in problems(op.output_shape, parsed) if (op.name, f) not in AWS_OMITS]
    if found:
        return Outcome(op.name, "broken", "; ".join(found[:3]))
    return Outcome(op.name, "served", "")


def sweep(
    client: Any, ctx: Mapping[str, Any], overrides: Mapping[str, Override], order: list[str] | None = None
) -> list[Outcome]:
    """Every operation of ``client``'s model (``order`` first: creates before the reads of what they
    create), each with ``overrides[op]`` merged over the generated parameters."""
    model = client.meta.service_model
    names = list(order or []) + sorted(set(model.operation_names) - set(order or []))
    out = []
    for name in names:
        op = model.operation_model(name)
        extra = overrides.get(name, {})
        params = {**params_for(op, ctx), **(extra() if callable(extra) else extra)}
        method = getattr(client, client.meta.method_to_api_mapping and _snake(client, name))
        out.append(classify(op, lambda: method(**params)))
    return out


def _snake(client: Any, name: str) -> str:
    return {v: k for k, v in client.meta.method_to_api_mapping.items()}[name]


def table(outcomes: list[Outcome]) -> str:
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.kind] = counts.get(o.kind, 0) + 1
    lines = [f"{o.kind:8} {o.operation:45} {o.detail}" for o in outcomes]
    return "\n".join([*lines, "  ".join(f"{k}={v}" for k, v in sorted(counts.items()))])
