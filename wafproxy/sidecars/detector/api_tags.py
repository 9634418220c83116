"""GuardDuty tagging: TagResource, UntagResource, ListTagsForResource on the detector, its filters,
threat-intel sets and trusted IP sets (tools such as Terraform read a resource's tags right after
creating it). Tags given at creation are the same tags. GuardDuty's limits: 200 tags, keys 1-128
characters (not ``aws:``), values up to 256. TagResource and UntagResource answer 204.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.awsapi.restjson import RestRoute
from wafproxy.sidecars.detector.criteria import bad_request
from wafproxy.sidecars.detector.resources import SET_KINDS

if TYPE_CHECKING:
    from wafproxy.sidecars.detector.api import GuardDutyApi

MAX_TAGS = 200


def checked(tags: Mapping[str, str]) -> dict[str, str]:
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or key.startswith("aws:") or len(value) > 256:
            raise bad_request("tag keys must be 1-128 characters (not aws:) and values at most 256")
    if len(tags) > MAX_TAGS:
        raise bad_request(f"at most {MAX_TAGS} tags")
    return dict(tags)


def _tags_of(api: GuardDutyApi, arn: str) -> dict[str, str]:
    """The live tag table of the resource ``arn`` names (BadRequestException if none)."""
    res = api.resources
    if arn == api.arn and res.settings.exists:
        return res.detector_tags
    prefix = api.arn + "/"
    kind, _, ident = arn[len(prefix):].partition("/") if arn.startswith(prefix) else ("", "", "")
    if kind == "filter" and ident in res.filters:
        return res.filters[ident].tags
    found = res.sets.get(ident)
    if found is not None and SET_KINDS[found.kind][0] == kind:
        return found.tags
    raise bad_request(f"The request is rejected because the resource {arn[:256]} does not exist.")


def routes(api: GuardDutyApi) -> list[RestRoute]:
    def listing(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        arn = p.str("ResourceArn", max_len=2048)
        api.check(ctx, p)
        return {"tags": dict(_tags_of(api, arn))}

    def tag(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        arn = p.str("ResourceArn", max_len=2048)
        api.check(ctx, p)
        new = checked(p.str_map("tags", max_items=MAX_TAGS))
        if not new:
            raise bad_request("tags must name at least one tag")
        table = _tags_of(api, arn)
        checked({**table, **new})
        table.update(new)
        api.resources.changed()
        return {}

    def untag(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        arn = p.str("ResourceArn", max_len=2048)
        api.check(ctx, p)
        keys = p.raw("tagKeys")
        keys = [keys] if isinstance(keys, str) else keys
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise bad_request("tagKeys must name at least one tag key")
        table = _tags_of(api, arn)
        for key in keys:
            table.pop(key, None)
        api.resources.changed()
        return {}

    handlers: dict[str, tuple[str, Callable[..., Any], int]] = {
        "ListTagsForResource": ("GET", listing, 200),
        "TagResource": ("POST", tag, 204),
        "UntagResource": ("DELETE", untag, 204),
    }
    return [RestRoute(op, method, "/tags/{ResourceArn}", fn, status)
            for op, (method, fn, status) in handlers.items()]
