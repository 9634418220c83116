"""Every operation of botocore's ``kms`` and ``wafv2`` models, called through boto3 against our servers.

Why: a user (or a probe) drives these APIs with boto3 and expects every operation to answer as AWS
would — really served, or an error AWS models for it — never a 404, a 500, a body boto3 cannot
parse, an error the operation's model does not list, or a success whose shape is wrong. The grep of
our handler tables cannot tell those apart; calling each operation can.

For each operation the sweep builds minimal valid parameters from the input shape (required members,
plausible values), with per-operation values that name real resources created earlier in the sweep
(``kms_values`` / ``waf_values``), calls it through a strict boto3 client (every response checked
against the output shape) and classifies it:

- ``served``: a 2xx answer that fits the output shape;
- ``modeled``: an error whose code is in the operation's ``errors`` list (or AccessDenied, which
  every AWS API may answer), parsed by boto3;
- ``unserved``: ``UnknownOperationException`` (we have no handler);
- ``broken``: anything else (5xx, an unmodeled code, an unparseable body, a shape mismatch).

``python -m load_tests.api_sweep`` starts a KMS and a control-plane stack on loopback and prints
the table; ``tests/test_api_sweep.py`` asserts nothing is unserved or broken.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session
from botocore.exceptions import ClientError
from botocore.model import OperationModel, Shape

from tests.support.awsshapes import ShapeMismatch, strict

# AWS's "common errors": any operation of any service may answer these (they are not in each
# operation's ``errors`` list); ValidationException is how AWS KMS answers a missing or malformed member.
ANY_API_ERRORS = frozenset({"AccessDeniedException", "ValidationException"})


@dataclass(frozen=True, slots=True)
class Outcome:
    service: str
    operation: str
    verdict: str  # served | modeled | unserved | broken
    detail: str = ""


# -- parameters from the input shape ------------------------------------------------------------


def minimal(shape: Shape, name: str = "") -> Any:
    """A plausible value of ``shape``: required members only, enums' first value, lengths at their
    minimum (at least one)."""
    kind = shape.type_name
    if kind == "structure":
        return {m: minimal(shape.members[m], m) for m in shape.required_members}
    if kind == "list":
        return [minimal(shape.member, name) for _ in range(max(1, shape.metadata.get("min", 1)))]  # type: ignore[attr-defined]
    if kind == "map":
        return {"k": minimal(shape.value, name)}  # type: ignore[attr-defined]
    if kind == "string":
        if shape.enum:  # type: ignore[attr-defined]
            return shape.enum[0]  # type: ignore[attr-defined]
        return "sweep" + "x" * max(0, int(shape.metadata.get("min", 1)) - 5)
    if kind in ("integer", "long"):
        return max(1, int(shape.metadata.get("min", 1)))
    if kind in ("double", "float"):
        return float(max(1, shape.metadata.get("min", 1)))
    if kind == "boolean":
        return False
    if kind == "timestamp":
        return datetime.datetime.now(datetime.UTC)
    if kind == "blob":
        return b"sweep"
    return None


def params_for(model: OperationModel, values: dict[str, Any]) -> dict[str, Any]:
    shape = model.input_shape
    base = minimal(shape) if shape is not None else {}
    return {**base, **values}


# -- one call -------------------------------------------------------------------------------------


def classify(service: str, client: Any, model: OperationModel, kwargs: Mapping[str, Any]) -> Outcome:
    method = getattr(client, botocore_name(model.name))
    modeled = {e.name for e in model.error_shapes} | ANY_API_ERRORS
    try:
        result = method(**kwargs)
    except ShapeMismatch as exc:
        return Outcome(service, model.name, "broken", f"shape: {exc}"[:300])
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code == "UnknownOperationException":
            return Outcome(service, model.name, "unserved", code)
        if code in modeled and status < 500:
            return Outcome(service, model.name, "modeled", code)
        return Outcome(service, model.name, "broken", f"{status} {code}: {exc}"[:300])
    except Exception as exc:  # noqa: BLE001 (unparseable bodies, connection errors: all "broken")
        return Outcome(service, model.name, "broken", f"{type(exc).__name__}: {exc}"[:300])
    if not isinstance(result, dict):
        return Outcome(service, model.name, "broken", f"answer {type(result).__name__}")
    return Outcome(service, model.name, "served")


def botocore_name(op: str) -> str:
    from botocore import xform_name

    return str(xform_name(op))


def _order(op: str) -> tuple[int, str]:
    """Creations first (later calls name what they made), removals last."""
    if op.startswith(("Create", "Put", "Import", "Replicate", "Tag")):
        return 0, op
    if op.startswith(("Delete", "Schedule", "Disable", "Untag", "Retire", "Revoke", "Disassociate")):
        return 2, op
    return 1, op


def sweep(
    service: str,
    client: Any,
    prepare: Callable[[Any], dict[str, Any]],
    values: Callable[[str, dict[str, Any]], dict[str, Any] | None],
) -> list[Outcome]:
    """Call every operation of ``service``. ``prepare(client)`` makes the resources the calls name
    (keys, IP sets…: plain calls, not counted) and returns them as a context; ``values(op, ctx)``
    gives the members of ``op`` that name them (called just before the call, so a lock token is
    the current one); the other required members come from the input shape."""
    model = botocore.session.get_session().get_service_model(service)
    ctx = prepare(client)
    outcomes = []
    for op in sorted(model.operation_names, key=_order):
        om = model.operation_model(op)
        try:
            kwargs = params_for(om, values(op, ctx) or {})
        except Exception as exc:  # noqa: BLE001 (a value builder that needs a resource that failed)
            outcomes.append(Outcome(service, op, "broken", f"no parameters: {type(exc).__name__} {exc}"))
            continue
        outcomes.append(classify(service, client, om, kwargs))
    return outcomes


def table(outcomes: list[Outcome]) -> str:
    lines = []
    for o in outcomes:
        lines.append(f"{o.service:6} {o.operation:42} {o.verdict:9} {o.detail}")
    counts: dict[tuple[str, str], int] = {}
    for o in outcomes:
        counts[(o.service, o.verdict)] = counts.get((o.service, o.verdict), 0) + 1
    for service in sorted({o.service for o in outcomes}):
        parts = ", ".join(
            f"{v} {counts.get((service, v), 0)}" for v in ("served", "modeled", "unserved", "broken")
        )
        lines.append(f"{service}: {parts}")
    return "\n".join(lines)


# -- the running servers ---------------------------------------------------------------------------


@contextlib.contextmanager
def running(tmp: Path) -> Iterator[tuple[Any, Any]]:
    """A KMS and a control-plane stack on loopback; yields (kms client, wafv2 client), strict."""
    from tests.control.stack import KEYS as WAF_KEYS
    from tests.control.stack import running_stack
    from tests.sidecars.kms.conftest import KEYS as KMS_KEYS
    from tests.sidecars.kms.conftest import start_kms

    kms, stop = start_kms(tmp / "kms")
    try:
        with running_stack(tmp / "waf") as stack:
            yield (
                _client("kms", kms.url, KMS_KEYS["alice"]),
                _client("wafv2", stack.admin_url, WAF_KEYS["admin"]),
            )
    finally:
        stop()


def _client(service: str, url: str, keys: tuple[str, str]) -> Any:
    """Strict in both directions: botocore validates what we send, ``strict`` what we answer."""
    import boto3
    from botocore.config import Config

    return strict(
        boto3.client(
            service,
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=keys[0],
            aws_secret_access_key=keys[1],
            config=Config(retries={"max_attempts": 1}, parameter_validation=True),
        )
    )


def run_all(tmp: Path, *, absent: bool = False) -> list[Outcome]:
    """Both services; ``absent``: every call names nothing that exists (the shape's minimum values,
    Scope REGIONAL), so each must answer its "not found"/"invalid" error the AWS way."""
    from load_tests import api_sweep_kms, api_sweep_waf

    (tmp / "waf").mkdir(parents=True, exist_ok=True)
    with running(tmp) as (kms, waf):
        if absent:
            return sweep("kms", kms, _nothing, lambda op, ctx: {}) + sweep(
                "wafv2", waf, _nothing, api_sweep_waf.scope_only
            )
        return sweep("kms", kms, api_sweep_kms.prepare, api_sweep_kms.values) + sweep(
            "wafv2", waf, api_sweep_waf.prepare, api_sweep_waf.values
        )


def _nothing(client: Any) -> dict[str, Any]:
    return {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per operation")
    parser.add_argument("--absent", action="store_true", help="name no real resource in any call")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = run_all(Path(tmp), absent=args.absent)
    if args.json:
        for o in outcomes:
            print(
                json.dumps(
                    {"service": o.service, "operation": o.operation, "verdict": o.verdict, "detail": o.detail}
                )
            )
    else:
        print(table(outcomes))
    return 0 if all(o.verdict in ("served", "modeled") for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
