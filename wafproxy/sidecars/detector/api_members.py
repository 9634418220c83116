"""GuardDuty's multi-account operations, for the one account wafproxy serves.

A wafproxy is one standalone account, outside any AWS Organization, so:

- listings of members, invitations and organization admins answer what GuardDuty answers a
  standalone account: nothing (``ListMembers``, ``ListInvitations``, ``GetInvitationsCount``);
- the per-account batch calls (``CreateMembers``, ``InviteMembers``, ``GetMembers``,
  ``DeleteMembers``, ``StartMonitoringMembers``…) process no account: each one asked is listed in
  ``UnprocessedAccounts`` with the reason, as GuardDuty reports an account it cannot act on;
- ``GetAdministratorAccount`` / ``GetMasterAccount`` answer HTTP 200 without an administrator, as
  GuardDuty documents for "an individual account (not associated with an organization)";
- accepting, or disassociating from, an administrator that does not exist, and the organization
  calls of a management or delegated-admin account, are refused with BadRequestException.

Authorized and detector-checked like every other call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.detector.criteria import bad_request

if TYPE_CHECKING:
    from wafproxy.sidecars.detector.api import GuardDutyApi

Table = dict[str, tuple[str, str, Callable[..., Any]]]
MAX_ACCOUNTS = 50
NOT_MEMBER = (
    "The request is rejected because the given account ID is not an associated member of the current account."
)
NO_INVITATION = "The request is rejected because no invitation from this account exists."
# GuardDuty's own words to an account without AWS Organizations rights.
STANDALONE = (
    "The request failed because you do not have required AWS Organization master permission "
    "(wafproxy serves one standalone account)."
)


def refusal(api: GuardDutyApi, message: str) -> Callable[[CallContext, Params], Mapping[str, Any]]:
    """A handler that authorizes the call, then refuses it with GuardDuty's ``BadRequestException``
    (operations a standalone account cannot take: organizations, invitations, malware scans)."""

    def handler(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        raise bad_request(message)

    return handler


def account_ids(p: Params, member: str = "accountIds") -> list[str]:
    ids = p.str_list(member, required=True, max_items=MAX_ACCOUNTS)
    if not ids or not all(len(a) == 12 and a.isdigit() for a in ids):
        raise bad_request(f"{member} must name 1-{MAX_ACCOUNTS} twelve-digit account ids")
    return ids


def routes(api: GuardDutyApi) -> Table:
    def empty(member: str) -> Callable[[CallContext, Params], Mapping[str, Any]]:
        def handler(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            api.check(ctx, p)
            chunk, token = api.page([], p, ctx)
            return {member: chunk, **({"nextToken": token} if token else {})}

        return handler

    def unprocessed(
        why: str, member: str = "accountIds", extra: Mapping[str, Any] | None = None
    ) -> Callable[[CallContext, Params], Mapping[str, Any]]:
        """No account processed: each one asked, with ``why`` (its own account: not a member of itself)."""

        def handler(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            api.check(ctx, p)
            if member == "accountDetails":
                raw = p.raw(member)
                if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_ACCOUNTS:
                    raise bad_request(f"accountDetails must list 1-{MAX_ACCOUNTS} accounts")
                ids = [str(d.get("accountId", "")) if isinstance(d, dict) else "" for d in raw]
                if not all(len(a) == 12 and a.isdigit() for a in ids):
                    raise bad_request("accountDetails: accountId must be a twelve-digit account id")
            else:
                ids = account_ids(p, member)
            own = "The request is rejected because the current account cannot be its own member."
            return {
                **(extra or {}),
                "unprocessedAccounts": [
                    {"accountId": a, "result": own if a == api.detector.info.account else why} for a in ids
                ],
            }

        return handler

    def refused(message: str) -> Callable[[CallContext, Params], Mapping[str, Any]]:
        return refusal(api, message)

    def no_administrator(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        return {}

    def count(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        return {"invitationsCount": 0}

    not_invited = (
        "The request is rejected because the current account has no invitation from, and no "
        "association with, an administrator account."
    )
    member = "/detector/{DetectorId}/member"
    return {
        "ListMembers": ("GET", member, empty("members")),
        "ListInvitations": ("GET", "/invitation", empty("invitations")),
        "GetInvitationsCount": ("GET", "/invitation/count", count),
        "CreateMembers": (
            "POST",
            member,
            unprocessed(
                "The request is rejected because wafproxy serves a single account: no other account can be a "
                "member.",
                "accountDetails",
            ),
        ),
        "GetMembers": ("POST", f"{member}/get", unprocessed(NOT_MEMBER, extra={"members": []})),
        "GetMemberDetectors": (
            "POST",
            f"{member}/detector/get",
            unprocessed(NOT_MEMBER, extra={"members": []}),
        ),
        "UpdateMemberDetectors": ("POST", f"{member}/detector/update", unprocessed(NOT_MEMBER)),
        "DeleteMembers": ("POST", f"{member}/delete", unprocessed(NOT_MEMBER)),
        "DisassociateMembers": ("POST", f"{member}/disassociate", unprocessed(NOT_MEMBER)),
        "InviteMembers": ("POST", f"{member}/invite", unprocessed(NOT_MEMBER)),
        "StartMonitoringMembers": ("POST", f"{member}/start", unprocessed(NOT_MEMBER)),
        "StopMonitoringMembers": ("POST", f"{member}/stop", unprocessed(NOT_MEMBER)),
        "DeclineInvitations": ("POST", "/invitation/decline", unprocessed(NO_INVITATION)),
        "DeleteInvitations": ("POST", "/invitation/delete", unprocessed(NO_INVITATION)),
        "GetAdministratorAccount": ("GET", "/detector/{DetectorId}/administrator", no_administrator),
        "GetMasterAccount": ("GET", "/detector/{DetectorId}/master", no_administrator),
        "AcceptAdministratorInvitation": (
            "POST",
            "/detector/{DetectorId}/administrator",
            refused("The request is rejected because the input invitationId is not valid: " + NO_INVITATION),
        ),
        "AcceptInvitation": (
            "POST",
            "/detector/{DetectorId}/master",
            refused("The request is rejected because the input invitationId is not valid: " + NO_INVITATION),
        ),
        "DisassociateFromAdministratorAccount": (
            "POST",
            "/detector/{DetectorId}/administrator/disassociate",
            refused(not_invited),
        ),
        "DisassociateFromMasterAccount": (
            "POST",
            "/detector/{DetectorId}/master/disassociate",
            refused(not_invited),
        ),
        "DescribeOrganizationConfiguration": ("GET", "/detector/{DetectorId}/admin", refused(STANDALONE)),
        "UpdateOrganizationConfiguration": ("POST", "/detector/{DetectorId}/admin", refused(STANDALONE)),
        "EnableOrganizationAdminAccount": ("POST", "/admin/enable", refused(STANDALONE)),
        "DisableOrganizationAdminAccount": ("POST", "/admin/disable", refused(STANDALONE)),
        "ListOrganizationAdminAccounts": ("GET", "/admin", refused(STANDALONE)),
        "GetOrganizationStatistics": ("GET", "/organization/statistics", refused(STANDALONE)),
    }
