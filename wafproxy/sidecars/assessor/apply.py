"""``wafproxy inspect --apply FIX_ID``: make one fix through the control plane, after showing it.

Web ACL fixes: GetWebACL, the changed document, a unified diff of the two, then UpdateWebACL with
the lock token just read (a concurrent change makes it fail, never overwrite). Logging fixes:
PutLoggingConfiguration. KMS fixes: the KMS API (``--kms-endpoint``). Fixes wafproxy cannot make
(response headers, CLI flags, package upgrades) are printed for a human and exit 1.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Mapping
from typing import Any

from wafproxy.sidecars.assessor.model import Fix
from wafproxy.sidecars.assessor.runner import Report

_UPDATABLE = (
    "DefaultAction",
    "Description",
    "Rules",
    "VisibilityConfig",
    "CustomResponseBodies",
    "CaptchaConfig",
    "ChallengeConfig",
    "TokenDomains",
    "AssociationConfig",
    "DataProtectionConfig",
)


def changed_acl(acl: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """The web ACL with ``change`` made: ``addRule``/``addRules`` (renumbered after the last
    priority, skipped when a rule of that name exists) or ``setOverrideActionNone``."""
    new = copy.deepcopy(dict(acl))
    rules: list[dict[str, Any]] = new.setdefault("Rules", [])
    names = {r["Name"] for r in rules}
    adds = list(change.get("addRules") or []) + ([change["addRule"]] if "addRule" in change else [])
    priority = max((int(r.get("Priority", 0)) for r in rules), default=-1) + 1
    for rule in adds:
        if rule["Name"] in names:
            continue
        rules.append({**rule, "Priority": priority})
        priority += 1
    target = change.get("setOverrideActionNone")
    if target is not None:
        for rule in rules:
            if rule["Name"] == target:
                rule["OverrideAction"] = {"None": {}}
                stmt = rule["Statement"]["ManagedRuleGroupStatement"]
                stmt.pop("RuleActionOverrides", None)
    return new


def diff(before: Any, after: Any, label: str) -> str:
    a = json.dumps(before, indent=2, sort_keys=True, default=_text).splitlines()
    b = json.dumps(after, indent=2, sort_keys=True, default=_text).splitlines()
    return "\n".join(difflib.unified_diff(a, b, f"{label} (now)", f"{label} (fixed)", lineterm=""))


def _text(value: Any) -> str:
    """boto3 hands blobs (ByteMatch ``SearchString``) back as bytes."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(type(value).__name__)


def apply_fix(
    report: Report,
    fix_id: str,
    *,
    admin: str | None,
    region: str,
    dry_run: bool,
    kms_endpoint: str | None = None,
) -> int:
    match = next((a for a in report.assessed if a.fix_id == fix_id), None)
    if match is None or match.fix is None:
        known = ", ".join(a.fix_id for a in report.assessed if a.fix_id) or "none"
        print(f"wafproxy inspect: no fix {fix_id!r} in this assessment (fixes: {known})")
        return 2
    fix = match.fix
    print(f"fix {fix_id}: {fix.summary} — for: {match.finding['title']}")
    if not fix.appliable:
        print("wafproxy cannot make this change itself; make it by hand:")
        print(json.dumps(fix.change, indent=2))
        return 1
    if fix.kind == "kms":
        return _kms(fix, kms_endpoint, region, dry_run)
    if not admin:
        print("wafproxy inspect: --apply of a web ACL/logging fix needs --admin URL (the control plane)")
        return 2
    from wafproxy.sidecars.assessor.facts import boto_client

    waf = boto_client("wafv2", admin, region)
    summary = waf.list_web_acls(Scope="REGIONAL")["WebACLs"][0]
    got = waf.get_web_acl(Name=summary["Name"], Id=summary["Id"], Scope="REGIONAL")
    acl = got["WebACL"]
    if fix.kind == "logging":
        try:
            before = waf.get_logging_configuration(ResourceArn=acl["ARN"])["LoggingConfiguration"]
        except waf.exceptions.WAFNonexistentItemException:
            before = {}
        after = {**before, **fix.change["LoggingConfiguration"], "ResourceArn": acl["ARN"]}
        after.setdefault(
            "LogDestinationConfigs",
            [f"arn:aws:logs:{region}:{acl['ARN'].split(':')[4]}:log-group:aws-waf-logs-wafproxy"],
        )
        print(diff(before, after, "LoggingConfiguration"))
        if not dry_run:
            waf.put_logging_configuration(LoggingConfiguration=after)
    else:
        after = changed_acl(acl, fix.change)
        print(diff(acl, after, f"WebACL {acl['Name']}"))
        if not dry_run:
            waf.update_web_acl(
                Name=acl["Name"],
                Scope="REGIONAL",
                Id=acl["Id"],
                LockToken=got["LockToken"],
                **{k: after[k] for k in _UPDATABLE if k in after},
            )
    print("dry run: nothing changed" if dry_run else "applied")
    return 0


def _kms(fix: Fix, endpoint: str | None, region: str, dry_run: bool) -> int:
    ((operation, params),) = fix.change.items()
    print(f"KMS {operation} {json.dumps(params)}")
    if dry_run:
        print("dry run: nothing changed")
        return 0
    if not endpoint:
        print("wafproxy inspect: a KMS fix needs --kms-endpoint URL")
        return 2
    from wafproxy.sidecars.assessor.facts import boto_client

    kms = boto_client("kms", endpoint, region)
    getattr(
        kms,
        {"EnableKeyRotation": "enable_key_rotation", "CancelKeyDeletion": "cancel_key_deletion"}[operation],
    )(**params)
    print("applied")
    return 0
