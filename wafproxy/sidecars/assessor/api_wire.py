"""Inspector2's wire conventions, apart from the operations: epoch-second timestamps and the
error shapes its model declares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wafproxy.awsapi.errors import AwsError
from wafproxy.sidecars.assessor import criteria as crit

# The rest-json wire form of timestamps is epoch seconds (botocore's unixTimestamp default); the
# store keeps ISO strings (the hub's converter and the criteria read them).
_FINDING_TIMES = (("firstObservedAt",), ("lastObservedAt",), ("updatedAt",),
                  ("packageVulnerabilityDetails", "vendorCreatedAt"),
                  ("packageVulnerabilityDetails", "vendorUpdatedAt"),
                  ("exploitabilityDetails", "lastKnownExploitAt"))


def wire_times(doc: dict[str, Any], paths: Sequence[tuple[str, ...]] = _FINDING_TIMES) -> dict[str, Any]:
    """A copy of ``doc`` with the timestamp members at ``paths`` as epoch seconds."""
    out = dict(doc)
    for path in paths:
        parent = out
        for key in path[:-1]:
            child = parent.get(key)
            if not isinstance(child, dict):
                break
            parent[key] = child = dict(child)
            parent = child
        else:
            if isinstance(parent.get(path[-1]), str):
                parent[path[-1]] = crit.epoch(parent[path[-1]])
    return out


def inspector_error(exc: AwsError) -> AwsError:
    """Inspector2's ValidationException requires ``reason`` (and names ``fields``); a body that does
    not parse is the same exception with reason CANNOT_PARSE."""
    if exc.code == "SerializationException":
        exc = exc.renamed("ValidationException", status=400)
        exc.extra["reason"] = "CANNOT_PARSE"
    if exc.code == "ValidationException":
        exc.extra.setdefault("reason", "FIELD_VALIDATION_FAILED" if exc.path else "OTHER")
        if exc.path:
            exc.extra.setdefault("fields", [{"name": exc.path, "message": exc.message}])
    return exc
