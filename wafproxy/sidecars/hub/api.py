"""The Security Hub API (rest-json, boto3's ``securityhub`` client) over a ``Hub``.

Same SigV4 credentials as the WAFv2 API; authorization by the same policy file with actions
``securityhub:<Operation>`` on the hub's ARN (without a policy file every authenticated principal
may do everything, as for WAFv2). Changes are written to the hub's audit log, reads are not.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from wafproxy.awsapi import pagetoken
from wafproxy.awsapi.authz import IdentityAuthorizer
from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.inputcheck import InputModel
from wafproxy.awsapi.jsonproto import CallContext, CallRecord
from wafproxy.awsapi.params import Params
from wafproxy.awsapi.policy import Policy
from wafproxy.awsapi.restjson import RestJsonService, routes_from
from wafproxy.control.persist import AuditLog
from wafproxy.sidecars.hub import (
    api_account,
    api_actions,
    api_aggregator,
    api_automation,
    api_controls,
    api_findings,
    api_insights,
    api_members,
    api_products,
    api_unavailable,
)
from wafproxy.sidecars.hub.account import HubAccount
from wafproxy.sidecars.hub.automation import AutomationRules
from wafproxy.sidecars.hub.changes import validated
from wafproxy.sidecars.hub.core import Hub, public
from wafproxy.sidecars.hub.filters import SORTABLE, compile_filters
from wafproxy.sidecars.hub.insights import Insights
from wafproxy.sidecars.hub.store import MAX_PAGE

SIGNING_NAME = "securityhub"
MAX_IMPORT = 100  # AWS's BatchImportFindings limit per call
MAX_OFFSET = 100_000


def authorize(policies: Mapping[str, Policy] | None, ctx: CallContext, resource: str) -> None:
    """``securityhub:<Operation>`` on ``resource`` for ``ctx.principal`` (explicit deny wins), by the
    same identity-policy evaluation as every AWS API we serve (``awsapi.authz``)."""
    ctx.resources.append(resource)
    IdentityAuthorizer(policies).check(ctx.principal, f"securityhub:{ctx.operation}", resource,
                                       {"aws:sourceip": (ctx.source_ip,)})


def _token(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "f": fingerprint}).encode()).decode()


def _offset(token: str | None, fingerprint: str) -> int:
    if not token:
        return 0
    try:
        raw = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset, fp = int(raw["o"]), str(raw["f"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise validation("NextToken is not valid", path="NextToken") from None
    if fp != fingerprint or not 0 <= offset <= MAX_OFFSET:
        raise validation("NextToken was issued for other filters", path="NextToken")
    return offset


def _sort(raw: Any) -> list[tuple[str, bool]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > 5:
        raise validation("SortCriteria must be a list of at most 5 criteria", path="SortCriteria")
    out = []
    for c in raw:
        field = c.get("Field") if isinstance(c, dict) else None
        if field not in SORTABLE:
            raise validation(f"SortCriteria.Field {str(field)[:64]!r} is not sortable", path="SortCriteria")
        out.append((str(field), str(c.get("SortOrder", "desc")).lower() != "asc"))
    return out


def _paged(ctx: CallContext, p: Params, member: str, items: list[Any]) -> dict[str, Any]:
    """A small listing's page: ``MaxResults`` (query strings arrive as text) and a NextToken bound
    to the operation and its request."""
    raw = p.raw("MaxResults")
    if raw is None:
        limit = 100
    elif isinstance(raw, int | str) and str(raw).isdigit() and 1 <= int(raw) <= 100:
        limit = int(raw)
    else:
        raise validation("MaxResults must be an integer between 1 and 100", path="MaxResults")
    binding = (ctx.operation, {k: v for k, v in p.as_dict().items() if k not in ("MaxResults", "NextToken")})
    token = p.str("NextToken", required=False, max_len=1024)
    page, nxt = pagetoken.page(items, pagetoken.offset_of(token, *binding), limit, *binding)
    return {member: page, **({"NextToken": nxt} if nxt else {})}


_MODEL = InputModel.shipped("securityhub")  # which errors each operation declares


def hub_error(exc: AwsError) -> AwsError:
    """Security Hub's vocabulary: bad input is ``InvalidInputException`` (what its operations
    declare; boto3 users catch ``client.exceptions.InvalidInputException``), and every error body
    carries the modeled ``Code`` and ``Message`` members."""
    if exc.code in ("ValidationException", "SerializationException"):
        exc = exc.renamed("InvalidInputException", status=400)
    exc.extra.setdefault("Code", exc.code)
    exc.extra.setdefault("Message", exc.message)
    return exc


class HubApi:
    """The operations, bound to one hub; ``app`` is the ASGI app to mount on the admin listener."""

    def __init__(
        self,
        hub: Hub,
        *,
        credentials: CredentialStore,
        policies: Mapping[str, Policy] | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self.hub = hub
        self.policies = dict(policies) if policies is not None else None
        self.audit = audit or AuditLog(None)
        self.account = HubAccount(hub)
        self.insights = Insights(hub)
        self.automation = AutomationRules(hub)
        self.app = RestJsonService(
            signing_name=SIGNING_NAME,
            credentials=credentials,
            on_call=self._on_call,
            default_region=hub.region,
            map_error=hub_error,
            internal_error=lambda: AwsError("InternalException", "Internal server error", status=500),
            routes=routes_from(
                {
                    "GetFindings": ("POST", "/findings", self.get_findings),
                    "BatchImportFindings": ("POST", "/findings/import", self.batch_import),
                    "BatchUpdateFindings": ("PATCH", "/findings/batchupdate", self.batch_update),
                    **api_insights.routes(self),
                    **api_account.routes(self),
                    **api_products.routes(self),
                    **api_members.routes(self),
                    **api_actions.routes(self),
                    **api_findings.routes(self),
                    **api_automation.routes(self),
                    **api_controls.routes(self),
                    **api_aggregator.routes(self),
                    **api_unavailable.routes(self),
                }
            ),
        )

    def authorize(self, ctx: CallContext, resource: str) -> None:
        """The principal's policy first; then, unless this call enables it, Security Hub must be
        enabled (AWS: InvalidAccessException for an account not subscribed)."""
        authorize(self.policies, ctx, resource)
        op = ctx.operation
        if self.hub.enabled or op == "EnableSecurityHub" or op.endswith("V2"):
            return  # Security Hub V2 stands apart from CSPM's subscription: its own answer follows
        message = f"Account {self.hub.account} is not subscribed to AWS Security Hub"
        if _MODEL is not None and not _MODEL.declares(op, "InvalidAccessException") and _MODEL.declares(
            op, "ResourceNotFoundException"
        ):  # the tag operations: no hub to tag
            raise AwsError("ResourceNotFoundException", message, status=404)
        raise AwsError("InvalidAccessException", message, status=401)

    @staticmethod
    def paged(ctx: CallContext, p: Params, member: str, items: list[Any]) -> dict[str, Any]:
        return _paged(ctx, p, member, items)

    def _on_call(self, record: CallRecord) -> None:
        if record.operation.startswith(("Get", "Describe", "List")) or record.principal_arn is None:
            return
        self.audit.record(
            record.principal_arn,
            record.operation,
            ",".join(record.resources) or "-",
            record.error_code or "ok",
        )

    async def get_findings(self, ctx: CallContext, p: Params) -> dict[str, Any]:
        self.authorize(ctx, self.hub.arn)
        where = compile_filters(p.raw("Filters"), self.hub.clock.now())
        sort = _sort(p.raw("SortCriteria"))
        limit = p.int("MaxResults", required=False, lo=1, hi=MAX_PAGE) or MAX_PAGE
        fingerprint = where.fingerprint(sort)
        offset = _offset(p.str("NextToken", required=False, max_len=1024), fingerprint)
        rows = await asyncio.to_thread(self.hub.store.query, where, sort=sort, offset=offset, limit=limit + 1)
        out: dict[str, Any] = {"Findings": [public(f) for f in rows[:limit]]}
        if len(rows) > limit and offset + limit <= MAX_OFFSET:
            out["NextToken"] = _token(offset + limit, fingerprint)
        return out

    async def batch_import(self, ctx: CallContext, p: Params) -> dict[str, Any]:
        self.authorize(ctx, self.hub.arn)
        findings = p.raw("Findings")
        if not isinstance(findings, list) or not 1 <= len(findings) <= MAX_IMPORT:
            raise validation(f"Findings must be a list of 1-{MAX_IMPORT} findings", path="Findings")
        ok, failed = await asyncio.to_thread(self.hub.import_findings, findings)
        return {
            "SuccessCount": ok,
            "FailedCount": len(failed),
            "FailedFindings": [f.to_shape() for f in failed],
        }

    async def batch_update(self, ctx: CallContext, p: Params) -> dict[str, Any]:
        self.authorize(ctx, self.hub.arn)
        idents = p.list_of_dicts("FindingIdentifiers", max_items=100)
        if not idents or not all(
            isinstance(i.get("Id"), str) and isinstance(i.get("ProductArn"), str) for i in idents
        ):
            raise validation("FindingIdentifiers must be 1-100 {Id, ProductArn}", path="FindingIdentifiers")
        changes = validated(p, ignore=("FindingIdentifiers",))
        stored = await asyncio.to_thread(self.hub.store.get_many, [i["Id"] for i in idents])
        wanted = [
            i["Id"] for i in idents if i["Id"] in stored and stored[i["Id"]]["ProductArn"] == i["ProductArn"]
        ]
        done = set(await asyncio.to_thread(self.hub.update, wanted, changes, ctx.principal.arn))
        processed = [{"Id": i["Id"], "ProductArn": i["ProductArn"]} for i in idents if i["Id"] in done]
        missing = [
            {
                "FindingIdentifier": {"Id": i["Id"], "ProductArn": i["ProductArn"]},
                "ErrorCode": "FindingNotFound",
                "ErrorMessage": "Finding Not Found",
            }
            for i in idents
            if i["Id"] not in done
        ]
        return {"ProcessedFindings": processed, "UnprocessedFindings": missing}
