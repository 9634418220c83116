"""Security Hub's insight operations: GetInsights and GetInsightResults over the managed and the
custom insights, CreateInsight, UpdateInsight, DeleteInsight of custom ones (``insights.Insights``
keeps them in the store). A custom insight's ``Filters`` are the same AwsSecurityFindingFilters
GetFindings takes, validated the same way, and evaluated by GetInsightResults as GetFindings would
select them; ``GroupByAttribute`` is one the store can count by (InvalidInputException otherwise).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.errors import validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params

if TYPE_CHECKING:
    from wafproxy.sidecars.hub.api import HubApi


def routes(api: HubApi) -> dict[str, tuple[str, str, Callable[..., Any]]]:
    book = api.insights

    def get(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        return api.paged(ctx, p, "Insights", book.get(p.str_list("InsightArns", max_items=100)))

    async def results(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        arn = p.str("InsightArn", max_len=512)
        api.authorize(ctx, arn)
        return {"InsightResults": await asyncio.to_thread(book.results, arn)}

    def create(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        name = p.str("Name", max_len=128)
        group_by = p.str("GroupByAttribute", max_len=64)
        if not isinstance(p.raw("Filters"), dict):
            raise validation("Filters must be an object (AwsSecurityFindingFilters)", path="Filters")
        return {"InsightArn": book.create(name, p.raw("Filters"), group_by)}

    def update(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        arn = p.str("InsightArn", max_len=512)
        api.authorize(ctx, arn)
        book.update(arn, p.str("Name", required=False, max_len=128), p.raw("Filters"),
                    p.str("GroupByAttribute", required=False, max_len=64))
        return {}

    def delete(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        arn = p.str("InsightArn", max_len=512)
        api.authorize(ctx, arn)
        book.delete(arn)
        return {"InsightArn": arn}

    return {
        "GetInsights": ("POST", "/insights/get", get),
        "GetInsightResults": ("GET", "/insights/results/{InsightArn+}", results),
        "CreateInsight": ("POST", "/insights", create),
        "UpdateInsight": ("PATCH", "/insights/{InsightArn+}", update),
        "DeleteInsight": ("DELETE", "/insights/{InsightArn+}", delete),
    }
