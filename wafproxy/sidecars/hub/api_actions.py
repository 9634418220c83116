"""Security Hub's custom actions (action targets): CreateActionTarget, DescribeActionTargets,
UpdateActionTarget, DeleteActionTarget.

A custom action is a name the console and the API offer on findings ("Send to ops"); in AWS,
choosing it sends the findings to EventBridge. Here they are kept (in the store's ``meta`` table,
one JSON document, so a restart lists the same ones) and described; Security Hub's limits hold: an
``Id`` of 1-20 letters and digits, at most 50 per account, unique ids
(``ResourceConflictException``), an unknown ARN ``ResourceNotFoundException``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params

if TYPE_CHECKING:
    from wafproxy.sidecars.hub.api import HubApi

META_KEY = "action_targets"
MAX_TARGETS = 50  # Security Hub's quota of custom actions per account
MAX_ID = 20


def _not_found(arn: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Action target {arn[:256]} not found", status=404)


def routes(api: HubApi) -> dict[str, tuple[str, str, Callable[..., Any]]]:
    hub = api.hub
    raw = hub.store.meta(META_KEY)
    targets: dict[str, dict[str, str]] = {t["ActionTargetArn"]: t for t in (json.loads(raw) if raw else [])}

    def save() -> None:
        hub.store.set_meta(META_KEY, json.dumps(list(targets.values())))

    def known(arn: str) -> dict[str, str]:
        found = targets.get(arn)
        if found is None:
            raise _not_found(arn)
        return found

    def create(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        name, description = p.str("Name", max_len=20), p.str("Description", max_len=256)
        ident = p.str("Id", max_len=MAX_ID)
        if not ident.isascii() or not ident.isalnum():
            raise validation(f"Id must be 1-{MAX_ID} letters and digits", path="Id")
        arn = f"arn:aws:securityhub:{hub.region}:{hub.account}:action/custom/{ident}"
        if arn in targets:
            raise AwsError("ResourceConflictException", f"Action target {ident} already exists", status=409)
        if len(targets) >= MAX_TARGETS:
            raise AwsError("LimitExceededException", f"at most {MAX_TARGETS} custom actions", status=429)
        targets[arn] = {"ActionTargetArn": arn, "Name": name, "Description": description}
        save()
        return {"ActionTargetArn": arn}

    def describe(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        arns = p.str_list("ActionTargetArns", max_items=100)
        found = [known(a) for a in arns] if arns else list(targets.values())
        return api.paged(ctx, p, "ActionTargets", found)

    def update(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        arn = p.str("ActionTargetArn", max_len=512)
        api.authorize(ctx, arn)
        target = known(arn)
        if p.has("Name"):
            target["Name"] = p.str("Name", max_len=20)
        if p.has("Description"):
            target["Description"] = p.str("Description", max_len=256)
        save()
        return {}

    def delete(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        arn = p.str("ActionTargetArn", max_len=512)
        api.authorize(ctx, arn)
        known(arn)
        del targets[arn]
        save()
        return {"ActionTargetArn": arn}

    return {
        "CreateActionTarget": ("POST", "/actionTargets", create),
        "DescribeActionTargets": ("POST", "/actionTargets/get", describe),
        "UpdateActionTarget": ("PATCH", "/actionTargets/{ActionTargetArn+}", update),
        "DeleteActionTarget": ("DELETE", "/actionTargets/{ActionTargetArn+}", delete),
    }
