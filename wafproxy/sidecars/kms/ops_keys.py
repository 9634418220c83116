"""Key lifecycle operations: create, describe, list, enable/disable, deletion, rotation, key policy."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from wafproxy.awsapi.errors import AwsError
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.kms import paging
from wafproxy.sidecars.kms.core import KmsCore
from wafproxy.sidecars.kms.core import marker as marker_of
from wafproxy.sidecars.kms.keypolicy import check_key_policy
from wafproxy.sidecars.kms.model import SPECS, KeyRecord, KeyState
from wafproxy.sidecars.kms.ops_create import create_key_async

Op = Callable[[KmsCore, CallContext, Params], Any]  # returns a mapping, or a coroutine of one
DAY = 86400.0


def _unsupported(p: Params, *names: str) -> None:
    for name in names:
        if p.has(name):
            raise AwsError("UnsupportedOperationException", f"{name} is not supported by this KMS", path=name)


def _key(kms: KmsCore, ctx: CallContext, p: Params, op: str, *, alias: bool = False) -> KeyRecord:
    rec = kms.resolve(p.str("KeyId"), kms.clock.now(), allow_alias=alias)
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, op, rec)
    return rec


def _is_key_id(marker: str) -> bool:
    """Our ListKeys markers are key ids: a UUID, or ``mrk-`` and 32 hex digits (multi-Region)."""
    if marker.startswith("mrk-"):
        return len(marker) == 36 and all(c in "0123456789abcdef" for c in marker[4:])
    return len(marker) == 36 and marker.count("-") == 4


def describe_key(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    return {"KeyMetadata": _key(kms, ctx, p, "DescribeKey", alias=True).metadata()}


def list_keys(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    limit = p.int("Limit", required=False, default=100, lo=1, hi=1000)
    marker = marker_of(p, _is_key_id)
    kms.authorize(ctx, "ListKeys", None)
    kms.purge_expired(kms.clock.now())
    ids = sorted(k for k in kms.records if k > marker)
    page = ids[:limit]
    out: dict[str, Any] = {
        "Keys": [{"KeyId": k, "KeyArn": kms.key_arn(k)} for k in page],
        "Truncated": len(ids) > limit,
    }
    if len(ids) > limit:
        out["NextMarker"] = page[-1]
    return out


def _set_state(kms: KmsCore, rec: KeyRecord, state: KeyState) -> None:
    if rec.state in (KeyState.PENDING_DELETION, KeyState.PENDING_IMPORT):
        raise AwsError("KMSInvalidStateException", f"{rec.arn} is {rec.state.value}.")
    kms.save(rec.with_(state=state))


def enable_key(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    _set_state(kms, _key(kms, ctx, p, "EnableKey"), KeyState.ENABLED)
    return {}


def disable_key(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    _set_state(kms, _key(kms, ctx, p, "DisableKey"), KeyState.DISABLED)
    return {}


def schedule_key_deletion(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    days = p.int("PendingWindowInDays", required=False, default=30, lo=7, hi=30)
    rec = _key(kms, ctx, p, "ScheduleKeyDeletion")
    if rec.state is KeyState.PENDING_DELETION:
        raise AwsError("KMSInvalidStateException", f"{rec.arn} is pending deletion.")
    when = kms.clock.now() + days * DAY
    kms.save(
        rec.with_(
            state=KeyState.PENDING_DELETION,
            deletion_date=when,
            enabled_before_deletion=rec.state is KeyState.ENABLED,
        )
    )
    return {
        "KeyId": rec.arn,
        "DeletionDate": when,
        "KeyState": "PendingDeletion",
        "PendingWindowInDays": days,
    }


def cancel_key_deletion(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec = _key(kms, ctx, p, "CancelKeyDeletion")
    if rec.state is not KeyState.PENDING_DELETION:
        raise AwsError("KMSInvalidStateException", f"{rec.arn} is not pending deletion.")
    # AWS leaves a key whose deletion was cancelled in the Disabled state (PendingImport when it
    # has no material: an imported key's material deleted or expired).
    bare = rec.origin == "EXTERNAL" and not kms.store.materials(rec.key_id)
    kms.save(rec.with_(state=KeyState.PENDING_IMPORT if bare else KeyState.DISABLED, deletion_date=None))
    return {"KeyId": rec.arn}


def update_key_description(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    description = p.str("Description", max_len=8192) if p.raw("Description") != "" else ""
    rec = _key(kms, ctx, p, "UpdateKeyDescription")
    kms.save(rec.with_(description=description))
    return {}


def _rotatable(kms: KmsCore, rec: KeyRecord) -> None:
    if rec.origin == "EXTERNAL":
        raise AwsError("UnsupportedOperationException",
                       f"{rec.arn} has imported key material: KMS does not rotate it")
    if not SPECS[rec.spec].rotatable:
        raise AwsError(
            "UnsupportedOperationException", f"{rec.arn} key spec {rec.spec} does not support rotation"
        )
    kms.require_enabled(rec)


def enable_key_rotation(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    period = p.int("RotationPeriodInDays", required=False, default=365, lo=90, hi=2560)
    rec = _key(kms, ctx, p, "EnableKeyRotation")
    _rotatable(kms, rec)
    kms.save(
        rec.with_(
            rotation_enabled=True, rotation_period_days=period, next_rotation=kms.clock.now() + period * DAY
        )
    )
    return {}


def disable_key_rotation(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec = _key(kms, ctx, p, "DisableKeyRotation")
    _rotatable(kms, rec)
    kms.save(rec.with_(rotation_enabled=False, next_rotation=None))
    return {}


def get_key_rotation_status(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec = _key(kms, ctx, p, "GetKeyRotationStatus")
    out: dict[str, Any] = {"KeyRotationEnabled": rec.rotation_enabled, "KeyId": rec.arn}
    if rec.rotation_enabled:
        out["RotationPeriodInDays"] = rec.rotation_period_days
        out["NextRotationDate"] = rec.next_rotation
    return out


def rotate_key_on_demand(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec = _key(kms, ctx, p, "RotateKeyOnDemand")
    _rotatable(kms, rec)
    with kms.lock:
        kms.rotate(kms.records[rec.key_id], kms.clock.now(), "ON_DEMAND")
    return {"KeyId": rec.arn}


def list_key_rotations(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    limit = p.int("Limit", required=False, default=100, lo=1, hi=1000)
    marker = int(marker_of(p, lambda m: m.isdigit() and len(m) <= 10, default="0"))
    rec = _key(kms, ctx, p, "ListKeyRotations")
    if not SPECS[rec.spec].rotatable:
        raise AwsError(
            "UnsupportedOperationException", f"{rec.arn} key spec {rec.spec} does not support rotation"
        )
    found = [r for r in kms.store.rotations(rec.key_id) if r[0] > marker]
    page = found[:limit]
    out: dict[str, Any] = {
        "Rotations": [{"KeyId": rec.arn, "RotationDate": d, "RotationType": k} for _, d, k in page],
        "Truncated": len(found) > limit,
    }
    if len(found) > limit:
        out["NextMarker"] = str(page[-1][0])
    return out


def _policy_name(p: Params) -> str:
    name = p.str("PolicyName", required=False, default="default")
    if name != "default":
        raise AwsError("NotFoundException", "Only the key policy named 'default' exists", path="PolicyName")
    return name


def put_key_policy(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    _policy_name(p)
    text = p.str("Policy", max_len=32768)
    rec = _key(kms, ctx, p, "PutKeyPolicy")
    kms.save(
        rec.with_(policy=check_key_policy(kms, ctx, text, rec.arn, p.bool("BypassPolicyLockoutSafetyCheck")))
    )
    return {}


def get_key_policy(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    name = _policy_name(p)
    return {"Policy": _key(kms, ctx, p, "GetKeyPolicy").policy, "PolicyName": name}


def list_key_policies(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec = _key(kms, ctx, p, "ListKeyPolicies")
    binding = ("ListKeyPolicies", rec.key_id)
    out = paging.page(["default"], p, default=100, hi=1000, binding=binding, declares_marker_error=False)
    return {"PolicyNames": out.pop("Items"), **out}


OPERATIONS: dict[str, Op] = {
    "CreateKey": create_key_async,
    "DescribeKey": describe_key,
    "ListKeys": list_keys,
    "EnableKey": enable_key,
    "DisableKey": disable_key,
    "ScheduleKeyDeletion": schedule_key_deletion,
    "CancelKeyDeletion": cancel_key_deletion,
    "UpdateKeyDescription": update_key_description,
    "EnableKeyRotation": enable_key_rotation,
    "DisableKeyRotation": disable_key_rotation,
    "GetKeyRotationStatus": get_key_rotation_status,
    "ListKeyRotations": list_key_rotations,
    "RotateKeyOnDemand": rotate_key_on_demand,
    "PutKeyPolicy": put_key_policy,
    "GetKeyPolicy": get_key_policy,
    "ListKeyPolicies": list_key_policies,
}
