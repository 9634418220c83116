"""The Inspector2 API (rest-json, boto3's ``inspector2`` client) over a ``FindingStore``.

ListFindings, ListFindingAggregations (ACCOUNT, FINDING_TYPE, TITLE), CreateFilter / ListFilters /
UpdateFilter / DeleteFilter (NONE or SUPPRESS), ListCoverage, the account operations (Enable,
Disable, BatchGetAccountStatus, Get/UpdateConfiguration: ``api_account``), and one
private operation, ``ImportFindings`` (``POST /wafproxy/findings/import``), through which
``wafproxy inspect --admin`` lands a one-off run in the same store. SigV4 with the admin
listener's ``--credentials``; ``--policy-file`` authorizes ``inspector2:<Operation>``
(``inspector2:ImportFindings`` for the private one).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wafproxy.awsapi import pagetoken
from wafproxy.awsapi.authz import IdentityAuthorizer
from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.awsapi.restjson import RestJsonService, routes_from
from wafproxy.sidecars.assessor import (
    api_absent,
    api_account,
    api_coverage,
    api_org,
    api_reports,
    api_tags,
    api_vulns,
    checks_deps,
)
from wafproxy.sidecars.assessor import criteria as crit
from wafproxy.sidecars.assessor.aggregations import aggregate
from wafproxy.sidecars.assessor.api_wire import inspector_error, wire_times
from wafproxy.sidecars.assessor.findings import Assessed
from wafproxy.sidecars.assessor.store import Coverage, FilterExists, FindingStore

_SORT = {
    "SEVERITY": lambda f: ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL").index(f["severity"]),
    "INSPECTOR_SCORE": lambda f: f.get("inspectorScore", 0.0),
    "FIRST_OBSERVED_AT": lambda f: f["firstObservedAt"],
    "LAST_OBSERVED_AT": lambda f: f["lastObservedAt"],
    "FINDING_TYPE": lambda f: f["type"],
    "FINDING_STATUS": lambda f: f["status"],
    "AWS_ACCOUNT_ID": lambda f: f["awsAccountId"],
    "RESOURCE_TYPE": lambda f: min((r["type"] for r in f["resources"]), default=""),
    "VULNERABILITY_ID": lambda f: (f.get("packageVulnerabilityDetails") or {}).get("vulnerabilityId", ""),
    "VULNERABILITY_SOURCE": lambda f: (f.get("packageVulnerabilityDetails") or {}).get("source", ""),
    "VENDOR_SEVERITY": lambda f: (f.get("packageVulnerabilityDetails") or {}).get("vendorSeverity", ""),
}


def _page(
    items: list[Any], p: Params, ctx: CallContext, default: int = 50, hi: int = 100
) -> tuple[list[Any], str | None]:
    """One page; the token is bound to the operation and its request (filters, sort, type), so a
    token from another listing is a ValidationException, not a silent skip."""
    size = p.int("maxResults", required=False, default=default, lo=1, hi=hi)
    request = {k: v for k, v in p.as_dict().items() if k not in ("maxResults", "nextToken")}
    token = p.str("nextToken", required=False, max_len=1_000_000)
    start = pagetoken.offset_of(token, ctx.operation, request, member="nextToken")
    return pagetoken.page(items, start, size, ctx.operation, request)


class InspectorApi:
    def __init__(
        self,
        store: FindingStore,
        *,
        credentials: CredentialStore,
        authorizer: IdentityAuthorizer,
        clock: Callable[[], float] = time.time,
        osv_db: Path | None = None,
        packages: Callable[[], list[tuple[str, str]]] = checks_deps.installed,
        environment: str = f"python:{sys.prefix}",
    ) -> None:
        self.store, self.authorizer, self.clock = store, authorizer, clock
        handlers = {
            "ListFindings": ("POST", "/findings/list", self.list_findings),
            "ListFindingAggregations": ("POST", "/findings/aggregation/list", self.aggregations),
            "CreateFilter": ("POST", "/filters/create", self.create_filter),
            "ListFilters": ("POST", "/filters/list", self.list_filters),
            "UpdateFilter": ("POST", "/filters/update", self.update_filter),
            "DeleteFilter": ("POST", "/filters/delete", self.delete_filter),
            **api_account.handlers(store, clock),
            **api_coverage.handlers(store, _page),
            "ImportFindings": ("POST", "/wafproxy/findings/import", self.import_findings),
            **api_tags.handlers(store),
            **api_reports.handlers(store, packages, environment, clock),
            **api_vulns.handlers(store, api_vulns.OsvCache(osv_db)),
            **api_org.handlers(store, _page, clock),
            **api_absent.handlers(_page),
        }
        table = {op: (m, uri, self._authorized(op, fn)) for op, (m, uri, fn) in handlers.items()}
        self.app = RestJsonService(
            signing_name="inspector2",
            credentials=credentials,
            routes=routes_from(table),
            default_region=store.region,
            map_error=inspector_error,
        )

    def _authorized(
        self, op: str, fn: Callable[[CallContext, Params], Any]
    ) -> Callable[[CallContext, Params], Any]:
        def handler(ctx: CallContext, p: Params) -> Any:
            self.authorizer.check(ctx.principal, f"inspector2:{op}", "*", {"aws:sourceip": (ctx.source_ip,)})
            return fn(ctx, p)

        return handler

    def list_findings(self, ctx: CallContext, p: Params) -> dict[str, Any]:
        criteria = crit.validate(p.raw("filterCriteria") or {})
        findings = self.store.findings(criteria)
        sort = p.raw("sortCriteria")
        if sort is not None:
            if not isinstance(sort, dict) or sort.get("field") not in _SORT:
                raise validation(f"sortCriteria.field must be one of {', '.join(_SORT)}", path="sortCriteria")
            if sort.get("sortOrder", "DESC") not in ("ASC", "DESC"):
                raise validation("sortCriteria.sortOrder must be ASC or DESC", path="sortCriteria")
            findings.sort(key=_SORT[sort["field"]], reverse=sort.get("sortOrder", "DESC") == "DESC")
        page, token = _page(findings, p, ctx)
        return {"findings": [wire_times(f) for f in page], **({"nextToken": token} if token else {})}

    def aggregations(self, ctx: CallContext, p: Params) -> dict[str, Any]:
        kind = p.str("aggregationType", max_len=32)
        active = self.store.findings({"findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}]})
        responses = aggregate(
            kind, p.raw("aggregationRequest"), p.raw("accountIds"), active, self.store.account
        )
        page, token = _page(responses, p, ctx)
        return {"aggregationType": kind, "responses": page, **({"nextToken": token} if token else {})}

    def create_filter(self, ctx: CallContext, p: Params) -> dict[str, Any]:
        name = p.str("name", max_len=128)
        action = p.str("action", max_len=16)
        if action not in ("NONE", "SUPPRESS"):
            raise validation("action must be NONE or SUPPRESS", path="action")
        criteria = crit.validate(p.raw("filterCriteria"))
        try:
            arn = self.store.create_filter(
                name,
                action,
                criteria,
                self.clock(),
                p.str("description", required=False, max_len=512),
                p.str("reason", required=False, max_len=512),
                api_tags.checked_tags(p),
            )
        except FilterExists:
            raise AwsError("BadRequestException", f"A filter named {name} already exists") from None
        except OverflowError as exc:
            raise AwsError(
                "ServiceQuotaExceededException", str(exc), status=402, extra={"resourceId": name}
            ) from None
        return {"arn": arn}

    def list_filters(self, ctx: CallContext, p: Params) -> dict[str, Any]:
        arns = p.raw("arns") or []
        action = p.str("action", required=False, max_len=16)
        filters = [
            f
            for f in self.store.filters()
            if (not arns or f["arn"] in arns) and (action is None or f["action"] == action)
        ]
        page, token = _page(filters, p, ctx)
        wire = [wire_times(f, (("createdAt",), ("updatedAt",))) for f in page]
        return {"filters": wire, **({"nextToken": token} if token else {})}

    def update_filter(self, ctx: CallContext, p: Params) -> dict[str, Any]:
        arn = p.str("filterArn", max_len=128)
        changes: dict[str, Any] = {}
        if p.has("name"):
            changes["name"] = p.str("name", max_len=128)
        if p.has("action"):
            changes["action"] = p.str("action", max_len=16)
            if changes["action"] not in ("NONE", "SUPPRESS"):
                raise validation("action must be NONE or SUPPRESS", path="action")
        if p.has("filterCriteria"):
            changes["criteria"] = crit.validate(p.raw("filterCriteria"))
        for member in ("description", "reason"):
            if p.has(member):
                changes[member] = p.str(member, max_len=512)
        try:
            found = self.store.update_filter(arn, changes, self.clock())
        except FilterExists:
            taken = f"A filter named {changes['name']} already exists"
            raise AwsError("BadRequestException", taken) from None
        if not found:
            raise AwsError("ResourceNotFoundException", f"Filter {arn} not found", status=404)
        return {"arn": arn}

    def delete_filter(self, ctx: CallContext, p: Params) -> dict[str, Any]:
        arn = p.str("arn", max_len=128)
        if not self.store.delete_filter(arn, self.clock()):
            raise AwsError("ResourceNotFoundException", f"Filter {arn} not found", status=404)
        return {"arn": arn}

    def import_findings(self, ctx: CallContext, p: Params) -> dict[str, Any]:
        """Private: a one-off ``inspect`` run, as ``record`` takes it (findings, fixes, coverage)."""
        raw = p.raw("assessed")
        if not isinstance(raw, list) or len(raw) > 5000:
            raise validation("assessed must be a list of at most 5000 entries", path="assessed")
        covered = p.raw("covered") or []
        at = float(p.raw("assessedAt") or self.clock())
        try:
            assessed = [Assessed.from_json(a) for a in raw]
            coverage = [Coverage(**c) for c in p.raw("coverage") or []]
        except (KeyError, TypeError, ValueError) as exc:
            raise validation(f"assessed: {exc}", path="assessed") from None
        counts = self.store.record(assessed, [str(c) for c in covered], at, coverage)
        arns = {a.finding["findingArn"] for a in assessed}
        statuses = {f["findingArn"]: f["status"] for f in self.store.findings() if f["findingArn"] in arns}
        return {"counts": counts, "statuses": statuses}
