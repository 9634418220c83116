"""Security Hub's account operations: EnableSecurityHub, DisableSecurityHub, DescribeHub,
UpdateSecurityHubConfiguration; the standards (DescribeStandards, GetEnabledStandards,
BatchEnableStandards, BatchDisableStandards); tagging of the hub (TagResource, UntagResource,
ListTagsForResource).

While Security Hub is disabled every other operation answers InvalidAccessException, as AWS
answers an account that is not subscribed (``HubApi.authorize``). The settings live in
``account.HubAccount`` (kept in the store), so DescribeHub and GetEnabledStandards answer after a
restart what the last call set.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.hub import standards
from wafproxy.sidecars.hub.account import GENERATORS

if TYPE_CHECKING:
    from wafproxy.sidecars.hub.api import HubApi

MAX_TAGS = 50  # Security Hub's TagMap limit


def tags_of(p: Params, member: str = "Tags") -> dict[str, str]:
    tags = p.str_map(member, max_items=MAX_TAGS)
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or key.lower().startswith("aws:") or len(value) > 256:
            raise validation("tag keys must be 1-128 characters (not aws:) and values at most 256",
                             path=member)
    return tags


def _generator(p: Params, default: str) -> str:
    value = p.str("ControlFindingGenerator", required=False, default=default, max_len=32)
    if value not in GENERATORS:
        raise validation(f"ControlFindingGenerator must be one of {', '.join(GENERATORS)}",
                         path="ControlFindingGenerator")
    return value


def _subscription(api: HubApi, status: str) -> dict[str, Any]:
    return {**standards.subscriptions(api.hub.region, api.hub.account)[0], "StandardsStatus": status}


def routes(api: HubApi) -> dict[str, tuple[str, str, Callable[..., Any]]]:
    hub, account = api.hub, api.account

    def enable(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        if account.settings.enabled:
            raise AwsError("ResourceConflictException",
                           f"Account {hub.account} is already subscribed to Security Hub", status=409)
        account.enable(default_standards=p.bool("EnableDefaultStandards", default=True),
                       generator=_generator(p, "SECURITY_CONTROL"), tags=tags_of(p))
        return {}

    def disable(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        account.disable()
        return {}

    def describe(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        asked = p.str("HubArn", required=False, max_len=512)
        if asked is not None and asked != hub.arn:
            raise AwsError("ResourceNotFoundException", f"Hub {asked[:256]} not found", status=404)
        s = account.settings
        return {"HubArn": hub.arn, "SubscribedAt": s.subscribed_at,
                "AutoEnableControls": s.auto_enable_controls,
                "ControlFindingGenerator": s.control_finding_generator}

    def configure(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        s = account.settings
        s.control_finding_generator = _generator(p, s.control_finding_generator)
        s.auto_enable_controls = p.bool("AutoEnableControls", default=s.auto_enable_controls)
        account.changed()
        return {}

    def described(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        return api.paged(ctx, p, "Standards", standards.described(hub.region))

    def enabled(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        wanted = p.str_list("StandardsSubscriptionArns", max_items=25)
        on = standards.subscriptions(hub.region, hub.account) if account.settings.standard_enabled else []
        found = [s for s in on if not wanted or s["StandardsSubscriptionArn"] in wanted]
        return api.paged(ctx, p, "StandardsSubscriptions", found)

    def batch_enable(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        requests = p.list_of_dicts("StandardsSubscriptionRequests", max_items=25)
        known = standards.standards_arn(hub.region)
        if not requests:
            raise validation("StandardsSubscriptionRequests must name 1-25 standards",
                             path="StandardsSubscriptionRequests")
        for request in requests:
            if request.get("StandardsArn") != known:
                raise validation(f"Standard {str(request.get('StandardsArn'))[:256]} does not exist "
                                 f"(this hub implements {known})", path="StandardsSubscriptionRequests")
        account.settings.standard_enabled = True
        account.changed()
        return {"StandardsSubscriptions": [_subscription(api, "READY")]}

    async def batch_disable(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        arns = p.str_list("StandardsSubscriptionArns", required=True, max_items=25)
        known = standards.subscription_arn(hub.region, hub.account)
        unknown = [a for a in arns if a != known]
        if not arns or unknown:
            raise validation(f"Standards subscription {(unknown or [''])[0][:256]} does not exist",
                             path="StandardsSubscriptionArns")
        await asyncio.to_thread(account.disable_standard)
        return {"StandardsSubscriptions": [_subscription(api, "DELETING")]}

    def tagged(ctx: CallContext, p: Params) -> dict[str, str]:
        arn = p.str("ResourceArn", max_len=2048)
        api.authorize(ctx, arn)
        if arn != hub.arn:
            raise AwsError("ResourceNotFoundException", f"Resource {arn[:256]} not found", status=404)
        return account.settings.tags

    def list_tags(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        return {"Tags": dict(tagged(ctx, p))}

    def tag(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        table = tagged(ctx, p)
        new = tags_of(p)
        if not new:
            raise validation("Tags must name at least one tag", path="Tags")
        if len({**table, **new}) > MAX_TAGS:
            raise validation(f"a resource has at most {MAX_TAGS} tags", path="Tags")
        table.update(new)
        account.changed()
        return {}

    def untag(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        table = tagged(ctx, p)
        keys = p.raw("tagKeys")
        keys = [keys] if isinstance(keys, str) else keys
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise validation("TagKeys must name at least one tag key", path="TagKeys")
        for key in keys:
            table.pop(key, None)
        account.changed()
        return {}

    return {
        "EnableSecurityHub": ("POST", "/accounts", enable),
        "DisableSecurityHub": ("DELETE", "/accounts", disable),
        "DescribeHub": ("GET", "/accounts", describe),
        "UpdateSecurityHubConfiguration": ("PATCH", "/accounts", configure),
        "DescribeStandards": ("GET", "/standards", described),
        "GetEnabledStandards": ("POST", "/standards/get", enabled),
        "BatchEnableStandards": ("POST", "/standards/register", batch_enable),
        "BatchDisableStandards": ("POST", "/standards/deregister", batch_disable),
        "ListTagsForResource": ("GET", "/tags/{ResourceArn}", list_tags),
        "TagResource": ("POST", "/tags/{ResourceArn}", tag),
        "UntagResource": ("DELETE", "/tags/{ResourceArn}", untag),
    }
