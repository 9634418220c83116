"""Security Hub's finding operations beyond GetFindings / BatchImportFindings / BatchUpdateFindings:
GetFindingHistory (``history.py``: the entries the store keeps for each finding) and the older
UpdateFindings (Note and RecordState of every finding the filters select, at most
``MAX_UPDATE`` per call; Security Hub keeps it for compatibility, recommending BatchUpdateFindings).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi import pagetoken
from wafproxy.awsapi.errors import validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.hub import asff, history
from wafproxy.sidecars.hub.filters import compile_filters

if TYPE_CHECKING:
    from wafproxy.sidecars.hub.api import HubApi

MAX_UPDATE = 1000


def _time(p: Params, member: str) -> str | None:
    raw = p.raw(member)
    if raw is None:
        return None
    try:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return asff.iso(float(raw))
        return asff.parse_time(raw, member)
    except (asff.InvalidFinding, OverflowError, ValueError, OSError):
        raise validation(f"{member} must be a timestamp", path=member) from None


def routes(api: HubApi) -> dict[str, tuple[str, str, Callable[..., Any]]]:
    hub = api.hub

    async def finding_history(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        ident = p.raw("FindingIdentifier")
        if not isinstance(ident, dict) or not all(
            isinstance(ident.get(k), str) and ident[k] for k in ("Id", "ProductArn")
        ):
            raise validation("FindingIdentifier must be {Id, ProductArn}", path="FindingIdentifier")
        start, end = _time(p, "StartTime"), _time(p, "EndTime")
        if start and end and start > end:
            raise validation("StartTime must not be after EndTime", path="StartTime")
        limit = p.int("MaxResults", required=False, lo=1, hi=100) or 100
        binding = ("GetFindingHistory", ident["Id"], ident["ProductArn"], start, end)
        offset = pagetoken.offset_of(p.str("NextToken", required=False, max_len=1024), *binding)
        entries = await asyncio.to_thread(hub.store.history, ident["Id"][:512], start, end, offset, limit + 1)
        records = [history.to_shape(e) for e in entries[:limit] if e.product_arn == ident["ProductArn"]]
        more = len(entries) > limit
        return {
            "Records": records,
            **({"NextToken": pagetoken.issue(offset + limit, *binding)} if more else {}),
        }

    async def update_findings(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        where = compile_filters(p.raw("Filters"), hub.clock.now())
        changes: dict[str, Any] = {}
        if p.has("Note"):
            try:
                changes["Note"] = asff.note(p.raw("Note"))
            except asff.InvalidFinding as exc:
                raise validation(str(exc), path="Note") from None
        if p.has("RecordState"):
            state = p.str("RecordState", max_len=16)
            if state not in asff.RECORD_STATES:
                raise validation(
                    f"RecordState must be one of {', '.join(asff.RECORD_STATES)}", path="RecordState"
                )
            changes["RecordState"] = state
        if not changes:
            raise validation("UpdateFindings needs a Note or a RecordState", path="Note")
        found = await asyncio.to_thread(hub.store.query, where, limit=MAX_UPDATE)
        await asyncio.to_thread(hub.update, [f["Id"] for f in found], changes, ctx.principal.arn)
        return {}

    return {
        "GetFindingHistory": ("POST", "/findingHistory/get", finding_history),
        "UpdateFindings": ("PATCH", "/findings", update_findings),
    }
