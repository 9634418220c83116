"""wafproxy's own configuration: what no external scanner can see (issue 13).

Reads ``ConfigFacts`` only — the web ACL document and logging configuration as the control plane
holds them, the serving settings, the KMS keys they reference — so the same checks run inside
``serve`` and from ``wafproxy inspect --config/--admin``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from wafproxy.sidecars.assessor.acl_rules import (
    MANAGED_BASELINE,
    managed_rule,
    next_priority,
    rate_rule,
    statements,
)
from wafproxy.sidecars.assessor.context import AssessContext, ConfigFacts, is_loopback
from wafproxy.sidecars.assessor.model import CheckError, CheckSpec, Fix, Observation, Severity
from wafproxy.sidecars.assessor.registry import FamilyResult, register

FAMILY = "config"


def _spec(suffix: str, severity: Severity, title: str, description: str, remediation: str) -> CheckSpec:
    return CheckSpec(f"WAFP-CFG-{suffix}", FAMILY, "CONFIGURATION", severity, title, description, remediation)


OPEN = _spec(
    "DEFAULT-ALLOW",
    "HIGH",
    "Default action Allow with no managed rule group",
    "Every request no rule blocks is allowed, and no managed group blocks common attacks.",
    "Add the wafproxy managed rule groups (Common, KnownBadInputs, SQLi).",
)
NO_RATE = _spec(
    "NO-RATE",
    "MEDIUM",
    "No rate-based rule",
    "Nothing limits how fast one client may send requests (credential stuffing, scraping, floods).",
    "Add a rate-based rule (e.g. 1000 requests per 5 minutes per IP, Block).",
)
COUNTED = _spec(
    "MANAGED-COUNT",
    "MEDIUM",
    "Managed rule group overridden to Count",
    "A managed rule group only counts matches: the attacks it recognises reach the app.",
    "Set the group's OverrideAction back to None once its false positives are handled.",
)
LOG_OFF = _spec(
    "LOGGING-OFF",
    "MEDIUM",
    "WAF logging is off",
    "Blocked and allowed requests leave no record: no investigation, no detection.",
    "Start wafproxy with --waf-log PATH.",
)
UNREDACTED = _spec(
    "LOGGING-UNREDACTED",
    "LOW",
    "WAF log keeps query strings unredacted",
    "Query strings often carry tokens and personal data; they are written to the log.",
    'PutLoggingConfiguration with RedactedFields [{"QueryString": {}}].',
)
LOG_PLAIN = _spec(
    "LOG-UNENCRYPTED",
    "LOW",
    "WAF log is not encrypted",
    "The log file holds client addresses and request details in clear text.",
    "Start wafproxy with --waf-log-kms-key KEY (and --kms-listen or --kms-endpoint).",
)
KMS_ROTATION = _spec(
    "KMS-ROTATION",
    "MEDIUM",
    "KMS key used by wafproxy has rotation off",
    "A key that never rotates protects ever more data under one key material.",
    "EnableKeyRotation on the key.",
)
KMS_DELETION = _spec(
    "KMS-PENDING-DELETION",
    "CRITICAL",
    "KMS key used by wafproxy is scheduled for deletion",
    "When it is deleted, everything encrypted under it (WAF logs) becomes unreadable.",
    "CancelKeyDeletion, then EnableKey.",
)
KMS_UNREAD = _spec(
    "KMS-UNREADABLE",
    "LOW",
    "KMS key used by wafproxy could not be described",
    "The key's state and rotation could not be checked.",
    "Check the key id and the credentials.",
)
NO_VERIFY = _spec(
    "UPSTREAM-NO-VERIFY",
    "HIGH",
    "Upstream certificate verification is off",
    "--upstream-insecure-skip-verify lets anyone on the path impersonate the upstream.",
    "Drop --upstream-insecure-skip-verify; give --upstream-ca PATH for a private CA.",
)
ADMIN_OPEN = _spec(
    "ADMIN-EXPOSED",
    "HIGH",
    "Admin listener beyond loopback without credentials",
    "/metrics and /readyz answer anyone on the network and the API has no authentication.",
    "Bind --admin-listen 127.0.0.1:PORT, or set --credentials.",
)
UNREADABLE = _spec(
    "UNREADABLE",
    "MEDIUM",
    "wafproxy configuration could not be read",
    "The configuration checks did not run: the file or the control plane did not answer.",
    "Fix the file named in the evidence (or the --admin URL/credentials).",
)
SPECS = (
    OPEN,
    NO_RATE,
    COUNTED,
    LOG_OFF,
    UNREDACTED,
    LOG_PLAIN,
    KMS_ROTATION,
    KMS_DELETION,
    KMS_UNREAD,
    NO_VERIFY,
    ADMIN_OPEN,
    UNREADABLE,
)


def _acl_checks(acl: Mapping[str, Any], resource: str) -> list[Observation]:
    out: list[Observation] = []
    rules = list(acl.get("Rules") or [])
    managed = [r for r in rules if "ManagedRuleGroupStatement" in (r.get("Statement") or {})]
    if "Allow" in (acl.get("DefaultAction") or {}) and not managed:
        first = next_priority(acl)
        adds = [managed_rule(n, first + i) for i, n in enumerate(MANAGED_BASELINE)]
        out.append(
            Observation(
                OPEN,
                resource,
                "WAFPROXY_WEB_ACL",
                "DefaultAction Allow, 0 managed groups",
                fix=Fix("webacl", "add the baseline managed rule groups", {"addRules": adds}, True),
            )
        )
    if not any("RateBasedStatement" in s for s in statements(rules)):
        out.append(
            Observation(
                NO_RATE,
                resource,
                "WAFPROXY_WEB_ACL",
                f"{len(rules)} rules, none rate-based",
                fix=Fix("webacl", "add a rate-based rule", {"addRule": rate_rule(next_priority(acl))}, True),
            )
        )
    for rule in managed:
        counted = "Count" in (rule.get("OverrideAction") or {})
        overrides = rule["Statement"]["ManagedRuleGroupStatement"].get("RuleActionOverrides") or []
        if counted or any("Count" in (o.get("ActionToUse") or {}) for o in overrides):
            what = "OverrideAction Count" if counted else f"{len(overrides)} rule(s) overridden to Count"
            out.append(
                Observation(
                    COUNTED,
                    f"{resource}/{rule['Name']}",
                    "WAFPROXY_WEB_ACL",
                    f"{rule['Name']}: {what}",
                    scope=resource,
                    fix=Fix(
                        "webacl",
                        f"enforce {rule['Name']} again",
                        {"setOverrideActionNone": rule["Name"]},
                        True,
                    ),
                )
            )
    return out


def _log_checks(c: ConfigFacts, resource: str) -> list[Observation]:
    out: list[Observation] = []
    if not c.waf_log and (c.settings_known or c.logging is None):
        out.append(
            Observation(
                LOG_OFF,
                resource,
                "WAFPROXY_SETTINGS",
                "no --waf-log" if c.settings_known else "no logging configuration",
                fix=Fix("cli_flag", "log to a file", {"flags": ["--waf-log", "PATH"]}),
            )
        )
        return out
    redacted = json.dumps((c.logging or {}).get("RedactedFields") or [])
    if "QueryString" not in redacted:
        config = {
            **(c.logging or {}),
            "RedactedFields": [*((c.logging or {}).get("RedactedFields") or []), {"QueryString": {}}],
        }
        out.append(
            Observation(
                UNREDACTED,
                resource,
                "WAFPROXY_SETTINGS",
                f"RedactedFields {redacted}",
                fix=Fix("logging", "redact query strings", {"LoggingConfiguration": config}, True),
            )
        )
    if c.settings_known and c.waf_log and c.waf_log != "-" and not c.waf_log_kms_key:
        out.append(
            Observation(
                LOG_PLAIN,
                resource,
                "WAFPROXY_SETTINGS",
                f"--waf-log {c.waf_log} in clear text",
                fix=Fix("cli_flag", "encrypt the log", {"flags": ["--waf-log-kms-key", "KEY_ID"]}),
            )
        )
    return out


def _kms_checks(c: ConfigFacts, resource: str) -> list[Observation]:
    out: list[Observation] = []
    for key in c.kms_keys:
        rid = f"{resource}/kms/{key.key_id}"
        if key.error:
            out.append(Observation(KMS_UNREAD, rid, "AWS_KMS_KEY", key.error[:200], scope=resource))
            continue
        problems = (
            (
                key.state == "PendingDeletion",
                KMS_DELETION,
                f"used by {key.referenced_by}",
                "CancelKeyDeletion",
            ),
            (key.rotation is False, KMS_ROTATION, "rotation disabled", "EnableKeyRotation"),
        )
        for wrong, spec, what, call in problems:
            if wrong:
                fix = Fix("kms", call, {call: {"KeyId": key.key_id}}, True)
                out.append(
                    Observation(spec, rid, "AWS_KMS_KEY", f"{key.key_id}: {what}", scope=resource, fix=fix)
                )
    return out


@register(FAMILY, SPECS)
async def run(ctx: AssessContext) -> FamilyResult:
    result = FamilyResult()
    c = ctx.config
    if c is None:
        result.errors.append(CheckError(FAMILY, "-", "not assessed: no --config or --admin given"))
        return result
    # Named after the web ACL, not where it was read: the periodic run (settings + store) and
    # `inspect --admin` (the WAFv2 API) report the same problem as the same finding.
    name = (c.web_acl or {}).get("Name")
    resource = f"wafproxy:webacl/{name}" if name else f"wafproxy:{c.source}"
    if c.error:
        result.errors.append(CheckError(FAMILY, resource, c.error))
        result.observations.append(Observation(UNREADABLE, resource, "WAFPROXY_SETTINGS", c.error[:300]))
        result.covered.add(f"{FAMILY}|{resource}")
        return result
    if c.web_acl is not None:
        result.observations.extend(_acl_checks(c.web_acl, resource))
    result.observations.extend(_log_checks(c, resource))
    result.observations.extend(_kms_checks(c, resource))
    if c.settings_known and c.upstream_insecure_skip_verify:
        result.observations.append(
            Observation(
                NO_VERIFY,
                resource,
                "WAFPROXY_SETTINGS",
                "--upstream-insecure-skip-verify is set",
                fix=Fix(
                    "cli_flag",
                    "verify the upstream",
                    {"remove": ["--upstream-insecure-skip-verify"], "flags": ["--upstream-ca", "PATH"]},
                ),
            )
        )
    if c.admin_host is not None and not c.api_credentials and not is_loopback(c.admin_host):
        result.observations.append(
            Observation(
                ADMIN_OPEN,
                resource,
                "WAFPROXY_SETTINGS",
                f"--admin-listen on {c.admin_host}, no --credentials",
                fix=Fix(
                    "cli_flag", "bind admin to loopback", {"flags": ["--admin-listen", "127.0.0.1:9090"]}
                ),
            )
        )
    result.covered.update({f"{FAMILY}|{resource}", f"{FAMILY}|wafproxy:{c.source}"})
    return result
