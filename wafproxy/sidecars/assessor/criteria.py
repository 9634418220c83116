"""Inspector2 ``FilterCriteria`` evaluated on finding dicts (ListFindings and SUPPRESS filters).

Within one key, ``EQUALS``/``PREFIX`` filters are alternatives (any may match) and ``NOT_EQUALS``
filters must all hold; across keys every key must match (Inspector's documented semantics). Keys
that name things wafproxy findings never have (EC2, ECR, Lambda…) are refused with a validation
error rather than ignored: never accept an option and ignore it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from wafproxy.awsapi.errors import validation

_STRING: Mapping[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "findingArn": lambda f: [f["findingArn"]],
    "awsAccountId": lambda f: [f["awsAccountId"]],
    "findingType": lambda f: [f["type"]],
    "severity": lambda f: [f["severity"]],
    "findingStatus": lambda f: [f["status"]],
    "title": lambda f: [f.get("title", "")],
    "resourceType": lambda f: [r["type"] for r in f["resources"]],
    "resourceId": lambda f: [r["id"] for r in f["resources"]],
    "fixAvailable": lambda f: [f.get("fixAvailable", "NO")],
    "vulnerabilityId": lambda f: [(f.get("packageVulnerabilityDetails") or {}).get("vulnerabilityId", "")],
    "vulnerabilitySource": lambda f: [(f.get("packageVulnerabilityDetails") or {}).get("source", "")],
    "vendorSeverity": lambda f: [(f.get("packageVulnerabilityDetails") or {}).get("vendorSeverity", "")],
    "relatedVulnerabilities": lambda f: list(
        (f.get("packageVulnerabilityDetails") or {}).get("relatedVulnerabilities", [])
    ),
}
_DATE = ("firstObservedAt", "lastObservedAt", "updatedAt")
_NUMBER = {"inspectorScore": lambda f: f.get("inspectorScore")}


def epoch(value: Any) -> float:
    """Epoch seconds of a stored ISO timestamp or a wire number (rest-json sends epoch numbers)."""
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def validate(criteria: Any, path: str = "filterCriteria") -> Mapping[str, list[Mapping[str, Any]]]:
    if not isinstance(criteria, Mapping):
        raise validation(f"{path} must be an object", path=path)
    for key, filters in criteria.items():
        if key not in _STRING and key not in _DATE and key not in _NUMBER and key != "vulnerablePackages":
            raise validation(f"{path}.{key} is not supported by wafproxy's Inspector", path=f"{path}.{key}")
        if not isinstance(filters, list) or not all(isinstance(x, Mapping) for x in filters):
            raise validation(f"{path}.{key} must be a list of filters", path=f"{path}.{key}")
        for x in filters:
            if key in _STRING and (
                x.get("comparison") not in ("EQUALS", "PREFIX", "NOT_EQUALS")
                or not isinstance(x.get("value"), str)
            ):
                raise validation(
                    f"{path}.{key}: comparison EQUALS|PREFIX|NOT_EQUALS and a string value",
                    path=f"{path}.{key}",
                )
    return criteria  # type: ignore[return-value]


def string_matches(values: list[str], filters: list[Mapping[str, Any]]) -> bool:
    positive = [x for x in filters if x["comparison"] != "NOT_EQUALS"]
    negative = [x for x in filters if x["comparison"] == "NOT_EQUALS"]
    if any(x["value"] in values for x in negative):
        return False
    if not positive:
        return True
    return any(
        (x["value"] in values)
        if x["comparison"] == "EQUALS"
        else any(v.startswith(x["value"]) for v in values)
        for x in positive
    )


def matches(finding: Mapping[str, Any], criteria: Mapping[str, list[Mapping[str, Any]]]) -> bool:
    for key, filters in criteria.items():
        if not filters:
            continue
        if key in _STRING:
            ok = string_matches(_STRING[key](finding), filters)
        elif key in _DATE:
            at = epoch(finding[key])
            ok = any(
                (x.get("startInclusive") is None or at >= epoch(x["startInclusive"]))
                and (x.get("endInclusive") is None or at <= epoch(x["endInclusive"]))
                for x in filters
            )
        elif key in _NUMBER:
            n = _NUMBER[key](finding)
            ok = n is not None and any(
                (x.get("lowerInclusive") is None or n >= x["lowerInclusive"])
                and (x.get("upperInclusive") is None or n <= x["upperInclusive"])
                for x in filters
            )
        else:  # vulnerablePackages: name/version StringFilters
            pkgs = (finding.get("packageVulnerabilityDetails") or {}).get("vulnerablePackages") or []
            ok = any(
                all(string_matches([str(p.get(k, ""))], [x[k]]) for k in ("name", "version") if k in x)
                for x in filters
                for p in pkgs
            )
        if not ok:
            return False
    return True
