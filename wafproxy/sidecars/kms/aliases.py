"""Aliases: ``alias/<name>`` → one key, in the same account and region.

Names follow AWS: ``alias/`` then 1–250 of ``[A-Za-z0-9/_-]``; ``alias/aws/`` is reserved for AWS
managed keys. Checked character by character (no regex on request input).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.kms.core import KmsCore
from wafproxy.sidecars.kms.core import marker as marker_of

_ALLOWED = frozenset(string.ascii_letters + string.digits + "/_-")
MAX_ALIASES = 10_000


def _alias_name(p: Params) -> str:
    name = p.str("AliasName", max_len=256)
    body = name[len("alias/") :]
    if not name.startswith("alias/") or not body or not set(body) <= _ALLOWED:
        raise validation(
            "AliasName must be 'alias/' followed by letters, digits, '/', '_' or '-'", path="AliasName"
        )
    if name.startswith("alias/aws/"):
        raise AwsError(
            "NotAuthorizedException", "alias/aws/ is reserved for AWS managed keys", path="AliasName"
        )
    return name


def create_alias(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    name = _alias_name(p)
    rec = kms.resolve(p.str("TargetKeyId"), kms.clock.now(), allow_alias=False)
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, "CreateAlias", rec)
    kms.require_not_pending(rec)
    with kms.lock:
        if name in kms.aliases:
            raise AwsError(
                "AlreadyExistsException", f"An alias with the name {kms.alias_arn(name)} already exists"
            )
        if len(kms.aliases) >= MAX_ALIASES:
            raise AwsError("LimitExceededException", f"Too many aliases (limit {MAX_ALIASES})")
        kms.store.put_alias(name, rec.key_id, kms.clock.now())
        kms.aliases[name] = rec.key_id
    return {}


def update_alias(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    name = _alias_name(p)
    rec = kms.resolve(p.str("TargetKeyId"), kms.clock.now(), allow_alias=False)
    old = kms.resolve(name, kms.clock.now())
    ctx.resources += [old.arn, rec.arn]
    kms.authorize(ctx, "UpdateAlias", old)
    kms.authorize(ctx, "UpdateAlias", rec)
    if old.usage is not rec.usage or (old.spec == "SYMMETRIC_DEFAULT") != (rec.spec == "SYMMETRIC_DEFAULT"):
        raise validation("The new target key must have the same key type and key usage", path="TargetKeyId")
    with kms.lock:
        kms.store.put_alias(name, rec.key_id, kms.clock.now())
        kms.aliases[name] = rec.key_id
    return {}


def delete_alias(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    name = _alias_name(p)
    rec = kms.resolve(name, kms.clock.now())
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, "DeleteAlias", rec)
    with kms.lock:
        kms.store.delete_alias(name)
        kms.aliases.pop(name, None)
    return {}


def list_aliases(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    limit = p.int("Limit", required=False, default=100, lo=1, hi=100)
    marker = marker_of(p, lambda m: m.startswith("alias/"))
    key_id = None
    if p.has("KeyId"):
        rec = kms.resolve(p.str("KeyId"), kms.clock.now(), allow_alias=False)
        kms.authorize(ctx, "ListAliases", None)
        key_id = rec.key_id
    else:
        kms.authorize(ctx, "ListAliases", None)
    kms.purge_expired(kms.clock.now())
    names = sorted(n for n, k in kms.aliases.items() if n > marker and (key_id is None or k == key_id))
    page = names[:limit]
    out: dict[str, Any] = {
        "Aliases": [
            {"AliasName": n, "AliasArn": kms.alias_arn(n), "TargetKeyId": kms.aliases[n]} for n in page
        ],
        "Truncated": len(names) > limit,
    }
    if len(names) > limit:
        out["NextMarker"] = page[-1]
    return out


OPERATIONS = {
    "CreateAlias": create_alias,
    "UpdateAlias": update_alias,
    "DeleteAlias": delete_alias,
    "ListAliases": list_aliases,
}
