"""WAFv2 operations about features a single wafproxy does not have, answered as AWS answers an
account or resource without them (each error is in the operation's ``errors`` list in botocore's
model, so boto3 raises it by name):

- Events and event actors (ListEvents, ListEventsByWebACL, ListEventActors, GetEvent,
  GetEventActor) come from the API Security managed rule group, which wafproxy does not ship: the
  listings are empty, and an event or actor named is WAFNonexistentItemException.
- Monetization (GetRevenueStatistics, GetRevenueStatisticsSummary, GetRevenueStatisticsTimeSeries,
  ListSettlementRecords) exists only for CLOUDFRONT scope in AWS, and wafproxy serves one REGIONAL
  scope: WAFInvalidParameterException on ``Scope`` either way.
- GetTopPathStatisticsByTraffic ranks *bot* traffic by the Bot Control group's categories, which
  wafproxy does not have: WAFFeatureNotIncludedInPricingPlanException (what AWS answers when the
  web ACL's plan lacks the feature), after the web ACL is checked.
- The mobile SDK (ListMobileSdkReleases, GetMobileSdkRelease, GenerateMobileSdkReleaseUrl) is not
  distributed by wafproxy: WAFInvalidOperationException, as for an account without SDK access.
- DeleteFirewallManagerRuleGroups: the served web ACL has no Firewall Manager rule groups (it is
  not managed by Firewall Manager), so after the ARN and lock token are checked there is nothing
  to delete and the ACL's lock token stays valid (NextWebACLLockToken is the current one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.control import errors
from wafproxy.control.plane_util import paginate

if TYPE_CHECKING:
    from wafproxy.control.plane import ControlPlane
    from wafproxy.control.wire import AsyncHandler

_REVENUE = (
    "GetRevenueStatistics",
    "GetRevenueStatisticsSummary",
    "GetRevenueStatisticsTimeSeries",
    "ListSettlementRecords",
)
_MOBILE = ("ListMobileSdkReleases", "GetMobileSdkRelease", "GenerateMobileSdkReleaseUrl")


def operations(plane: ControlPlane) -> dict[str, AsyncHandler]:
    from wafproxy.control.plane import check_scope

    def served_acl(ctx: CallContext, p: Params, member: str) -> Any:
        arn = p.str(member, max_len=2048)
        acl = plane.store.web_acl
        if arn != acl.arn:
            raise errors.nonexistent(f"WEB_ACL {arn[:256]}")
        plane.authorize(ctx, acl.arn)
        return acl

    async def list_events(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        if p.has("WebAclArn"):
            served_acl(ctx, p, "WebAclArn")
        else:
            plane.authorize(ctx, "*")
        paginate([], p, ctx.operation)  # no marker was ever issued: any is refused, as AWS refuses it
        return {"Events": []}

    async def list_actors(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        plane.authorize(ctx, "*")
        paginate([], p, ctx.operation)
        return {"EventActors": []}

    async def get_event(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        served_acl(ctx, p, "WebAclArn")
        raise errors.nonexistent(f"event {p.str('EventId', max_len=128)}")

    async def get_actor(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        plane.authorize(ctx, "*")
        raise errors.nonexistent(f"event actor {p.str('EventActorId', max_len=128)}")

    async def revenue(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        scope = p.str("Scope", max_len=16)
        why = (
            "monetization statistics are only available for CLOUDFRONT scope"
            if scope == "REGIONAL"
            else "wafproxy serves one REGIONAL scope"
        )
        raise errors.invalid("SCOPE_VALUE", "Scope", why)

    async def top_paths(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        served_acl(ctx, p, "WebAclArn")
        raise errors.WafError(
            "WAFFeatureNotIncludedInPricingPlanException",
            "Bot traffic statistics need the Bot Control managed rule group, which wafproxy does not have.",
        )

    async def mobile(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        p.str("Platform", max_len=16)
        plane.authorize(ctx, "*")
        raise errors.WafError("WAFInvalidOperationException", "wafproxy does not distribute the mobile SDK.")

    async def delete_fms(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        acl = served_acl(ctx, p, "WebACLArn")
        if p.str("WebACLLockToken", max_len=36) != acl.lock_token:
            raise errors.optimistic_lock()
        return {"NextWebACLLockToken": acl.lock_token}

    return {
        "ListEvents": list_events,
        "ListEventsByWebACL": list_events,
        "ListEventActors": list_actors,
        "GetEvent": get_event,
        "GetEventActor": get_actor,
        "GetTopPathStatisticsByTraffic": top_paths,
        "DeleteFirewallManagerRuleGroups": delete_fms,
        **{op: revenue for op in _REVENUE},
        **{op: mobile for op in _MOBILE},
    }
