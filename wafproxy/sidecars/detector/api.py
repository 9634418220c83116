"""The GuardDuty API (rest-json) over this detector, mounted on the admin listener.

boto3's ``guardduty`` client with ``endpoint_url`` = the admin listener and the same SigV4
credentials as the WAFv2 API; authorization by the same ``--policy-file`` with actions
``guardduty:<Operation>`` on the detector's ARN. One detector (``ListDetectors``). Findings ops
here, filters and lists in ``api_sets``. Changes are audit-logged (reads are not).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.awsapi.errors import access_denied
from wafproxy.awsapi.jsonproto import CallContext, CallRecord
from wafproxy.awsapi.params import Params
from wafproxy.awsapi.policy import Policy, RequestContext
from wafproxy.awsapi.restjson import RestJsonService, routes_from
from wafproxy.control.persist import AuditLog
from wafproxy.sidecars.detector import api_sets
from wafproxy.sidecars.detector.criteria import bad_request, matches, validate
from wafproxy.sidecars.detector.detector import Detector
from wafproxy.sidecars.detector.findings import Finding, iso
from wafproxy.sidecars.detector.resources import DetectorResources

_READS = ("Get", "List")
MAX_IDS = 50


class GuardDutyApi:
    def __init__(self, detector: Detector, resources: DetectorResources, *, credentials: CredentialStore,
                 policies: Mapping[str, Policy] | None = None, audit: AuditLog | None = None,
                 started: float = 0.0) -> None:
        self.detector = detector
        self.resources = resources
        self.policies = policies
        self.audit = audit or AuditLog(None)
        self.started = started
        info = detector.info
        self.arn = f"arn:aws:guardduty:{info.region}:{info.account}:detector/{info.detector_id}"
        table: dict[str, tuple[str, str, Callable[..., Any]]] = {
            "ListDetectors": ("GET", "/detector", self.list_detectors),
            "GetDetector": ("GET", "/detector/{DetectorId}", self.get_detector),
            "ListFindings": ("POST", "/detector/{DetectorId}/findings", self.list_findings),
            "GetFindings": ("POST", "/detector/{DetectorId}/findings/get", self.get_findings),
            "GetFindingsStatistics": ("POST", "/detector/{DetectorId}/findings/statistics", self.statistics),
            "ArchiveFindings": ("POST", "/detector/{DetectorId}/findings/archive", self.archive),
            "UnarchiveFindings": ("POST", "/detector/{DetectorId}/findings/unarchive", self.unarchive),
            **api_sets.routes(self),
        }
        self.app = RestJsonService(signing_name="guardduty", credentials=credentials,
                                   routes=routes_from(table), on_call=self._on_call,
                                   default_region=info.region)

    # ---- shared ---------------------------------------------------------------------------------

    def check(self, ctx: CallContext, p: Params) -> None:
        """The detector id must be ours; then the principal's policy must allow the action."""
        if p.has("DetectorId") and p.str("DetectorId", max_len=300) != self.detector.info.detector_id:
            raise bad_request("The request is rejected because the input detectorId is not owned by the "
                              "current account.")
        ctx.resources.append(self.arn)
        if self.policies is None:
            return
        policy = self.policies.get(ctx.principal.name)
        if policy is not None:
            result = policy.evaluate(RequestContext(
                action=f"guardduty:{ctx.operation}", resource=self.arn, principal_arn=ctx.principal.arn,
                account=ctx.principal.account, condition_keys={"aws:sourceip": (ctx.source_ip,)}))
            if result.allowed and not result.denied:
                return
        raise access_denied(f"User: {ctx.principal.arn} is not authorized to perform: "
                            f"guardduty:{ctx.operation} on resource: {self.arn}")

    def _on_call(self, record: CallRecord) -> None:
        if record.operation.startswith(_READS) or record.principal_arn is None:
            return
        self.audit.record(record.principal_arn, f"guardduty:{record.operation}",
                          ",".join(record.resources) or "-", record.error_code or "ok")

    @staticmethod
    def page(items: list[Any], p: Params, default: int = 50, hi: int = 50) -> tuple[list[Any], str | None]:
        raw_max = p.raw("maxResults")
        limit = int(raw_max) if isinstance(raw_max, int | str) and str(raw_max).isdigit() else default
        if not 1 <= limit <= hi:
            raise bad_request(f"maxResults must be between 1 and {hi}")
        token = p.raw("nextToken")
        start = int(token) if isinstance(token, str) and token.isdigit() else 0
        chunk = items[start:start + limit]
        return chunk, (str(start + limit) if start + limit < len(items) else None)

    def _selected(self, p: Params) -> list[Finding]:
        criterion = validate(p.raw("findingCriteria"))
        info = self.detector.info
        found = [f for f in self.detector.store.all() if not criterion or matches(f.to_wire(info), criterion)]
        sort = p.raw("sortCriteria")
        if isinstance(sort, dict) and sort.get("attributeName"):
            attr = str(sort["attributeName"])
            desc = str(sort.get("orderBy", "ASC")).upper() == "DESC"
            found.sort(key=lambda f: str(f.to_wire(info).get(attr, "")) if attr != "severity" else f.severity,
                       reverse=desc)
        else:
            found.sort(key=lambda f: f.updated_at, reverse=True)
        return found

    def _ids(self, p: Params) -> list[str]:
        ids = p.str_list("findingIds", required=True, max_items=MAX_IDS)
        return ids

    # ---- operations -----------------------------------------------------------------------------

    def list_detectors(self, ctx: CallContext, p: Params) -> Mapping[str, Any]:
        self.check(ctx, p)
        return {"detectorIds": [self.detector.info.detector_id]}

    def get_detector(self, ctx: CallContext, p: Params) -> Mapping[str, Any]:
        self.check(ctx, p)
        info = self.detector.info
        return {"createdAt": iso(self.started), "updatedAt": iso(self.started),
                "findingPublishingFrequency": "FIFTEEN_MINUTES",
                "serviceRole": f"arn:aws:iam::{info.account}:role/aws-service-role/guardduty.amazonaws.com/"
                               "AWSServiceRoleForAmazonGuardDuty",
                "status": "ENABLED", "tags": {}}

    def list_findings(self, ctx: CallContext, p: Params) -> Mapping[str, Any]:
        self.check(ctx, p)
        chunk, token = self.page(self._selected(p), p)
        out: dict[str, Any] = {"findingIds": [f.id for f in chunk]}
        if token:
            out["nextToken"] = token
        return out

    def get_findings(self, ctx: CallContext, p: Params) -> Mapping[str, Any]:
        self.check(ctx, p)
        store, info = self.detector.store, self.detector.info
        found = [f for f in (store.get(i) for i in self._ids(p)) if f is not None]
        return {"findings": [f.to_wire(info) for f in found]}

    def statistics(self, ctx: CallContext, p: Params) -> Mapping[str, Any]:
        self.check(ctx, p)
        found = self._selected(p)
        group = p.raw("groupBy")
        if group is None:
            counts: dict[str, int] = {}
            for f in found:
                counts[str(f.severity)] = counts.get(str(f.severity), 0) + 1
            return {"findingStatistics": {"countBySeverity": counts}}
        if group == "FINDING_TYPE":
            by: dict[str, list[Finding]] = {}
            for f in found:
                by.setdefault(f.type, []).append(f)
            rows = [{"findingType": k, "totalFindings": len(v),
                     "lastGeneratedAt": max(x.updated_at for x in v)} for k, v in sorted(by.items())]
            return {"findingStatistics": {"groupedByFindingType": rows}}
        if group == "SEVERITY":
            sev: dict[float, list[Finding]] = {}
            for f in found:
                sev.setdefault(f.severity, []).append(f)
            rows = [{"severity": k, "totalFindings": len(v), "lastGeneratedAt": max(x.updated_at for x in v)}
                    for k, v in sorted(sev.items())]
            return {"findingStatistics": {"groupedBySeverity": rows}}
        raise bad_request(f"groupBy {group!r} is not supported here (FINDING_TYPE, SEVERITY)")

    def _set_archived(self, ctx: CallContext, p: Params, archived: bool) -> Mapping[str, Any]:
        self.check(ctx, p)
        for fid in self._ids(p):
            finding = self.detector.store.get(fid)
            if finding is not None:
                finding.archived = archived
        return {}

    def archive(self, ctx: CallContext, p: Params) -> Mapping[str, Any]:
        return self._set_archived(ctx, p, True)

    def unarchive(self, ctx: CallContext, p: Params) -> Mapping[str, Any]:
        return self._set_archived(ctx, p, False)
