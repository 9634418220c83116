"""The GuardDuty API (rest-json) over this detector, mounted on the admin listener.

boto3's ``guardduty`` client with ``endpoint_url`` = the admin listener and the same SigV4
credentials as the WAFv2 API; authorization by the same ``--policy-file`` with actions
``guardduty:<Operation>`` on the detector's ARN. One detector (its lifecycle in ``api_detector``).
Findings ops here, filters and lists in ``api_sets``. Changes are audit-logged (reads are not).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from wafproxy.awsapi import pagetoken
from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.awsapi.errors import AwsError, access_denied
from wafproxy.awsapi.idempotency import ClientTokens
from wafproxy.awsapi.jsonproto import CallContext, CallRecord
from wafproxy.awsapi.params import Params
from wafproxy.awsapi.policy import Policy, RequestContext
from wafproxy.awsapi.restjson import RestJsonService, routes_from
from wafproxy.control.persist import AuditLog
from wafproxy.sidecars.detector import (
    api_absent,
    api_destinations,
    api_detector,
    api_members,
    api_sets,
    api_tags,
    api_usage,
)
from wafproxy.sidecars.detector.criteria import bad_request, lookup, matches, sort_key, validate
from wafproxy.sidecars.detector.detector import Detector
from wafproxy.sidecars.detector.findings import TITLES, DetectorInfo, Finding
from wafproxy.sidecars.detector.observation import Hit
from wafproxy.sidecars.detector.resources import DetectorResources

_READS = ("Get", "List")
SAMPLE_IP = "198.51.100.200"  # TEST-NET-2 (RFC 5737): a sample names no real address
MAX_IDS = 50


def _day(ts: float) -> float:
    return ts - ts % 86400


# GroupBy → (response member, grouping key of a finding, the row's identifying members).
_GROUPS: dict[str, tuple[str, Callable[[Finding], Any], Callable[[Any, DetectorInfo], dict[str, Any]]]] = {
    "ACCOUNT": ("groupedByAccount", lambda f: 0, lambda k, info: {"accountId": info.account}),
    "DATE": ("groupedByDate", lambda f: _day(f.updated_at), lambda k, info: {"date": k}),
    "FINDING_TYPE": ("groupedByFindingType", lambda f: f.type, lambda k, info: {"findingType": k}),
    "RESOURCE": ("groupedByResource", lambda f: f.resource,
                 lambda k, info: {"accountId": info.account, "resourceId": k, "resourceType": "Proxy"}),
    "SEVERITY": ("groupedBySeverity", lambda f: f.severity, lambda k, info: {"severity": k}),
}


def guardduty_error(exc: AwsError) -> AwsError:
    """GuardDuty has no ValidationException: bad input of any kind is a BadRequestException, whose
    model carries ``message`` and ``type`` (boto3's ``e.response["Type"]``)."""
    if exc.code in ("ValidationException", "SerializationException"):
        exc = exc.renamed("BadRequestException", status=400)
    exc.extra.setdefault("type", exc.code)
    return exc


class GuardDutyApi:
    def __init__(self, detector: Detector, resources: DetectorResources, *, credentials: CredentialStore,
                 policies: Mapping[str, Policy] | None = None, audit: AuditLog | None = None,
                 started: float = 0.0, clock: Callable[[], float] = time.time) -> None:
        self.detector = detector
        self.clock = clock
        self.resources = resources
        self.policies = policies
        self.audit = audit or AuditLog(None)
        self.started = started
        info = detector.info
        self.arn = f"arn:aws:guardduty:{info.region}:{info.account}:detector/{info.detector_id}"
        api_detector.apply_settings(detector, resources.settings)  # as the last call left them
        # Publishing destinations: findings also go, as JSON lines, to their local "buckets".
        self.destinations = api_destinations.DestinationPublisher(detector.info, resources)
        self.destinations.sync()
        resources.on_change.append(self.destinations.sync)
        detector.publishers.append(self.destinations.publish)
        table: dict[str, tuple[str, str, Callable[..., Any]]] = {
            **api_detector.routes(self),
            "ListFindings": ("POST", "/detector/{DetectorId}/findings", self.list_findings),
            "GetFindings": ("POST", "/detector/{DetectorId}/findings/get", self.get_findings),
            "GetFindingsStatistics": ("POST", "/detector/{DetectorId}/findings/statistics", self.statistics),
            "CreateSampleFindings": ("POST", "/detector/{DetectorId}/findings/create", self.samples),
            "ArchiveFindings": ("POST", "/detector/{DetectorId}/findings/archive", self.archive),
            "UnarchiveFindings": ("POST", "/detector/{DetectorId}/findings/unarchive", self.unarchive),
            "UpdateFindingsFeedback": ("POST", "/detector/{DetectorId}/findings/feedback", self.feedback),
            **api_sets.routes(self),
            **api_members.routes(self),
            **api_destinations.routes(self, self.destinations),
            **api_usage.routes(self),
            **api_absent.routes(self),
        }
        # boto3 fills ClientToken on these creates: a retried call answers the first call's result.
        self.client_tokens = ClientTokens(bad_request)
        for op in ("CreateDetector", "CreateFilter", "CreateIPSet", "CreateThreatIntelSet",
                   "CreateThreatEntitySet", "CreateTrustedEntitySet", "CreatePublishingDestination"):
            method, uri, fn = table[op]
            table[op] = (method, uri, self._idempotent(fn))
        self.app = RestJsonService(signing_name="guardduty", credentials=credentials,
                                   routes=routes_from(table) + api_tags.routes(self), on_call=self._on_call,
                                   default_region=info.region, map_error=guardduty_error,
                                   internal_error=lambda: AwsError("InternalServerErrorException",
                                                                   "Internal server error", status=500))

    # ---- shared ---------------------------------------------------------------------------------

    def check(self, ctx: CallContext, p: Params) -> None:
        """The principal's policy must allow the action; then the detector id must be ours (and not
        deleted). Authorization first, as AWS evaluates IAM before the service looks anything up:
        a denied caller learns nothing about which detector ids exist."""
        ctx.resources.append(self.arn)
        if self.policies is not None:
            policy = self.policies.get(ctx.principal.name)
            result = None if policy is None else policy.evaluate(RequestContext(
                action=f"guardduty:{ctx.operation}", resource=self.arn, principal_arn=ctx.principal.arn,
                account=ctx.principal.account, condition_keys={"aws:sourceip": (ctx.source_ip,)}))
            if result is None or not result.allowed or result.denied:
                raise access_denied(f"User: {ctx.principal.arn} is not authorized to perform: "
                                    f"guardduty:{ctx.operation} on resource: {self.arn}")
        if p.has("DetectorId") and (p.str("DetectorId", max_len=300) != self.detector.info.detector_id
                                    or not self.resources.settings.exists):
            raise bad_request("The request is rejected because the input detectorId is not owned by the "
                              "current account.")

    def _idempotent(self, fn: Callable[[CallContext, Params], Mapping[str, Any]]) -> Callable[..., Any]:
        def handler(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            token = p.str("clientToken", required=False, max_len=64)
            return self.client_tokens.run(ctx.principal.arn, ctx.operation, token, p.as_dict(),
                                          lambda: fn(ctx, p))
        return handler

    def _on_call(self, record: CallRecord) -> None:
        if record.operation.startswith(_READS) or record.principal_arn is None:
            return
        self.audit.record(record.principal_arn, f"guardduty:{record.operation}",
                          ",".join(record.resources) or "-", record.error_code or "ok")

    @staticmethod
    def page(items: list[Any], p: Params, ctx: CallContext, default: int = 50,
             hi: int = 50) -> tuple[list[Any], str | None]:
        """One page; the token is bound to the operation and its criteria (GuardDuty refuses a
        token from another listing with BadRequestException)."""
        raw_max = p.raw("maxResults")
        limit = int(raw_max) if isinstance(raw_max, int | str) and str(raw_max).isdigit() else default
        if raw_max is not None and not (isinstance(raw_max, int | str) and str(raw_max).isdigit()):
            raise bad_request("maxResults must be an integer")
        if not 1 <= limit <= hi:
            raise bad_request(f"maxResults must be between 1 and {hi}")
        binding = (ctx.operation, p.raw("findingCriteria"), p.raw("sortCriteria"))
        token = p.raw("nextToken")
        if token is not None and not isinstance(token, str):
            raise bad_request("nextToken must be a string")
        start = pagetoken.offset_of(token or None, *binding, member="nextToken",
                                    error=lambda m, _path: bad_request(m))
        return pagetoken.page(items, start, limit, *binding)

    def _selected(self, p: Params) -> list[Finding]:
        criterion = validate(p.raw("findingCriteria"))
        info = self.detector.info
        found = [f for f in self.detector.store.all() if not criterion or matches(f.to_wire(info), criterion)]
        return self._sorted(found, p, default_newest=True)

    def _sorted(self, found: list[Finding], p: Params, *, default_newest: bool) -> list[Finding]:
        """``sortCriteria`` (ListFindings and GetFindings): dotted member paths (service.count,
        resource.resourceType…) as in FindingCriteria; numbers sort as numbers, everything else as
        text, missing values first. Without it ListFindings lists the newest first."""
        sort = p.raw("sortCriteria")
        if sort is not None and not isinstance(sort, dict):
            raise bad_request("sortCriteria must be an object")
        if sort and sort.get("attributeName"):
            attr = str(sort["attributeName"])
            order = str(sort.get("orderBy", "ASC"))
            if order not in ("ASC", "DESC"):
                raise bad_request("sortCriteria.orderBy must be ASC or DESC")
            info = self.detector.info
            keyed = [(sort_key(lookup(f.to_wire(info), attr)), f) for f in found]
            keyed.sort(key=lambda kf: kf[0], reverse=order == "DESC")
            return [f for _, f in keyed]
        if default_newest:
            found.sort(key=lambda f: f.updated_at, reverse=True)
        return found

    def _ids(self, p: Params) -> list[str]:
        ids = p.str_list("findingIds", required=True, max_items=MAX_IDS)
        return ids

    # ---- operations -----------------------------------------------------------------------------

    def list_findings(self, ctx: CallContext, p: Params) -> Mapping[str, Any]:
        self.check(ctx, p)
        chunk, token = self.page(self._selected(p), p, ctx)
        out: dict[str, Any] = {"findingIds": [f.id for f in chunk]}
        if token:
            out["nextToken"] = token
        return out

    def get_findings(self, ctx: CallContext, p: Params) -> Mapping[str, Any]:
        self.check(ctx, p)
        store, info = self.detector.store, self.detector.info
        found = [f for f in (store.get(i) for i in self._ids(p)) if f is not None]
        return {"findings": [f.to_wire(info) for f in self._sorted(found, p, default_newest=False)]}

    def statistics(self, ctx: CallContext, p: Params) -> Mapping[str, Any]:
        """COUNT_BY_SEVERITY (the legacy form) and/or one ``GroupBy`` table, ordered by
        ``TotalFindings`` (``OrderBy``, descending by default) and cut at ``MaxResults``."""
        self.check(ctx, p)
        kinds = p.str_list("findingStatisticTypes", max_items=10)
        if any(k != "COUNT_BY_SEVERITY" for k in kinds):
            raise bad_request("findingStatisticTypes: only COUNT_BY_SEVERITY exists")
        group = p.str("groupBy", required=False, max_len=32)
        if group is not None and group not in _GROUPS:
            raise bad_request(f"groupBy must be one of {', '.join(_GROUPS)}")
        order = p.str("orderBy", required=False, default="DESC", max_len=8)
        if order not in ("ASC", "DESC"):
            raise bad_request("orderBy must be ASC or DESC")
        limit = p.int("maxResults", required=False, default=100, lo=1, hi=100)
        found = self._selected(p)
        stats: dict[str, Any] = {}
        if kinds or group is None:
            counts: dict[str, int] = {}
            for f in found:
                counts[str(f.severity)] = counts.get(str(f.severity), 0) + 1
            stats["countBySeverity"] = counts
        if group is not None:
            member, key_of, row_of = _GROUPS[group]
            by: dict[Any, list[Finding]] = {}
            for f in found:
                by.setdefault(key_of(f), []).append(f)
            rows = sorted(by.items(), key=lambda kv: (len(kv[1]), str(kv[0])), reverse=order == "DESC")
            stats[member] = [{**row_of(k, self.detector.info), "totalFindings": len(v),
                              "lastGeneratedAt": max(x.updated_at for x in v)} for k, v in rows[:limit]]
        return {"findingStatistics": stats}

    def samples(self, ctx: CallContext, p: Params) -> Mapping[str, Any]:
        """One sample finding per type asked (all of this detector's types without ``findingTypes``),
        titled ``[SAMPLE]`` and ``service.additionalInfo.sample`` true, as GuardDuty marks them; from
        a documentation address (RFC 5737), never acted on. Asked again, the same samples update."""
        self.check(ctx, p)
        kinds = p.str_list("findingTypes", max_items=50) or sorted(TITLES)
        bad = [k for k in kinds if len(k) > 50 or ":" not in k or "/" not in k]
        if bad:
            raise bad_request(f"findingTypes: {bad[0][:64]!r} is not a finding type "
                              "(ThreatPurpose:ResourceType/ThreatFamily)")
        now = self.clock()
        for kind in kinds:
            self.detector.record_sample(Hit("sample", kind, 5.0, "sample", SAMPLE_IP, "/sample", "none", True,
                                            now, {"sample": True}))
        return {}

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

    def feedback(self, ctx: CallContext, p: Params) -> Mapping[str, Any]:
        """USEFUL / NOT_USEFUL on each finding named (``Service.UserFeedback``, kept across restarts
        with the findings); ``comments`` are audit material GuardDuty does not return, so not kept."""
        self.check(ctx, p)
        verdict = p.str("feedback", max_len=16)
        if verdict not in ("USEFUL", "NOT_USEFUL"):
            raise bad_request("feedback must be USEFUL or NOT_USEFUL")
        p.str("comments", required=False, max_len=2048)
        for fid in self._ids(p):
            finding = self.detector.store.get(fid)
            if finding is not None:
                finding.feedback = verdict
        return {}
