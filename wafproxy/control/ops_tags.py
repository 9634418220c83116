"""WAFv2 tagging (TagResource, UntagResource, ListTagsForResource) and ListLoggingConfigurations.

Tags live in the resource's own document (``Tags``, the member every WAFv2 Create accepts and our
document parsers already allow), so they are persisted, replicated over Redis and reloaded with the
resource, and a tag given to CreateIPSet is kept rather than accepted and ignored. Tagging does not
change the resource's ``LockToken`` (it changes no rule): the document is replaced in place.
Limits are AWS's: 50 tags per resource, keys 1-128 and values 0-256 characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.control import errors
from wafproxy.control.plane_util import paginate

if TYPE_CHECKING:
    from wafproxy.control.plane import ControlPlane
    from wafproxy.control.resources import Resource
    from wafproxy.control.wire import AsyncHandler

MAX_TAGS = 50


def checked_tags(raw: Any, member: str = "Tags") -> list[dict[str, str]]:
    """A request's ``Tags`` (a list of ``{Key, Value}``), validated as WAFv2 does."""
    if not isinstance(raw, list) or len(raw) > MAX_TAGS:
        raise errors.invalid("TAGS", member, f"must be a list of at most {MAX_TAGS} tags")
    out: list[dict[str, str]] = []
    for tag in raw:
        key = tag.get("Key") if isinstance(tag, dict) else None
        value = tag.get("Value") if isinstance(tag, dict) else None
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or key.startswith("aws:"):
            raise errors.invalid("TAG_KEYS", member, "a tag Key must be 1-128 characters, not starting aws:")
        if not isinstance(value, str) or len(value) > 256:
            raise errors.invalid("TAGS", member, "a tag Value must be 0-256 characters")
        out.append({"Key": key, "Value": value})
    return out


def _merged(old: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    table = {t["Key"]: t["Value"] for t in old}
    table.update({t["Key"]: t["Value"] for t in new})
    return [{"Key": k, "Value": v} for k, v in table.items()]


def operations(plane: ControlPlane) -> dict[str, AsyncHandler]:
    def resource(ctx: CallContext, p: Params) -> Resource:
        arn = p.str("ResourceARN", max_len=2048)
        res = plane.store.by_arn(arn)
        if res is None:
            raise errors.nonexistent(arn)
        plane.authorize(ctx, res.arn)
        return res

    async def retag(res: Resource, tags: list[dict[str, str]], reason: str) -> None:
        if len(tags) > MAX_TAGS:
            raise errors.limits(f"at most {MAX_TAGS} tags per resource")
        doc = {k: v for k, v in res.document.items() if k != "Tags"}
        if tags:
            doc["Tags"] = tags
        await plane.change(put=[replace(res, document=doc)], reason=reason)

    async def tag(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        async with plane.reloader.lock:
            res = resource(ctx, p)
            new = checked_tags(p.raw("Tags"))
            if not new:
                raise errors.invalid("TAGS", "Tags", "at least one tag")
            await retag(res, _merged(list(res.document.get("Tags") or []), new), "TagResource")
        return {}

    async def untag(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        keys = set(p.str_list("TagKeys", required=True, max_items=MAX_TAGS))
        async with plane.reloader.lock:
            res = resource(ctx, p)
            kept = [t for t in res.document.get("Tags") or [] if t["Key"] not in keys]
            await retag(res, kept, "UntagResource")
        return {}

    async def list_tags(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        res = resource(ctx, p)
        tags = sorted(res.document.get("Tags") or [], key=lambda t: str(t["Key"]))
        tags = [{"Name": t["Key"], **t} for t in tags]  # paginate's marker is the Name
        page, marker = paginate(tags, p, f"{ctx.operation} {res.arn}")
        return {
            **({"NextMarker": marker} if marker else {}),
            "TagInfoForResource": {
                "ResourceARN": res.arn,
                "TagList": [{"Key": t["Key"], "Value": t["Value"]} for t in page],
            },
        }

    async def list_logging(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        from wafproxy.control.plane import check_scope

        check_scope(p)
        acl = plane.store.web_acl
        plane.authorize(ctx, acl.arn)
        config = plane.store.logging_config
        scope = p.str("LogScope", required=False, default="CUSTOMER", max_len=64)
        found = [config] if config is not None and config.get("LogScope", "CUSTOMER") == scope else []
        named = [{"Name": c["ResourceArn"], **c} for c in found]
        page, marker = paginate(named, p, f"{ctx.operation} {scope}")
        return {
            "LoggingConfigurations": [{k: v for k, v in c.items() if k != "Name"} for c in page],
            **({"NextMarker": marker} if marker else {}),
        }

    return {
        "TagResource": tag,
        "UntagResource": untag,
        "ListTagsForResource": list_tags,
        "ListLoggingConfigurations": list_logging,
    }
