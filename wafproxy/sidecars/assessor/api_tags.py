"""Inspector2 tagging of filters: CreateFilter's ``tags``, TagResource, UntagResource,
ListTagsForResource (``/tags/{resourceArn}``). Filters are the only taggable resource wafproxy's
Inspector has; any other ARN is ResourceNotFoundException. Inspector's limits: 50 tags, keys 1-128
characters (not ``aws:``), values up to 256.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.assessor.store import FindingStore

MAX_TAGS = 50


def checked_tags(p: Params, member: str = "tags") -> dict[str, str]:
    tags = p.str_map(member, max_items=MAX_TAGS)
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or key.startswith("aws:") or len(value) > 256:
            raise validation("tag keys must be 1-128 characters (not aws:) and values at most 256",
                             path=member)
    return tags


def _missing(arn: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Resource {arn[:256]} not found", status=404)


def handlers(store: FindingStore) -> dict[str, tuple[str, str, Callable[[CallContext, Params], Any]]]:
    def retag(p: Params, add: dict[str, str], remove: list[str]) -> dict[str, str]:
        arn = p.str("resourceArn", max_len=1011)
        try:
            tags = store.retag_filter(arn, add, remove, max_tags=MAX_TAGS)
        except OverflowError as exc:
            raise validation(str(exc), path="tags") from None
        if tags is None:
            raise _missing(arn)
        return tags

    def listing(ctx: CallContext, p: Params) -> dict[str, Any]:
        return {"tags": retag(p, {}, [])}

    def tag(ctx: CallContext, p: Params) -> dict[str, Any]:
        add = checked_tags(p)
        if not add:
            raise validation("tags must name at least one tag", path="tags")
        retag(p, add, [])
        return {}

    def untag(ctx: CallContext, p: Params) -> dict[str, Any]:
        keys = p.raw("tagKeys")
        keys = [keys] if isinstance(keys, str) else keys
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise validation("tagKeys must be a list of tag keys", path="tagKeys")
        retag(p, {}, keys)
        return {}

    return {
        "ListTagsForResource": ("GET", "/tags/{resourceArn}", listing),
        "TagResource": ("POST", "/tags/{resourceArn}", tag),
        "UntagResource": ("DELETE", "/tags/{resourceArn}", untag),
    }
