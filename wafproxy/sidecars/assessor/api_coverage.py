"""Inspector2 coverage: ListCoverage and ListCoverageStatistics over the assessor's scan records.

``CoverageFilterCriteria`` on what wafproxy's coverage has: accountId, resourceId, resourceType,
scanType, scanStatusCode, scanStatusReason (EQUALS / NOT_EQUALS) and lastScannedAt (inclusive
bounds); any other key is a ValidationException, never ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wafproxy.awsapi.errors import validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.assessor import criteria as crit
from wafproxy.sidecars.assessor.store import Coverage, FindingStore

Pager = Callable[..., tuple[list[Any], str | None]]
Routes = dict[str, tuple[str, str, Callable[[CallContext, Params], Any]]]
_GROUPS: dict[str, Callable[[Coverage, str], str]] = {
    "SCAN_STATUS_CODE": lambda r, account: r.status,
    "SCAN_STATUS_REASON": lambda r, account: r.reason,
    "ACCOUNT_ID": lambda r, account: account,
    "RESOURCE_TYPE": lambda r, account: r.resource_type,
}


def covered(store: FindingStore, criteria: Any) -> list[Coverage]:
    """The coverage rows ``criteria`` (a CoverageFilterCriteria) selects."""
    if criteria is None:
        criteria = {}
    if not isinstance(criteria, dict):
        raise validation("filterCriteria must be an object", path="filterCriteria")
    rows = store.coverage()
    account = store.account
    fields: dict[str, Callable[[Coverage], str]] = {
        "accountId": lambda r: account,
        "resourceId": lambda r: r.resource_id,
        "resourceType": lambda r: r.resource_type,
        "scanType": lambda r: r.scan_type,
        "scanStatusCode": lambda r: r.status,
        "scanStatusReason": lambda r: r.reason,
    }
    for key, filters in criteria.items():
        where = f"filterCriteria.{key}"
        if key == "lastScannedAt":  # CoverageDateFilter: epoch bounds, inclusive
            if not isinstance(filters, list) or not all(isinstance(x, dict) for x in filters):
                raise validation(f"{where} must be a list of date filters", path=where)
            rows = [r for r in rows if any(
                r.last >= crit.epoch(x.get("startInclusive", 0)) and r.last <= crit.epoch(
                    x.get("endInclusive", float("inf"))) for x in filters)]
            continue
        if key not in fields:
            raise validation(f"{where} is not supported", path=where)
        if not isinstance(filters, list) or not all(
            isinstance(x, dict) and x.get("comparison") in ("EQUALS", "NOT_EQUALS")
            and isinstance(x.get("value"), str) for x in filters
        ):
            raise validation(f"{where}: comparison EQUALS|NOT_EQUALS and a string value", path=where)
        get = fields[key]
        rows = [r for r in rows if crit.string_matches([get(r)], filters)]
    return rows


def handlers(store: FindingStore, page: Pager) -> Routes:
    def list_coverage(ctx: CallContext, p: Params) -> dict[str, Any]:
        items = [
            {
                "resourceType": r.resource_type,
                "resourceId": r.resource_id,
                "accountId": store.account,
                "scanType": r.scan_type,
                "scanStatus": {"statusCode": r.status, "reason": r.reason},
                "lastScannedAt": r.last,
            }
            for r in covered(store, p.raw("filterCriteria"))
        ]
        chunk, token = page(items, p, ctx, default=100, hi=200)
        return {"coveredResources": chunk, **({"nextToken": token} if token else {})}

    def statistics(ctx: CallContext, p: Params) -> dict[str, Any]:
        """Counts of covered resources, grouped by ``groupBy`` (the group's value in ``groupKey``)."""
        rows = covered(store, p.raw("filterCriteria"))
        group = p.str("groupBy", required=False, max_len=32)
        out: dict[str, Any] = {"totalCounts": len(rows)}
        if group is not None:
            if group not in _GROUPS:
                raise validation(f"groupBy must be one of {', '.join(_GROUPS)} here", path="groupBy")
            counts: dict[str, int] = {}
            for r in rows:
                key = _GROUPS[group](r, store.account)
                counts[key] = counts.get(key, 0) + 1
            items = [{"groupKey": k, "count": n} for k, n in sorted(counts.items(), key=lambda kv: -kv[1])]
            chunk, token = page(items, p, ctx, default=5, hi=5)
            out["countsByGroup"] = chunk
            if token:
                out["nextToken"] = token
        return out

    return {
        "ListCoverage": ("POST", "/coverage/list", list_coverage),
        "ListCoverageStatistics": ("POST", "/coverage/statistics/list", statistics),
    }
