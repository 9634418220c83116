"""Grant operations: CreateGrant, ListGrants, RetireGrant, RevokeGrant, ListRetirableGrants.

Grants take effect at once (no eventual consistency), so a grant token is only an opaque handle
(``RetireGrant`` by token); passing ``GrantTokens`` elsewhere changes nothing. CreateGrant with the
same ``Name`` and the same parameters is idempotent and returns the existing grant, as in AWS.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from wafproxy.awsapi.errors import AwsError, access_denied, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.kms import paging
from wafproxy.sidecars.kms.core import KmsCore
from wafproxy.sidecars.kms.core import marker as marker_of
from wafproxy.sidecars.kms.grants import GRANT_OPERATIONS, Grant

_TOKEN_PREFIX = "wafproxy-grant-token:"  # noqa: S105 (a label, not a secret)


def _principal(p: Params, name: str, *, required: bool) -> str | None:
    value = p.str(name, max_len=256) if required else p.str(name, required=False, max_len=256)
    if value is not None and not value.startswith("arn:aws:") and not (value.isdigit() and len(value) == 12):
        raise validation(f"{name} must be an IAM principal ARN or an account id", path=name)
    return value


def _constraints(p: Params) -> tuple[tuple[tuple[str, str], ...] | None, tuple[tuple[str, str], ...] | None]:
    raw = p.raw("Constraints")
    if raw is None:
        return None, None
    if (
        not isinstance(raw, dict)
        or set(raw) - {"EncryptionContextEquals", "EncryptionContextSubset"}
        or len(raw) != 1
    ):
        raise validation(
            "Constraints needs exactly one of EncryptionContextEquals, EncryptionContextSubset",
            path="Constraints",
        )
    sub = Params(raw)
    if "EncryptionContextEquals" in raw:
        return tuple(sorted(sub.str_map("EncryptionContextEquals").items())), None
    return None, tuple(sorted(sub.str_map("EncryptionContextSubset").items()))


def create_grant(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    grantee = _principal(p, "GranteePrincipal", required=True)
    retiring = _principal(p, "RetiringPrincipal", required=False)
    operations = p.str_list("Operations", required=True, max_items=len(GRANT_OPERATIONS))
    bad = [op for op in operations if op not in GRANT_OPERATIONS]
    if not operations or bad:
        raise validation(f"Operations contains unsupported values {bad[:5]}", path="Operations")
    equals, subset = _constraints(p)
    name = p.str("Name", required=False, default="", max_len=256)
    p.str_list("GrantTokens")
    rec = kms.resolve(p.str("KeyId"), kms.clock.now(), allow_alias=False)
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, "CreateGrant", rec)
    kms.require_not_pending(rec)
    if p.bool("DryRun"):
        raise AwsError(
            "DryRunOperationException", "The request would have succeeded, but the DryRun option is set."
        )
    grant = Grant(
        grant_id=secrets.token_hex(32),
        key_id=rec.key_id,
        grantee=str(grantee),
        operations=tuple(sorted(operations)),
        created=kms.clock.now(),
        issuing_account=ctx.principal.account,
        name=name,
        retiring=retiring,
        context_equals=equals,
        context_subset=subset,
    )
    with kms.lock:
        for g in kms.grants_for(rec.key_id):
            if name and g.name == name and g.with_id(grant.grant_id, grant.created) == grant:
                return {"GrantToken": _TOKEN_PREFIX + g.grant_id, "GrantId": g.grant_id}
        kms.add_grant(grant)
    return {"GrantToken": _TOKEN_PREFIX + grant.grant_id, "GrantId": grant.grant_id}


def list_grants(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    limit = p.int("Limit", required=False, default=50, lo=1, hi=100)
    marker = marker_of(p, lambda m: len(m) == 64 and all(c in "0123456789abcdef" for c in m))
    only_id = p.str("GrantId", required=False)
    only_grantee = p.str("GranteePrincipal", required=False)
    rec = kms.resolve(p.str("KeyId"), kms.clock.now(), allow_alias=False)
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, "ListGrants", rec)
    found = sorted(
        (
            g
            for g in kms.grants_for(rec.key_id)
            if g.grant_id > marker and only_id in (None, g.grant_id) and only_grantee in (None, g.grantee)
        ),
        key=lambda g: g.grant_id,
    )
    page = found[:limit]
    out: dict[str, Any] = {"Grants": [g.to_wire(rec.arn) for g in page], "Truncated": len(found) > limit}
    if len(found) > limit:
        out["NextMarker"] = page[-1].grant_id
    return out


def list_retirable_grants(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    retiring = _principal(p, "RetiringPrincipal", required=True)
    kms.authorize(ctx, "ListRetirableGrants", None)
    mine = sorted((g for g in kms.grants.values() if g.retiring == retiring), key=lambda g: g.grant_id)
    out = paging.page(mine, p, default=50, hi=1000, binding=("ListRetirableGrants", retiring))
    return {"Grants": [g.to_wire(kms.key_arn(g.key_id)) for g in out.pop("Items")], **out}


def _drop(kms: KmsCore, grant: Grant) -> None:
    kms.remove_grant(grant)


def retire_grant(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    token = p.str("GrantToken", required=False)
    grant_id = (
        token[len(_TOKEN_PREFIX) :]
        if token and token.startswith(_TOKEN_PREFIX)
        else p.str("GrantId", required=False)
    )
    if token and not token.startswith(_TOKEN_PREFIX):
        raise AwsError("InvalidGrantTokenException", "The grant token is not valid")
    if grant_id is None:
        raise validation("Specify GrantToken, or KeyId and GrantId", path="GrantToken")
    grant = kms.grants.get(grant_id)
    if grant is None:
        raise AwsError(
            "InvalidGrantIdException" if not token else "InvalidGrantTokenException", "Grant not found"
        )
    if (
        p.has("KeyId")
        and kms.resolve(p.str("KeyId"), kms.clock.now(), allow_alias=False).key_id != grant.key_id
    ):
        raise AwsError("InvalidGrantIdException", "The grant does not belong to this key")
    ctx.resources.append(kms.key_arn(grant.key_id))
    me = ctx.principal.arn
    if not (grant.retiring == me or (grant.grantee == me and "RetireGrant" in grant.operations)):
        raise access_denied(f"User: {me} is not authorized to perform: kms:RetireGrant on this grant")
    _drop(kms, grant)
    return {}


def revoke_grant(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    grant_id = p.str("GrantId", max_len=128)
    rec = kms.resolve(p.str("KeyId"), kms.clock.now(), allow_alias=False)
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, "RevokeGrant", rec)
    grant = kms.grants.get(grant_id)
    if grant is None or grant.key_id != rec.key_id:
        raise AwsError("InvalidGrantIdException", "Grant not found for this key")
    _drop(kms, grant)
    return {}


OPERATIONS = {
    "CreateGrant": create_grant,
    "ListGrants": list_grants,
    "RetireGrant": retire_grant,
    "RevokeGrant": revoke_grant,
    "ListRetirableGrants": list_retirable_grants,
}
