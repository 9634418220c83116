"""GuardDuty's multi-account reads for the one account wafproxy serves: it has no members, no
invitations and no publishing destinations (CreateMembers, InviteMembers and
CreatePublishingDestination are not served, so none can exist), so ListMembers, ListInvitations,
GetInvitationsCount and ListPublishingDestinations answer what GuardDuty answers a standalone
account: empty. Authorized and detector-checked like every other call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params

if TYPE_CHECKING:
    from wafproxy.sidecars.detector.api import GuardDutyApi


def routes(api: GuardDutyApi) -> dict[str, tuple[str, str, Callable[..., Any]]]:
    def empty(member: str) -> Callable[[CallContext, Params], Mapping[str, Any]]:
        def handler(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            api.check(ctx, p)
            chunk, token = api.page([], p, ctx)
            return {member: chunk, **({"nextToken": token} if token else {})}
        return handler

    def count(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        return {"invitationsCount": 0}

    return {
        "ListMembers": ("GET", "/detector/{DetectorId}/member", empty("members")),
        "ListPublishingDestinations": ("GET", "/detector/{DetectorId}/publishingDestination",
                                       empty("destinations")),
        "ListInvitations": ("GET", "/invitation", empty("invitations")),
        "GetInvitationsCount": ("GET", "/invitation/count", count),
    }
