"""Tags on keys: ``TagResource``/``UntagResource``/``ListResourceTags`` and CreateKey's ``Tags``.

Limits are AWS's: 50 tags per key, keys 1–128 characters, values 0–256; ``aws:``-prefixed keys
are reserved. Violations are ``TagException`` naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wafproxy.awsapi.errors import AwsError
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.kms import paging
from wafproxy.sidecars.kms.core import KmsCore

MAX_TAGS = 50


def parse_tags(p: Params, name: str = "Tags") -> dict[str, str]:
    out: dict[str, str] = {}
    for i, tag in enumerate(p.list_of_dicts(name, max_items=MAX_TAGS)):
        key, value = tag.get("TagKey"), tag.get("TagValue")
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or key.startswith("aws:"):
            raise AwsError("TagException", f"{name}[{i}].TagKey is invalid", path=f"{name}[{i}].TagKey")
        if not isinstance(value, str) or len(value) > 256:
            raise AwsError("TagException", f"{name}[{i}].TagValue is invalid", path=f"{name}[{i}].TagValue")
        out[key] = value
    return out


def tag_resource(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    tags = parse_tags(p)
    rec = kms.resolve(p.str("KeyId"), kms.clock.now(), allow_alias=False)
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, "TagResource", rec)
    kms.require_not_pending(rec)
    merged = dict(rec.tags) | tags
    if len(merged) > MAX_TAGS:
        raise AwsError("LimitExceededException", f"A key can have at most {MAX_TAGS} tags")
    kms.save(rec.with_(tags=tuple(sorted(merged.items()))))
    return {}


def untag_resource(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    keys = set(p.str_list("TagKeys", required=True, max_items=MAX_TAGS))
    rec = kms.resolve(p.str("KeyId"), kms.clock.now(), allow_alias=False)
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, "UntagResource", rec)
    kms.require_not_pending(rec)
    kms.save(rec.with_(tags=tuple((k, v) for k, v in rec.tags if k not in keys)))
    return {}


def list_resource_tags(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec = kms.resolve(p.str("KeyId"), kms.clock.now(), allow_alias=False)
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, "ListResourceTags", rec)
    tags = [{"TagKey": k, "TagValue": v} for k, v in rec.tags]
    out = paging.page(tags, p, default=50, hi=50, binding=("ListResourceTags", rec.key_id))
    return {"Tags": out.pop("Items"), **out}


OPERATIONS = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListResourceTags": list_resource_tags,
}
