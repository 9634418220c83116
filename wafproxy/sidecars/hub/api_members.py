"""Security Hub's multi-account reads for the one account this hub serves: no members, no
invitations, no administrator (CreateMembers, InviteMembers and AcceptAdministratorInvitation are
not served, so none can exist). ListMembers, ListInvitations, GetInvitationsCount and
GetAdministratorAccount answer what Security Hub answers a standalone account.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params

if TYPE_CHECKING:
    from wafproxy.sidecars.hub.api import HubApi


def routes(api: HubApi) -> dict[str, tuple[str, str, Callable[..., Any]]]:
    def empty(member: str) -> Callable[[CallContext, Params], Mapping[str, Any]]:
        def handler(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            api.authorize(ctx, api.hub.arn)
            return api.paged(ctx, p, member, [])
        return handler

    def count(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        return {"InvitationsCount": 0}

    def administrator(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        return {}  # no administrator account: the member is absent, as for a standalone account

    return {
        "ListMembers": ("GET", "/members", empty("Members")),
        "ListInvitations": ("GET", "/invitations", empty("Invitations")),
        "GetInvitationsCount": ("GET", "/invitations/count", count),
        "GetAdministratorAccount": ("GET", "/administrator", administrator),
    }
