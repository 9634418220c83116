"""Inspector2 ``ListFindingAggregations`` for the kinds wafproxy's findings have: ACCOUNT,
FINDING_TYPE and TITLE, over the ACTIVE findings.

Every request member is honoured or refused, never ignored: ``accountIds`` (string filters on the
one account), the aggregation's own request (``findingType``, ``resourceType``, ``titles``,
``vulnerabilityIds``, ``sortBy`` CRITICAL/HIGH/ALL with ``sortOrder``); a request member for
another aggregation type is a ValidationException.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from wafproxy.awsapi.errors import validation
from wafproxy.sidecars.assessor import criteria as crit

_COUNT_KEYS = {"INFORMATIONAL": "informational", "LOW": "low", "MEDIUM": "medium", "HIGH": "high",
               "CRITICAL": "critical"}
# aggregationType → (request/response member, the request members it accepts).
KINDS = {
    "ACCOUNT": ("accountAggregation", {"findingType", "resourceType", "sortBy", "sortOrder"}),
    "FINDING_TYPE": ("findingTypeAggregation", {"findingType", "resourceType", "sortBy", "sortOrder"}),
    "TITLE": ("titleAggregation",
              {"titles", "vulnerabilityIds", "findingType", "resourceType", "sortBy", "sortOrder"}),
}
_SORT_BY = {"CRITICAL": "critical", "HIGH": "high", "ALL": "all"}


def severity_counts(findings: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    counts = {"all": len(findings), **{v: 0 for v in _COUNT_KEYS.values()}}
    for f in findings:
        counts[_COUNT_KEYS[f["severity"]]] += 1
    return counts


def _request(kind: str, raw: Any) -> dict[str, Any]:
    member, allowed = KINDS[kind]
    if not isinstance(raw, dict):
        raise validation("aggregationRequest must be an object", path="aggregationRequest")
    other = set(raw) - {member}
    if other:
        raise validation(f"aggregationRequest.{sorted(other)[0]} does not go with aggregationType {kind}",
                         path="aggregationRequest")
    request = raw.get(member) or {}
    if not isinstance(request, dict) or set(request) - allowed:
        raise validation(f"aggregationRequest.{member} accepts {', '.join(sorted(allowed))}",
                         path="aggregationRequest")
    for key in ("titles", "vulnerabilityIds"):
        if key in request:
            crit.validate({"title" if key == "titles" else "vulnerabilityId": request[key]},
                          path=f"aggregationRequest.{member}")
    order = request.get("sortOrder", "DESC")
    if request.get("sortBy", "ALL") not in _SORT_BY or order not in ("ASC", "DESC"):
        raise validation("sortBy must be CRITICAL, HIGH or ALL and sortOrder ASC or DESC",
                         path="aggregationRequest")
    return request


def aggregate(kind: str, raw_request: Any, account_ids: Any, active: Sequence[Mapping[str, Any]],
              account: str) -> list[dict[str, Any]]:
    """The response rows, sorted as asked (by the ALL count, descending, by default)."""
    if kind not in KINDS:
        raise validation(f"aggregationType must be one of {', '.join(KINDS)} here", path="aggregationType")
    member, _ = KINDS[kind]
    request = _request(kind, raw_request or {})
    if account_ids is not None:
        crit.validate({"awsAccountId": account_ids}, path="accountIds")
        if not crit.string_matches([account], account_ids):
            return []
    keep: list[Callable[[Mapping[str, Any]], bool]] = []
    if "findingType" in request:
        keep.append(lambda f: f["type"] == request["findingType"])
    if "resourceType" in request:
        keep.append(lambda f: any(r["type"] == request["resourceType"] for r in f["resources"]))
    if "titles" in request:
        keep.append(lambda f: crit.matches(f, {"title": request["titles"]}))
    if "vulnerabilityIds" in request:
        keep.append(lambda f: crit.matches(f, {"vulnerabilityId": request["vulnerabilityIds"]}))
    found = [f for f in active if all(k(f) for k in keep)]
    if kind == "ACCOUNT":
        groups = {"": found}
    else:
        key = "type" if kind == "FINDING_TYPE" else "title"
        groups = {}
        for f in found:
            groups.setdefault(f[key], []).append(f)
        if kind == "FINDING_TYPE" and "findingType" in request:
            groups.setdefault(request["findingType"], [])  # the type asked, even with no findings
    rows = []
    for name, members in sorted(groups.items()):
        row: dict[str, Any] = {"accountId": account, "severityCounts": severity_counts(members)}
        if kind == "TITLE":
            row["title"] = name
        rows.append(row)
    by = _SORT_BY[request.get("sortBy", "ALL")]
    rows.sort(key=lambda r: r["severityCounts"][by], reverse=request.get("sortOrder", "DESC") == "DESC")
    return [{member: r} for r in rows]
