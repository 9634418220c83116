"""Small helpers the operation modules share (pagination, a synthetic web ACL for validation)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.params import Params
from wafproxy.control import errors
from wafproxy.control.resources import Resource

if TYPE_CHECKING:
    from wafproxy.control.plane import ControlPlane

MAX_LIMIT = 100  # AWS: Limit 1..100


def _bad_marker(reason: str) -> errors.WafError:
    """A marker we did not issue. No ``Field``: ParameterExceptionField has no member for NextMarker
    (a strict SDK reads Field as that enum); ``Parameter`` names it."""
    return errors.WafError(
        "WAFInvalidParameterException",
        f"Error reason: {reason}, parameter: NextMarker",
        parameter="NextMarker",
    )


def paginate(
    items: list[dict[str, Any]], p: Params, listing: str
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``items`` (sorted by ``Name``). ``NextMarker`` names the first item of the next
    page, so a listing that changes between calls neither repeats nor skips an item, and is bound
    to ``listing`` (the operation, and what it lists): a marker from another listing, or one we did
    not issue, is WAFInvalidParameterException rather than a silently different page."""
    limit = p.int("Limit", required=False, default=MAX_LIMIT, lo=1, hi=MAX_LIMIT)
    raw = p.str("NextMarker", required=False, max_len=256)
    if raw:
        try:
            marker = json.loads(base64.urlsafe_b64decode(raw.encode("ascii")))
            name, bound = str(marker["n"]), str(marker["l"])
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError):
            raise _bad_marker("not a marker this API issued") from None
        if bound != _listing_digest(listing):
            raise _bad_marker("issued for another listing")
        items = [i for i in items if str(i["Name"]) >= name]
    page = items[:limit]
    if len(items) <= limit:
        return page, None
    token = {"n": str(items[limit]["Name"]), "l": _listing_digest(listing)}
    return page, base64.urlsafe_b64encode(json.dumps(token, separators=(",", ":")).encode()).decode()


def _listing_digest(listing: str) -> str:
    return hashlib.sha256(listing.encode()).hexdigest()[:12]


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
