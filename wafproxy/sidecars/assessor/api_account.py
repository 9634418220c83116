"""Inspector2's account operations: Enable, Disable, BatchGetAccountStatus, GetConfiguration,
UpdateConfiguration, ListMembers (none), for the one account this assessor serves.

wafproxy's Inspector assesses wafproxy endpoints (TLS, headers, exposure, dependencies), none of
Inspector's EC2/ECR/Lambda/code-repository kinds. Enabling those kinds is kept and reported back,
as AWS does for an account that has no such resources; the endpoint assessment itself runs
whenever the assessor does, so the account's own state stays ENABLED (Disable of every kind says
so in the response too). The scan configuration (ECR rescan duration, EC2 scan mode) is kept and
returned by GetConfiguration. Both live in the store's ``settings`` table (SQLite WAL): a restart
answers what the last call set.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from wafproxy.awsapi.errors import validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.assessor.store import FindingStore

# ResourceScanType → the member naming it in ResourceStatus / ResourceState.
KINDS = {"EC2": "ec2", "ECR": "ecr", "LAMBDA": "lambda", "LAMBDA_CODE": "lambdaCode",
         "CODE_REPOSITORY": "codeRepository"}
RESCAN = ("LIFETIME", "DAYS_30", "DAYS_180", "DAYS_14", "DAYS_60", "DAYS_90", "DAYS_3", "DAYS_7")
PULL_RESCAN = ("DAYS_14", "DAYS_30", "DAYS_60", "DAYS_90", "DAYS_180", "DAYS_3", "DAYS_7")
PULL_MODES = ("LAST_PULL_DATE", "LAST_IN_USE_AT")
SCAN_MODES = ("EC2_SSM_AGENT_BASED", "EC2_HYBRID")
_ENDPOINTS = "wafproxy endpoints are assessed"


def _enabled_kinds(store: FindingStore) -> set[str]:
    return set(store.setting("resourceTypes") or [])


def _kinds(p: Params, *, required: bool) -> list[str]:
    kinds = p.str_list("resourceTypes", required=required, max_items=len(KINDS))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or (required and not kinds):
        raise validation(f"resourceTypes must name some of {', '.join(KINDS)}", path="resourceTypes")
    return kinds


def _accounts(store: FindingStore, p: Params) -> tuple[list[str], list[dict[str, Any]]]:
    """The accounts asked for that are ours, and a FailedAccount for each other one."""
    asked = p.str_list("accountIds", max_items=100) or [store.account]
    refusal = {"errorCode": "ACCESS_DENIED", "errorMessage": "wafproxy's Inspector serves one account"}
    failed = [{"accountId": a, **refusal} for a in asked if a != store.account]
    return [a for a in asked if a == store.account], failed


def _resource_status(store: FindingStore) -> dict[str, str]:
    on = _enabled_kinds(store)
    return {member: "ENABLED" if kind in on else "DISABLED" for kind, member in KINDS.items()}


def _choice(raw: Any, member: str, allowed: tuple[str, ...], path: str) -> str | None:
    value = raw.get(member) if isinstance(raw, dict) else None
    if value is not None and value not in allowed:
        raise validation(f"{path}.{member} must be one of {', '.join(allowed)}", path=path)
    return value


def handlers(store: FindingStore,
             clock: Callable[[], float] = time.time) -> dict[str, tuple[str, str, Callable[..., Any]]]:
    def switch(p: Params, kinds: list[str], on: bool) -> dict[str, Any]:
        mine, failed = _accounts(store, p)
        if mine:
            current = _enabled_kinds(store)
            store.set_setting("resourceTypes", sorted(current | set(kinds) if on else current - set(kinds)))
        status = _resource_status(store)
        return {"accounts": [{"accountId": a, "status": "ENABLED", "resourceStatus": status} for a in mine],
                "failedAccounts": failed}

    def enable(ctx: CallContext, p: Params) -> dict[str, Any]:
        p.str("clientToken", required=False, max_len=64)  # enabling twice is enabled: no token needed
        return switch(p, _kinds(p, required=True), True)

    def disable(ctx: CallContext, p: Params) -> dict[str, Any]:
        return switch(p, _kinds(p, required=False) or list(KINDS), False)

    def status(ctx: CallContext, p: Params) -> dict[str, Any]:
        mine, failed = _accounts(store, p)
        # errorCode is required and an ErrorCode enum value (there is no "success" member): a type
        # this account does not scan has no resource to scan here, RESOURCE_NOT_FOUND.
        states = {member: {"status": s,
                           "errorCode": "ALREADY_ENABLED" if s == "ENABLED" else "RESOURCE_NOT_FOUND",
                           "errorMessage": "enabled (wafproxy has none to scan)" if s == "ENABLED"
                           else "not scanned by wafproxy"}
                  for member, s in _resource_status(store).items()}
        state = {"status": "ENABLED", "errorCode": "ALREADY_ENABLED", "errorMessage": _ENDPOINTS}
        return {"accounts": [{"accountId": a, "state": state, "resourceState": states} for a in mine],
                "failedAccounts": failed}

    def get_configuration(ctx: CallContext, p: Params) -> dict[str, Any]:
        _own_account(p)
        config = store.setting("configuration") or {}
        ecr = {"rescanDuration": "LIFETIME", "status": "SUCCESS", **(config.get("ecr") or {})}
        ec2 = {"scanMode": "EC2_SSM_AGENT_BASED", "scanModeStatus": "SUCCESS", **(config.get("ec2") or {})}
        return {"ecrConfiguration": {"rescanDurationState": ecr}, "ec2Configuration": {"scanModeState": ec2}}

    def update_configuration(ctx: CallContext, p: Params) -> dict[str, Any]:
        _own_account(p)
        if p.has("amiConfiguration") or p.has("updateConfigurationInheritance"):
            raise validation("amiConfiguration and updateConfigurationInheritance are not supported here: "
                             "wafproxy scans no machine images and has no organization",
                             path="amiConfiguration")
        ecr_raw, ec2_raw = p.raw("ecrConfiguration"), p.raw("ec2Configuration")
        if ecr_raw is None and ec2_raw is None:
            raise validation("name ecrConfiguration or ec2Configuration", path="ecrConfiguration")
        config = dict(store.setting("configuration") or {})
        if ecr_raw is not None:
            duration = _choice(ecr_raw, "rescanDuration", RESCAN, "ecrConfiguration")
            if duration is None:
                raise validation("ecrConfiguration.rescanDuration is required", path="ecrConfiguration")
            ecr: dict[str, Any] = {"rescanDuration": duration, "updatedAt": clock()}
            pull = (("pullDateRescanDuration", PULL_RESCAN), ("pullDateRescanMode", PULL_MODES))
            for member, allowed in pull:
                value = _choice(ecr_raw, member, allowed, "ecrConfiguration")
                if value is not None:
                    ecr[member] = value
            config["ecr"] = ecr
        if ec2_raw is not None:
            mode = _choice(ec2_raw, "scanMode", SCAN_MODES, "ec2Configuration")
            if mode is None:
                raise validation("ec2Configuration.scanMode is required", path="ec2Configuration")
            config["ec2"] = {"scanMode": mode}
        store.set_setting("configuration", config)
        return {}

    def _own_account(p: Params) -> None:
        asked = p.str("accountId", required=False, max_len=12)
        if asked is not None and asked != store.account:
            raise validation(f"account {asked} is not the account wafproxy's Inspector serves",
                             path="accountId")

    def members(ctx: CallContext, p: Params) -> dict[str, Any]:
        """No members: AssociateMember is not served, so none can exist (a standalone account)."""
        p.int("maxResults", required=False, lo=1, hi=50)
        if p.has("nextToken"):
            raise validation("nextToken does not continue a listing of members", path="nextToken")
        return {"members": []}

    return {
        "ListMembers": ("POST", "/members/list", members),
        "Enable": ("POST", "/enable", enable),
        "Disable": ("POST", "/disable", disable),
        "BatchGetAccountStatus": ("POST", "/status/batch/get", status),
        "GetConfiguration": ("POST", "/configuration/get", get_configuration),
        "UpdateConfiguration": ("POST", "/configuration/update", update_configuration),
    }
