"""One page of a KMS listing that has no natural marker (tags, key policies, retirable grants).

Why: these listings once answered every item with ``Truncated: false`` whatever ``Limit`` asked,
and took any ``Marker``. KMS pages them like the others (``Limit``, ``NextMarker``, ``Truncated``)
and refuses a marker it did not issue with ``InvalidMarkerException``; the marker here is an opaque
offset bound to the listing (``awsapi.pagetoken``), so one from another key or listing is refused too.
"""

from __future__ import annotations

from typing import Any

from wafproxy.awsapi.errors import AwsError
from wafproxy.awsapi.pagetoken import issue, offset_of
from wafproxy.awsapi.params import Params

_INVALID = "The marker that specifies where pagination should next begin is not valid."


def _invalid_marker(message: str, member: str) -> AwsError:
    return AwsError("InvalidMarkerException", _INVALID)


def _invalid_value(message: str, member: str) -> AwsError:
    return AwsError("ValidationException", _INVALID, path="Marker")


def page(
    items: list[Any],
    p: Params,
    *,
    default: int,
    hi: int,
    binding: tuple[Any, ...],
    declares_marker_error: bool = True,
) -> dict[str, Any]:
    """``{"<page>": …, "Truncated": …, "NextMarker"?: …}`` minus the list member's name: the caller
    names it (``{"Tags": out.pop("Items"), **out}``). ``declares_marker_error=False``: the operation
    (ListKeyPolicies) lists no InvalidMarkerException, so a bad marker is a ValidationException."""
    limit = p.int("Limit", required=False, default=default, lo=1, hi=hi)
    error = _invalid_marker if declares_marker_error else _invalid_value
    start = offset_of(p.str("Marker", required=False, max_len=320), *binding, member="Marker", error=error)
    end = start + limit
    out: dict[str, Any] = {"Items": items[start:end], "Truncated": end < len(items)}
    if end < len(items):
        out["NextMarker"] = issue(end, *binding)
    return out
