"""Inspector2's account-scope operations beyond Enable/Disable, for the one standalone account
wafproxy's assessor serves (outside any AWS Organization).

- Organization and delegated-administrator calls (``EnableDelegatedAdminAccount``,
  ``DisableDelegatedAdminAccount``, ``AssociateMember``, ``Describe/UpdateOrganizationConfiguration``,
  ``UpdateOrgEc2DeepInspectionConfiguration``, and ``ListDelegatedAdminAccounts``, which only an
  organization's management account may call) are refused with AccessDeniedException, what
  Inspector answers an account that is not an organization's management or delegated-admin
  account; ``GetDelegatedAdminAccount`` names none;
  ``GetMember`` is ResourceNotFoundException and ``DisassociateMember`` ValidationException: there
  are no members.
- ``BatchGetFreeTrialInfo``: the 15-day trial of each scan type, from the day this store was first
  asked (kept); ``ListUsageTotals``: every metered usage type at 0 (wafproxy scans none of them:
  no EC2, ECR, Lambda or code repository); ``ListAccountPermissions``: what a standalone account
  may do (enable and disable each scan type and ECR repositories).
- Encryption keys (``Get/Update/ResetEncryptionKey``): the customer KMS key per scan type and
  resource type, kept in the store; none set is ResourceNotFoundException, as Inspector answers
  while its own key is in use. wafproxy stores no code snippets, so nothing is encrypted with it.
- EC2 deep inspection: ``GetEc2DeepInspectionConfiguration`` is DEACTIVATED; activating it is
  refused (ValidationException): there is no EC2 instance. Member statuses: this account
  DEACTIVATED, any other failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from wafproxy.awsapi.errors import AwsError, access_denied, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.assessor.store import FindingStore

Routes = dict[str, tuple[str, str, Callable[[CallContext, Params], Any]]]
TRIAL_DAYS = 15
TRIAL_TYPES = ("EC2", "ECR", "LAMBDA", "LAMBDA_CODE", "CODE_REPOSITORY")
USAGE_TYPES = (
    "EC2_INSTANCE_HOURS",
    "ECR_INITIAL_SCAN",
    "ECR_RESCAN",
    "LAMBDA_FUNCTION_HOURS",
    "LAMBDA_FUNCTION_CODE_HOURS",
    "CODE_REPOSITORY_SAST",
    "CODE_REPOSITORY_IAC",
    "CODE_REPOSITORY_SCA",
    "EC2_AGENTLESS_INSTANCE_HOURS",
)
PERMISSIONS = (
    ("EC2", "ENABLE_SCANNING"),
    ("EC2", "DISABLE_SCANNING"),
    ("ECR", "ENABLE_SCANNING"),
    ("ECR", "DISABLE_SCANNING"),
    ("ECR", "ENABLE_REPOSITORY"),
    ("ECR", "DISABLE_REPOSITORY"),
    ("LAMBDA", "ENABLE_SCANNING"),
    ("LAMBDA", "DISABLE_SCANNING"),
)
SCAN_TYPES = ("NETWORK", "PACKAGE", "CODE")
KEY_RESOURCES = (
    "AWS_EC2_INSTANCE",
    "AWS_ECR_CONTAINER_IMAGE",
    "AWS_ECR_REPOSITORY",
    "AWS_LAMBDA_FUNCTION",
    "CODE_REPOSITORY",
)
NOT_ADMIN = (
    "wafproxy's Inspector serves one standalone account: it is not an organization's management "
    "or delegated administrator account"
)
NO_EC2 = "wafproxy has no EC2 instance: deep inspection cannot be activated"


def _account(p: Params, member: str) -> str:
    value = p.str(member, max_len=12)
    if len(value) != 12 or not value.isdigit():
        raise validation(f"{member} must be a twelve-digit account id", path=member)
    return value


def handlers(
    store: FindingStore,
    page: Callable[..., tuple[list[Any], str | None]],
    clock: Callable[[], float] = time.time,
) -> Routes:
    def refused(ctx: CallContext, p: Params) -> dict[str, Any]:
        raise access_denied(NOT_ADMIN)

    def get_member(ctx: CallContext, p: Params) -> dict[str, Any]:
        account = _account(p, "accountId")
        raise AwsError(
            "ResourceNotFoundException", f"account {account} is not a member of this account", status=404
        )

    def disassociate(ctx: CallContext, p: Params) -> dict[str, Any]:
        account = _account(p, "accountId")
        raise validation(f"account {account} is not a member of this account", path="accountId")

    def admin(ctx: CallContext, p: Params) -> dict[str, Any]:
        return {}

    def trial_start() -> float:
        start = store.setting("trialStart")
        if start is None:
            start = clock()
            store.set_setting("trialStart", start)
        return float(start)

    def free_trial(ctx: CallContext, p: Params) -> dict[str, Any]:
        asked = p.str_list("accountIds", required=True, max_items=100)
        if not asked:
            raise validation("accountIds must name 1-100 accounts", path="accountIds")
        start = trial_start()
        end = start + TRIAL_DAYS * 86400
        status = "ACTIVE" if clock() < end else "INACTIVE"
        info = [{"type": t, "start": start, "end": end, "status": status} for t in TRIAL_TYPES]
        return {
            "accounts": [{"accountId": a, "freeTrialInfo": info} for a in asked if a == store.account],
            "failedAccounts": [
                {"accountId": a, "code": "ACCESS_DENIED", "message": NOT_ADMIN}
                for a in asked
                if a != store.account
            ],
        }

    def usage(ctx: CallContext, p: Params) -> dict[str, Any]:
        asked = p.str_list("accountIds", max_items=7000) or [store.account]
        usage = [
            {"type": t, "total": 0.0, "estimatedMonthlyCost": 0.0, "currency": "USD"} for t in USAGE_TYPES
        ]
        rows = [{"accountId": a, "usage": usage} for a in asked if a == store.account]
        chunk, token = page(rows, p, ctx, default=50, hi=500)
        return {"totals": chunk, **({"nextToken": token} if token else {})}

    def permissions(ctx: CallContext, p: Params) -> dict[str, Any]:
        service = p.str("service", required=False, max_len=8)
        if service is not None and service not in ("EC2", "ECR", "LAMBDA"):
            raise validation("service must be EC2, ECR or LAMBDA", path="service")
        rows = [{"service": s, "operation": o} for s, o in PERMISSIONS if service in (None, s)]
        chunk, token = page(rows, p, ctx, default=100, hi=1024)
        return {"permissions": chunk, **({"nextToken": token} if token else {})}

    def key_slot(p: Params) -> str:
        scan, resource = p.str("scanType", max_len=16), p.str("resourceType", max_len=64)
        if scan not in SCAN_TYPES:
            raise validation(f"scanType must be one of {', '.join(SCAN_TYPES)}", path="scanType")
        if resource not in KEY_RESOURCES:
            raise validation(f"resourceType must be one of {', '.join(KEY_RESOURCES)}", path="resourceType")
        return f"{scan}|{resource}"

    def get_key(ctx: CallContext, p: Params) -> dict[str, Any]:
        key = (store.setting("encryptionKeys") or {}).get(key_slot(p))
        if key is None:
            raise AwsError(
                "ResourceNotFoundException",
                "no customer managed key is set: Inspector's own key is in use",
                status=404,
            )
        return {"kmsKeyId": key}

    def update_key(ctx: CallContext, p: Params) -> dict[str, Any]:
        slot = key_slot(p)
        key = p.str("kmsKeyId", max_len=2048)
        if not key.startswith("arn:aws:kms:") or ":key/" not in key:
            raise validation(
                "kmsKeyId must be a KMS key ARN (arn:aws:kms:region:account:key/id)", path="kmsKeyId"
            )
        store.set_setting("encryptionKeys", {**(store.setting("encryptionKeys") or {}), slot: key})
        return {}

    def reset_key(ctx: CallContext, p: Params) -> dict[str, Any]:
        slot = key_slot(p)
        keys = dict(store.setting("encryptionKeys") or {})
        keys.pop(slot, None)
        store.set_setting("encryptionKeys", keys)
        return {}

    def deep_get(ctx: CallContext, p: Params) -> dict[str, Any]:
        return {"packagePaths": [], "orgPackagePaths": [], "status": "DEACTIVATED"}

    def deep_update(ctx: CallContext, p: Params) -> dict[str, Any]:
        if p.raw("activateDeepInspection") is True or p.str_list("packagePaths", max_items=5):
            raise validation(NO_EC2, path="activateDeepInspection")
        return {"packagePaths": [], "orgPackagePaths": [], "status": "DEACTIVATED"}

    def member_status(ctx: CallContext, p: Params) -> dict[str, Any]:
        asked = p.str_list("accountIds", max_items=100) or [store.account]
        return {
            "accountIds": [{"accountId": a, "status": "DEACTIVATED"} for a in asked if a == store.account],
            "failedAccountIds": [
                {"accountId": a, "errorMessage": NOT_ADMIN} for a in asked if a != store.account
            ],
        }

    def member_update(ctx: CallContext, p: Params) -> dict[str, Any]:
        raw = p.raw("accountIds")
        if not isinstance(raw, list) or not raw or not all(isinstance(a, dict) for a in raw):
            raise validation("accountIds must list {accountId, activateDeepInspection}", path="accountIds")
        failed = [
            {
                "accountId": str(a.get("accountId", ""))[:12],
                "errorMessage": NO_EC2 if a.get("accountId") == store.account else NOT_ADMIN,
            }
            for a in raw
        ]
        return {"accountIds": [], "failedAccountIds": failed}

    return {
        "EnableDelegatedAdminAccount": ("POST", "/delegatedadminaccounts/enable", refused),
        "DisableDelegatedAdminAccount": ("POST", "/delegatedadminaccounts/disable", refused),
        "ListDelegatedAdminAccounts": ("POST", "/delegatedadminaccounts/list", refused),
        "GetDelegatedAdminAccount": ("POST", "/delegatedadminaccounts/get", admin),
        "AssociateMember": ("POST", "/members/associate", refused),
        "GetMember": ("POST", "/members/get", get_member),
        "DisassociateMember": ("POST", "/members/disassociate", disassociate),
        "DescribeOrganizationConfiguration": ("POST", "/organizationconfiguration/describe", refused),
        "UpdateOrganizationConfiguration": ("POST", "/organizationconfiguration/update", refused),
        "UpdateOrgEc2DeepInspectionConfiguration": (
            "POST",
            "/ec2deepinspectionconfiguration/org/update",
            refused,
        ),
        "BatchGetFreeTrialInfo": ("POST", "/freetrialinfo/batchget", free_trial),
        "ListUsageTotals": ("POST", "/usage/list", usage),
        "ListAccountPermissions": ("POST", "/accountpermissions/list", permissions),
        "GetEncryptionKey": ("GET", "/encryptionkey/get", get_key),
        "UpdateEncryptionKey": ("PUT", "/encryptionkey/update", update_key),
        "ResetEncryptionKey": ("PUT", "/encryptionkey/reset", reset_key),
        "GetEc2DeepInspectionConfiguration": ("POST", "/ec2deepinspectionconfiguration/get", deep_get),
        "UpdateEc2DeepInspectionConfiguration": (
            "POST",
            "/ec2deepinspectionconfiguration/update",
            deep_update,
        ),
        "BatchGetMemberEc2DeepInspectionStatus": (
            "POST",
            "/ec2deepinspectionstatus/member/batch/get",
            member_status,
        ),
        "BatchUpdateMemberEc2DeepInspectionStatus": (
            "POST",
            "/ec2deepinspectionstatus/member/batch/update",
            member_update,
        ),
    }
