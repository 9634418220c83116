"""Small helpers the operation modules share (pagination, a synthetic web ACL for validation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.params import Params
from wafproxy.control.resources import Resource

if TYPE_CHECKING:
    from wafproxy.control.plane import ControlPlane

MAX_LIMIT = 100  # AWS: Limit 1..100


def paginate(items: list[dict[str, Any]], p: Params) -> tuple[list[dict[str, Any]], str | None]:
    """``NextMarker`` is the name of the first item of the next page (items are sorted by name)."""
    limit = p.int("Limit", required=False, default=MAX_LIMIT, lo=1, hi=MAX_LIMIT)
    marker = p.str("NextMarker", required=False, max_len=256)
    if marker:
        items = [i for i in items if str(i["Name"]) >= marker]
    page = items[:limit]
    nxt = str(items[limit]["Name"]) if len(items) > limit else None
    return page, nxt


def synthetic_acl(plane: ControlPlane, rules: list[Any]) -> Resource:
    """A throwaway web ACL around ``rules`` (CheckCapacity, rule group validation)."""
    names = plane.reloader.names
    doc = {
        "Name": "wafproxy-check",
        "Id": "check",
        "ARN": names.arn("webacl", "wafproxy-check", "check"),
        "DefaultAction": {"Allow": {}},
        "Rules": rules,
        "VisibilityConfig": {
            "SampledRequestsEnabled": False,
            "CloudWatchMetricsEnabled": False,
            "MetricName": "wafproxy-check",
        },
    }
    return Resource("webacl", "wafproxy-check", "check", str(doc["ARN"]), "", doc, "<CheckCapacity>")
