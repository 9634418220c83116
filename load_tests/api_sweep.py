"""Every operation of botocore's ``kms`` and ``wafv2`` models, called through boto3 against our servers.

Why: a user (or a probe) drives these APIs with boto3 and expects every operation to answer as AWS
would — really served, or an error AWS models for it — never a 404, a 500, a body boto3 cannot
parse, an error the operation's model does not list, or a success whose shape is wrong. The grep of
our handler tables cannot tell those apart; calling each operation can.

The parameters and the classification are ``tests.support.opsweep``'s (served / modeled / broken;
an unserved operation is ``broken`` with ``UnknownOperationException``). What this module adds is
the KMS and WAFv2 side: a KMS and a control-plane stack on loopback, and per service the real
resources made first (``api_sweep_kms.prepare`` / ``api_sweep_waf.prepare``) and the members of
each operation that name them (``values``, called just before the call, so a lock token is the
current one). Creations run first, removals last.

``python -m load_tests.api_sweep [--absent]`` prints the table (``--absent``: every call names
nothing that exists); ``tests/test_api_sweep.py`` asserts nothing is broken either way.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.support.opsweep import Outcome, sweep, table

Values = Callable[[str, dict[str, Any]], dict[str, Any] | None]


def _order(op: str) -> tuple[int, str]:
    """Creations first (later calls name what they made), removals last."""
    if op.startswith(("Create", "Put", "Import", "Replicate", "Tag")):
        return 0, op
    if op.startswith(("Delete", "Schedule", "Disable", "Untag", "Retire", "Revoke", "Disassociate")):
        return 2, op
    return 1, op


def run(client: Any, prepare: Callable[[Any], dict[str, Any]], values: Values) -> list[Outcome]:
    """``prepare(client)`` makes the resources (plain calls, not counted) and returns them as a
    context; every operation then runs once with ``values(op, context)`` over the shape's minimum."""
    ctx = prepare(client)
    names = sorted(client.meta.service_model.operation_names, key=_order)
    overrides = {op: (lambda op=op: values(op, ctx) or {}) for op in names}
    return sweep(client, {}, overrides, order=names)


def counts(outcomes: list[Outcome]) -> str:
    """``served N, modeled N, unserved N, broken N`` (unserved: broken as UnknownOperationException)."""
    unserved = sum(1 for o in outcomes if "UnknownOperationException" in o.detail)
    kinds = {k: sum(1 for o in outcomes if o.kind == k) for k in ("served", "modeled", "broken")}
    return (
        f"served {kinds['served']}, modeled {kinds['modeled']}, unserved {unserved}, "
        f"broken {kinds['broken'] - unserved}"
    )


@contextlib.contextmanager
def running(tmp: Path) -> Iterator[tuple[Any, Any]]:
    """A KMS and a control-plane stack on loopback; yields (kms client, wafv2 client)."""
    from tests.control.stack import KEYS as WAF_KEYS
    from tests.control.stack import running_stack
    from tests.sidecars.kms.conftest import KEYS as KMS_KEYS
    from tests.sidecars.kms.conftest import start_kms

    (tmp / "waf").mkdir(parents=True, exist_ok=True)
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
    """botocore validates what we send (so a refusal is ours, not the client's)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=keys[0],
        aws_secret_access_key=keys[1],
        config=Config(retries={"max_attempts": 1}, parameter_validation=True),
    )


def run_all(tmp: Path, *, absent: bool = False) -> dict[str, list[Outcome]]:
    """service → outcomes. ``absent``: every call names nothing that exists (the shape's minimum
    values, Scope REGIONAL), so each must answer its not-found/invalid error the AWS way."""
    from load_tests import api_sweep_kms, api_sweep_waf

    with running(tmp) as (kms, waf):
        if absent:
            return {
                "kms": run(kms, _nothing, lambda op, ctx: {}),
                "wafv2": run(waf, _nothing, api_sweep_waf.scope_only),
            }
        return {
            "kms": run(kms, api_sweep_kms.prepare, api_sweep_kms.values),
            "wafv2": run(waf, api_sweep_waf.prepare, api_sweep_waf.values),
        }


def _nothing(client: Any) -> dict[str, Any]:
    return {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per operation")
    parser.add_argument("--absent", action="store_true", help="name no real resource in any call")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        results = run_all(Path(tmp), absent=args.absent)
    for service, outcomes in results.items():
        if args.json:
            for o in outcomes:
                print(
                    json.dumps(
                        {"service": service, "operation": o.operation, "verdict": o.kind, "detail": o.detail}
                    )
                )
        else:
            print(table(outcomes))
            print(f"{service}: {counts(outcomes)}")
    return 0 if all(o.kind != "broken" for outcomes in results.values() for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
