"""Inspector2 findings reports and SBOM exports, written as real files to a local directory that
stands in for the S3 bucket (``sidecars.localbucket``: ``s3Destination.bucketName`` /
``keyPrefix`` → ``<state>/buckets/<bucket>/<prefix>/``, ``<state>`` the directory of the assessor's
store).

- ``CreateFindingsReport``: the findings ``filterCriteria`` selects (ListFindings' grammar), as
  ``<reportId>.csv`` (Inspector's column names) or ``<reportId>.json`` (``{"findings": [...]}``,
  the API's finding documents). None selected: the report FAILS with ``NO_FINDINGS_FOUND``, as
  Inspector's does.
- ``CreateSbomExport``: the assessed Python environment (the dependency check's resource: its
  installed distributions) as CycloneDX 1.4 JSON or SPDX 2.3 JSON, with the vulnerabilities the
  store's ACTIVE package findings name, at ``<prefix>/<reportId>/<account>/<resource>.json``.

Both are written before the call answers (a report is at most the store's 20 000 findings), so
the status is SUCCEEDED or FAILED at once and Cancel finds nothing in progress
(ValidationException). A ``kmsKeyArn`` that is not a KMS key ARN FAILS with MALFORMED_KMS_KEY; the
files themselves are not encrypted (the admin's state directory is private, 0700). A bucket owner
other than this account FAILS with INVALID_PERMISSIONS. Reports are kept in the store's settings,
so their status answers after a restart.
"""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.control.persist import atomic_write
from wafproxy.sidecars.assessor import criteria as crit
from wafproxy.sidecars.assessor import sbom
from wafproxy.sidecars.assessor.api_wire import wire_times
from wafproxy.sidecars.assessor.store import MEMORY, FindingStore
from wafproxy.sidecars.localbucket import BadBucket, directory

Routes = dict[str, tuple[str, str, Callable[[CallContext, Params], Any]]]
MAX_KEPT = 100  # report records kept (oldest dropped)
_COLUMNS = (
    ("AWS Account Id", ("awsAccountId",)),
    ("Severity", ("severity",)),
    ("Fix Available", ("fixAvailable",)),
    ("Finding Type", ("type",)),
    ("Title", ("title",)),
    ("Description", ("description",)),
    ("Finding ARN", ("findingArn",)),
    ("First Seen", ("firstObservedAt",)),
    ("Last Seen", ("lastObservedAt",)),
    ("Last Updated", ("updatedAt",)),
    ("Status", ("status",)),
    ("Inspector Score", ("inspectorScore",)),
    ("Vulnerability Id", ("packageVulnerabilityDetails", "vulnerabilityId")),
    ("Remediation", ("remediation", "recommendation", "text")),
)
_SBOM_FORMATS = ("CYCLONEDX_1_4", "SPDX_2_3")
_SBOM_KEYS = ("accountId", "resourceId", "resourceType")


def _at(doc: Mapping[str, Any], path: tuple[str, ...]) -> str:
    value: Any = doc
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def findings_csv(findings: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name for name, _ in _COLUMNS] + ["Resource ID", "Resource Type"])
    for f in findings:
        resource = (f.get("resources") or [{}])[0]
        writer.writerow(
            [_at(f, path) for _, path in _COLUMNS] + [resource.get("id", ""), resource.get("type", "")]
        )
    return out.getvalue()


def _write(path: Path, text: str) -> None:
    """A report holds findings: written whole or not at all, durably, 0600 in 0700 directories."""
    atomic_write(path, text.encode("utf-8"))


def handlers(
    store: FindingStore,
    packages: Callable[[], list[tuple[str, str]]],
    resource: str,
    clock: Callable[[], float] = time.time,
) -> Routes:
    def state() -> Path:
        if store.path == MEMORY:
            raise validation(
                "the assessor has no state directory (--state-dir) to hold a bucket", path="s3Destination"
            )
        return store.path.parent

    def destination(p: Params) -> tuple[dict[str, Any], Path]:
        raw = p.raw("s3Destination")
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("bucketName"), str)
            or not isinstance(raw.get("kmsKeyArn"), str)
        ):
            raise validation("s3Destination needs bucketName and kmsKeyArn", path="s3Destination")
        dest = {
            k: raw[k]
            for k in ("bucketName", "keyPrefix", "kmsKeyArn", "expectedBucketOwner")
            if isinstance(raw.get(k), str)
        }
        try:
            where = directory(state(), dest["bucketName"], dest.get("keyPrefix", ""))
        except BadBucket as exc:
            raise validation(f"s3Destination: {exc}", path="s3Destination") from None
        return dest, where

    def failure(dest: Mapping[str, Any]) -> tuple[str, str] | None:
        if not dest["kmsKeyArn"].startswith("arn:aws:kms:") or ":key/" not in dest["kmsKeyArn"]:
            return "MALFORMED_KMS_KEY", "kmsKeyArn is not a KMS key ARN (arn:aws:kms:region:account:key/id)"
        owner = dest.get("expectedBucketOwner")
        if owner is not None and owner != store.account:
            return "INVALID_PERMISSIONS", f"the bucket is owned by {store.account}, not {owner}"
        return None

    def keep(kind: str, doc: dict[str, Any]) -> None:
        kept = dict(store.setting(kind) or {})
        kept[doc["reportId"]] = doc
        for old in sorted(kept, key=lambda k: kept[k]["createdAt"])[:-MAX_KEPT]:
            del kept[old]
        store.set_setting(kind, kept)

    def finished(doc: dict[str, Any], failed: tuple[str, str] | None) -> dict[str, Any]:
        if failed is None:
            return {**doc, "status": "SUCCEEDED"}
        return {**doc, "status": "FAILED", "errorCode": failed[0], "errorMessage": failed[1]}

    def create_report(ctx: CallContext, p: Params) -> dict[str, Any]:
        fmt = p.str("reportFormat", max_len=8)
        if fmt not in ("CSV", "JSON"):
            raise validation("reportFormat must be CSV or JSON", path="reportFormat")
        criteria = crit.validate(p.raw("filterCriteria") or {})
        dest, where = destination(p)
        report_id = str(uuid.uuid4())
        failed = failure(dest)
        findings = [wire_times(f) for f in store.findings(criteria)] if failed is None else []
        if failed is None and not findings:
            failed = ("NO_FINDINGS_FOUND", "no finding matches filterCriteria")
        if failed is None:
            text = findings_csv(findings) if fmt == "CSV" else json.dumps({"findings": findings}, indent=1)
            _write(where / f"{report_id}.{fmt.lower()}", text)
        doc = {
            "reportId": report_id,
            "destination": dest,
            "filterCriteria": p.raw("filterCriteria") or {},
            "createdAt": clock(),
            "format": fmt,
        }
        keep("findingsReports", finished(doc, failed))
        return {"reportId": report_id}

    def report(kind: str, p: Params, required: bool = True) -> dict[str, Any]:
        kept = store.setting(kind) or {}
        report_id = p.str("reportId", required=False, max_len=64)
        if report_id is None and required:
            raise validation("reportId is required", path="reportId")
        if report_id is None:  # GetFindingsReportStatus without an id: the latest report, if any
            return max(kept.values(), key=lambda d: d["createdAt"]) if kept else {}
        if report_id not in kept:
            raise AwsError("ResourceNotFoundException", f"report {report_id} not found", status=404)
        return dict(kept[report_id])

    def report_status(ctx: CallContext, p: Params) -> dict[str, Any]:
        doc = report("findingsReports", p, required=False)
        return {
            k: doc[k]
            for k in ("reportId", "status", "errorCode", "errorMessage", "destination", "filterCriteria")
            if k in doc
        }

    def cancel(kind: str) -> Callable[[CallContext, Params], dict[str, Any]]:
        def handler(ctx: CallContext, p: Params) -> dict[str, Any]:
            doc = report(kind, p)
            raise validation(
                f"report {doc['reportId']} is {doc['status']}: only a report in progress can be cancelled",
                path="reportId",
            )

        return handler

    def create_sbom(ctx: CallContext, p: Params) -> dict[str, Any]:
        fmt = p.str("reportFormat", max_len=16)
        if fmt not in _SBOM_FORMATS:
            raise validation(f"reportFormat must be one of {', '.join(_SBOM_FORMATS)}", path="reportFormat")
        criteria = p.raw("resourceFilterCriteria") or {}
        if (
            not isinstance(criteria, dict)
            or set(criteria) - set(_SBOM_KEYS)
            or not all(
                isinstance(v, list)
                and all(
                    isinstance(x, dict)
                    and x.get("comparison") in ("EQUALS", "NOT_EQUALS")
                    and isinstance(x.get("value"), str)
                    for x in v
                )
                for v in criteria.values()
            )
        ):
            raise validation(
                f"resourceFilterCriteria: wafproxy's resources are filtered by {', '.join(_SBOM_KEYS)}"
                " (EQUALS / NOT_EQUALS a string)",
                path="resourceFilterCriteria",
            )
        dest, where = destination(p)
        report_id = str(uuid.uuid4())
        failed = failure(dest)
        values = {"accountId": store.account, "resourceId": resource, "resourceType": sbom.RESOURCE_TYPE}
        selected = all(crit.string_matches([values[k]], v) for k, v in criteria.items())
        if failed is None and not selected:
            failed = ("NO_FINDINGS_FOUND", "no resource matches resourceFilterCriteria")
        if failed is None:
            active = store.findings({"findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}]})
            doc = sbom.document(fmt, resource, packages(), active, clock())
            name = resource.replace("/", "_").replace(":", "_")
            _write(where / report_id / store.account / f"{name}.json", json.dumps(doc, indent=1))
        record = {
            "reportId": report_id,
            "s3Destination": dest,
            "filterCriteria": criteria,
            "createdAt": clock(),
            "format": fmt,
        }
        keep("sbomExports", finished(record, failed))
        return {"reportId": report_id}

    def get_sbom(ctx: CallContext, p: Params) -> dict[str, Any]:
        doc = report("sbomExports", p)
        return {
            k: doc[k]
            for k in (
                "reportId",
                "format",
                "status",
                "errorCode",
                "errorMessage",
                "s3Destination",
                "filterCriteria",
            )
            if k in doc
        }

    return {
        "CreateFindingsReport": ("POST", "/reporting/create", create_report),
        "GetFindingsReportStatus": ("POST", "/reporting/status/get", report_status),
        "CancelFindingsReport": ("POST", "/reporting/cancel", cancel("findingsReports")),
        "CreateSbomExport": ("POST", "/sbomexport/create", create_sbom),
        "GetSbomExport": ("POST", "/sbomexport/get", get_sbom),
        "CancelSbomExport": ("POST", "/sbomexport/cancel", cancel("sbomExports")),
    }
