"""Inspector2's vulnerability reads over the assessor's own data.

- ``SearchVulnerabilities``: a vulnerability id (or one of its aliases: a CVE id finds the OSV
  record that names it) looked up in the OSV database the dependency check reads
  (``--assess-osv-db``), then in the package findings of the store (what a past run found);
  unknown: an empty list, as Inspector answers an id it has no record of. The database is read
  once per change of its directory, on a thread.
- ``BatchGetFindingDetails``: the store's findings by ARN — their evidence (the check's title,
  what was observed, its severity), reference URLs and related ids; an ARN not in the store is
  listed in ``errors`` (FINDING_DETAILS_NOT_FOUND).
- ``BatchGetCodeSnippet``: code snippets exist for Lambda code findings only; wafproxy has none,
  so every ARN is in ``errors`` (CODE_SNIPPET_NOT_FOUND).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wafproxy.awsapi.errors import validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.assessor import osv
from wafproxy.sidecars.assessor.cvss import base_score
from wafproxy.sidecars.assessor.store import FindingStore

Routes = dict[str, tuple[str, str, Callable[[CallContext, Params], Any]]]
MAX_ARNS = 10  # Inspector's limit for both batch reads


class OsvCache:
    """The OSV database at ``path``, re-read when the directory changes (mtime)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stamp: int | None = None
        self._db: osv.OsvDatabase | None = None

    async def get(self) -> osv.OsvDatabase | None:
        if self.path is None:
            return None
        try:
            stamp = self.path.stat().st_mtime_ns
        except OSError:
            return None
        if self._db is None or stamp != self._stamp:
            self._db = await asyncio.to_thread(osv.load, self.path)
            self._stamp = stamp
        return self._db


def _from_osv(vuln: osv.Vulnerability) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": vuln.id,
        "description": (vuln.summary or vuln.details)[:2048],
        "sourceUrl": f"https://osv.dev/vulnerability/{vuln.id}",
        "relatedVulnerabilities": list(vuln.aliases),
        "referenceUrls": list(vuln.references[:20]),
    }
    if vuln.vendor_severity:
        out["vendorSeverity"] = vuln.vendor_severity
    if vuln.cvss_vector:
        try:
            out["cvss3"] = {"baseScore": base_score(vuln.cvss_vector), "scoringVector": vuln.cvss_vector}
        except ValueError:
            pass
    return out


def _from_finding(details: dict[str, Any], description: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": details["vulnerabilityId"],
        "description": description,
        "relatedVulnerabilities": list(details.get("relatedVulnerabilities") or []),
        "referenceUrls": list(details.get("referenceUrls") or []),
    }
    if details.get("sourceUrl"):
        out["sourceUrl"] = details["sourceUrl"]
    if details.get("vendorSeverity"):
        out["vendorSeverity"] = details["vendorSeverity"]
    cvss = next((c for c in details.get("cvss") or [] if str(c.get("version", "")).startswith("3")), None)
    if cvss:
        out["cvss3"] = {"baseScore": cvss["baseScore"], "scoringVector": cvss["scoringVector"]}
    return out


def _arns(p: Params) -> list[str]:
    arns = p.str_list("findingArns", required=True, max_items=MAX_ARNS)
    if not arns:
        raise validation(f"findingArns must list 1-{MAX_ARNS} finding ARNs", path="findingArns")
    return arns


def handlers(store: FindingStore, cache: OsvCache) -> Routes:
    async def search(ctx: CallContext, p: Params) -> dict[str, Any]:
        raw = p.raw("filterCriteria")
        ids = raw.get("vulnerabilityIds") if isinstance(raw, dict) else None
        if (
            not isinstance(ids, list)
            or len(ids) != 1
            or not isinstance(ids[0], str)
            or not 0 < len(ids[0]) <= 128
        ):
            raise validation(
                "filterCriteria.vulnerabilityIds must name one vulnerability id",
                path="filterCriteria.vulnerabilityIds",
            )
        if p.has("nextToken"):
            raise validation("nextToken does not continue this search", path="nextToken")
        wanted = ids[0]
        db = await cache.get()
        if db is not None:
            for vulns in db.by_package.values():
                for vuln in vulns:
                    if vuln.id == wanted or wanted in vuln.aliases:
                        return {"vulnerabilities": [_from_osv(vuln)]}
        for f in store.findings():
            details = f.get("packageVulnerabilityDetails")
            if isinstance(details, dict) and (
                details.get("vulnerabilityId") == wanted
                or wanted in (details.get("relatedVulnerabilities") or [])
            ):
                return {"vulnerabilities": [_from_finding(details, f.get("description", ""))]}
        return {"vulnerabilities": []}

    def finding_details(ctx: CallContext, p: Params) -> dict[str, Any]:
        arns = _arns(p)
        by_arn = {f["findingArn"]: f for f in store.findings() if f["findingArn"] in arns}
        details, errors = [], []
        for arn in arns:
            f = by_arn.get(arn)
            if f is None:
                errors.append(
                    {
                        "findingArn": arn,
                        "errorCode": "FINDING_DETAILS_NOT_FOUND",
                        "errorMessage": "no finding with this ARN",
                    }
                )
                continue
            pkg = f.get("packageVulnerabilityDetails") or {}
            details.append(
                {
                    "findingArn": arn,
                    "referenceUrls": list(pkg.get("referenceUrls") or []),
                    "cwes": [],
                    "tools": [],
                    "ttps": [],
                    "evidences": [
                        {
                            "evidenceRule": f.get("title", ""),
                            "evidenceDetail": f.get("description", ""),
                            "severity": f.get("severity", ""),
                        }
                    ],
                }
            )
        return {"findingDetails": details, "errors": errors}

    def code_snippets(ctx: CallContext, p: Params) -> dict[str, Any]:
        return {
            "codeSnippetResults": [],
            "errors": [
                {
                    "findingArn": arn,
                    "errorCode": "CODE_SNIPPET_NOT_FOUND",
                    "errorMessage": "code snippets exist for Lambda code findings; wafproxy has none",
                }
                for arn in _arns(p)
            ],
        }

    return {
        "SearchVulnerabilities": ("POST", "/vulnerabilities/search", search),
        "BatchGetFindingDetails": ("POST", "/findings/details/batch/get", finding_details),
        "BatchGetCodeSnippet": ("POST", "/codesnippet/batchget", code_snippets),
    }
