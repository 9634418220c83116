"""Put/Get/DeletePermissionPolicy: the IAM policy that shares a rule group with other accounts.

wafproxy has no other accounts to share with, but a rule group's sharing policy is part of what the
group's owner manages through the API (and exports to AWS with it), so it is validated as AWS
validates it, stored (``.wafproxy/permission-policies.json``, atomically, keyed by the rule
group's ARN) and given back. AWS's rules for the policy (WAFInvalidPermissionPolicyException):
IAM policy version 2012-10-17 (or 2015-01-01, which the reference once named too); every
statement has Effect, Action and Principal; Effect is Allow; Action holds wafv2:CreateWebACL,
wafv2:UpdateWebACL and wafv2:PutFirewallManagerRuleGroups, may hold wafv2:GetRuleGroup, and
nothing else (no wildcards); no Resource. The ARN must name an existing rule group
(WAFNonexistentItemException). A policy goes with its rule group: a deleted group's policy is
never served again (a re-created group has a new Id, so a new ARN), and is
dropped at the next change.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.control import errors
from wafproxy.control.resources import Resource
from wafproxy.control.sidestate import JsonTable
from wafproxy.control.store import META_DIR

if TYPE_CHECKING:
    from wafproxy.control.plane import ControlPlane
    from wafproxy.control.wire import AsyncHandler

REQUIRED_ACTIONS = frozenset(
    {"wafv2:CreateWebACL", "wafv2:UpdateWebACL", "wafv2:PutFirewallManagerRuleGroups"}
)
OPTIONAL_ACTIONS = frozenset({"wafv2:GetRuleGroup"})
POLICY_VERSIONS = ("2012-10-17", "2015-01-01")  # the API reference has named both
MAX_POLICY_CHARS = 395_000  # the model's PolicyString max
MAX_POLICIES = 1_000  # one per rule group; MAX_PER_KIND rule groups at most


def invalid_policy(reason: str) -> errors.WafError:
    return errors.WafError(
        "WAFInvalidPermissionPolicyException",
        f"The operation failed because the specified policy isn't in the proper format: {reason}",
    )


def _actions(statement: Mapping[str, Any], i: int) -> set[str]:
    raw = statement.get("Action")
    listed = [raw] if isinstance(raw, str) else raw
    if not isinstance(listed, list) or not listed or not all(isinstance(a, str) for a in listed):
        raise invalid_policy(f"Statement[{i}].Action must name the actions")
    found = set(listed)
    extra = sorted(a for a in found if a not in REQUIRED_ACTIONS | OPTIONAL_ACTIONS)
    if extra:
        raise invalid_policy(
            f"Statement[{i}].Action: {extra[0][:64]} is not allowed (extra or wildcard action)"
        )
    missing = sorted(REQUIRED_ACTIONS - found)
    if missing:
        raise invalid_policy(f"Statement[{i}].Action must include {missing[0]}")
    return found


def check_policy(text: str) -> dict[str, Any]:
    """The policy as JSON when it is one AWS accepts; WAFInvalidPermissionPolicyException else."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        raise invalid_policy("not valid JSON") from None
    if not isinstance(doc, dict):
        raise invalid_policy("must be a JSON object")
    if doc.get("Version") not in POLICY_VERSIONS:
        raise invalid_policy("Version must be 2012-10-17")
    raw = doc.get("Statement")
    statements = [raw] if isinstance(raw, dict) else raw
    if not isinstance(statements, list) or not statements:
        raise invalid_policy("Statement must hold at least one statement")
    for i, statement in enumerate(statements):
        if not isinstance(statement, dict):
            raise invalid_policy(f"Statement[{i}] must be an object")
        for member in ("Effect", "Action", "Principal"):
            if member not in statement:
                raise invalid_policy(f"Statement[{i}] must specify {member}")
        if statement["Effect"] != "Allow":
            raise invalid_policy(f"Statement[{i}].Effect must be Allow")
        if "Resource" in statement or "NotResource" in statement:
            raise invalid_policy(f"Statement[{i}] must not include a Resource")
        if "NotAction" in statement or "NotPrincipal" in statement:
            raise invalid_policy(f"Statement[{i}]: NotAction and NotPrincipal are not allowed")
        if not isinstance(statement["Principal"], dict | str) or not statement["Principal"]:
            raise invalid_policy(f"Statement[{i}].Principal must name who the rule group is shared with")
        _actions(statement, i)
    return doc


def operations(plane: ControlPlane) -> dict[str, AsyncHandler]:
    store = plane.store
    table = JsonTable(
        store.root / META_DIR / "permission-policies.json", limit=MAX_POLICIES, persist=store.persist
    )

    def rule_group(ctx: CallContext, p: Params) -> Resource:
        arn = p.str("ResourceArn", max_len=2048)
        res = store.by_arn(arn)
        if res is None or res.kind != "rulegroup":
            raise errors.nonexistent(f"RULE_GROUP {arn[:256]}")
        plane.authorize(ctx, res.arn)
        return res

    def stale() -> list[str]:
        return [arn for arn, _ in table.items() if store.by_arn(arn) is None]

    async def put(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        text = p.str("Policy", max_len=MAX_POLICY_CHARS)
        async with plane.reloader.lock:
            res = rule_group(ctx, p)
            check_policy(text)
            for arn in stale():
                await asyncio.to_thread(table.delete, arn)
            await asyncio.to_thread(table.put, res.arn, text)
        return {}

    async def get(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        res = rule_group(ctx, p)
        text = table.get(res.arn)
        if not isinstance(text, str):
            raise errors.nonexistent(f"permission policy of {res.arn}")
        return {"Policy": text}

    async def delete(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        async with plane.reloader.lock:
            res = rule_group(ctx, p)
            await asyncio.to_thread(table.delete, res.arn)
        return {}

    return {"PutPermissionPolicy": put, "GetPermissionPolicy": get, "DeletePermissionPolicy": delete}
