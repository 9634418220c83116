"""Security Hub's automation rule operations (V1): CreateAutomationRule, BatchGetAutomationRules,
BatchUpdateAutomationRules, BatchDeleteAutomationRules, ListAutomationRules, over
``automation.AutomationRules`` (what the rules mean and when they run is described there).
The batch operations answer per rule, as Security Hub does: an unknown ARN or an invalid change
is one ``UnprocessedAutomationRules`` entry (404 / 400 with the reason); the rest are processed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.errors import validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.hub.api_account import tags_of

if TYPE_CHECKING:
    from wafproxy.sidecars.hub.api import HubApi

MAX_BATCH = 100


def routes(api: HubApi) -> dict[str, tuple[str, str, Callable[..., Any]]]:
    rules = api.automation

    def arns(p: Params) -> list[str]:
        found = p.str_list("AutomationRulesArns", required=True, max_items=MAX_BATCH)
        if not found:
            raise validation(f"AutomationRulesArns must name 1-{MAX_BATCH} rules", path="AutomationRulesArns")
        return found

    def create(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        return {"RuleArn": rules.create(p, ctx.principal.arn, tags_of(p))}

    def batch_get(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        found, missing = rules.get(arns(p))
        return {"Rules": found, "UnprocessedAutomationRules": missing}

    def batch_update(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        items = p.list_of_dicts("UpdateAutomationRulesRequestItems", max_items=MAX_BATCH)
        if not items:
            raise validation(
                f"UpdateAutomationRulesRequestItems must hold 1-{MAX_BATCH} items",
                path="UpdateAutomationRulesRequestItems",
            )
        done, failed = rules.update(items)
        return {**({"ProcessedAutomationRules": done} if done else {}), "UnprocessedAutomationRules": failed}

    def batch_delete(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        done, failed = rules.delete(arns(p))
        return {**({"ProcessedAutomationRules": done} if done else {}), "UnprocessedAutomationRules": failed}

    def listed(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        return api.paged(ctx, p, "AutomationRulesMetadata", rules.listed())

    return {
        "CreateAutomationRule": ("POST", "/automationrules/create", create),
        "BatchGetAutomationRules": ("POST", "/automationrules/get", batch_get),
        "BatchUpdateAutomationRules": ("PATCH", "/automationrules/update", batch_update),
        "BatchDeleteAutomationRules": ("POST", "/automationrules/delete", batch_delete),
        "ListAutomationRules": ("GET", "/automationrules/list", listed),
    }
