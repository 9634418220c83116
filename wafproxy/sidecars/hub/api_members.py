"""Security Hub's multi-account operations for the one account this hub serves.

A wafproxy hub is a standalone account: it has no member accounts, no invitations and no
administrator, and none can come to exist (there is no other account to invite or be invited by).
So the reads answer what Security Hub answers a standalone account (ListMembers, ListInvitations,
GetInvitationsCount, GetAdministratorAccount, GetMasterAccount: empty), and the per-account batch
operations (CreateMembers, InviteMembers, GetMembers, DeleteMembers, DeclineInvitations,
DeleteInvitations) report each account they were given in ``UnprocessedAccounts`` with the reason,
as Security Hub reports the accounts it could not process. Accepting an invitation, or leaving an
administrator or members that do not exist, is ``ResourceNotFoundException``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.errors import AwsError
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params

if TYPE_CHECKING:
    from wafproxy.sidecars.hub.api import HubApi

MAX_ACCOUNTS = 50  # AccountIdList / AccountDetailsList: Security Hub takes 50 accounts per call


def routes(api: HubApi) -> dict[str, tuple[str, str, Callable[..., Any]]]:
    standalone = (
        f"this hub serves one account ({api.hub.account}); it has no member accounts, "
        "invitations or administrator"
    )

    def empty(member: str) -> Callable[[CallContext, Params], Mapping[str, Any]]:
        def handler(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            api.authorize(ctx, api.hub.arn)
            return api.paged(ctx, p, member, [])

        return handler

    def count(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        return {"InvitationsCount": 0}

    def nothing(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        return {}  # no administrator account: the member is absent, as for a standalone account

    def unprocessed(why: str, *, members: bool = False) -> Callable[[CallContext, Params], Mapping[str, Any]]:
        def handler(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            api.authorize(ctx, api.hub.arn)
            if p.has("AccountDetails"):
                accounts = [
                    str(d.get("AccountId", ""))[:12]
                    for d in p.list_of_dicts("AccountDetails", max_items=MAX_ACCOUNTS)
                ]
            else:
                accounts = [a[:12] for a in p.str_list("AccountIds", required=True, max_items=MAX_ACCOUNTS)]
            out: dict[str, Any] = {
                "UnprocessedAccounts": [
                    {"AccountId": a, "ProcessingResult": f"{why}: {standalone}"} for a in accounts
                ]
            }
            if members:
                out["Members"] = []
            return out

        return handler

    def not_found(what: str) -> Callable[[CallContext, Params], Mapping[str, Any]]:
        def handler(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            api.authorize(ctx, api.hub.arn)
            raise AwsError("ResourceNotFoundException", f"{what}: {standalone}", status=404)

        return handler

    return {
        "ListMembers": ("GET", "/members", empty("Members")),
        "ListInvitations": ("GET", "/invitations", empty("Invitations")),
        "GetInvitationsCount": ("GET", "/invitations/count", count),
        "GetAdministratorAccount": ("GET", "/administrator", nothing),
        "GetMasterAccount": ("GET", "/master", nothing),
        "CreateMembers": ("POST", "/members", unprocessed("not added as a member")),
        "InviteMembers": ("POST", "/members/invite", unprocessed("not invited")),
        "GetMembers": ("POST", "/members/get", unprocessed("not a member", members=True)),
        "DeleteMembers": ("POST", "/members/delete", unprocessed("not a member")),
        "DeclineInvitations": (
            "POST",
            "/invitations/decline",
            unprocessed("no invitation from this account"),
        ),
        "DeleteInvitations": ("POST", "/invitations/delete", unprocessed("no invitation from this account")),
        "DisassociateMembers": ("POST", "/members/disassociate", not_found("No such member accounts")),
        "AcceptAdministratorInvitation": ("POST", "/administrator", not_found("No such invitation")),
        "AcceptInvitation": ("POST", "/master", not_found("No such invitation")),
        "DisassociateFromAdministratorAccount": (
            "POST",
            "/administrator/disassociate",
            not_found("No administrator account"),
        ),
        "DisassociateFromMasterAccount": (
            "POST",
            "/master/disassociate",
            not_found("No administrator account"),
        ),
    }
