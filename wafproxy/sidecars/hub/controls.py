"""Controls over our own configuration and a security score, like Security Hub's standards.

Each control looks at one aspect of this wafproxy (web ACL, logging, KMS, admin listener, TLS) and
is PASSED, FAILED (naming the failing resources) or NOT_AVAILABLE (nothing to check, e.g. no KMS in
this process). Results become ASFF findings with ``Compliance.Status`` (one ``Id`` per control,
updated in place, so a fix resolves the finding), and the score is passed / (passed + failed) —
controls without data count for neither, as in Security Hub.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from wafproxy.sidecars.hub.builder import new_finding, remediation

PRODUCT = "hub"
PRODUCT_NAME = "Hub"
STANDARD = "wafproxy-foundational/v/1.0.0"
# control id → (title, severity when failed, what it checks): the one list of the standard's controls,
# read by the evaluation below and by the standards-control APIs (``api_controls``).
CATALOG: dict[str, tuple[str, str, str]] = {
    "WAF.1": ("The web ACL uses managed rule groups", "HIGH",
              "Checks that the web ACL references at least one managed rule group."),
    "WAF.2": ("The web ACL has a rate-based rule", "MEDIUM",
              "Checks that the web ACL has a rate-based rule, so one client cannot send without limit."),
    "WAF.3": ("WAF logging is on, with credentials redacted", "MEDIUM",
              "Checks that WAF log records are written (credentials are always redacted)."),
    "LOG.1": ("Logs and findings are encrypted at rest", "MEDIUM",
              "Checks that WAF log files and the hub database are sealed under a KMS key."),
    "KMS.1": ("KMS keys rotate", "MEDIUM",
              "Checks that automatic rotation is on for every enabled symmetric KMS key."),
    "ADMIN.1": ("The admin APIs are authenticated", "CRITICAL",
                "Checks that the admin listener's APIs and console require credentials."),
    "ADMIN.2": ("The admin listener is not exposed", "HIGH",
                "Checks that the admin listener listens on loopback only."),
    "TLS.1": ("Traffic to upstreams is TLS, verified", "HIGH",
              "Checks that remote upstreams are reached over verified TLS."),
    "TLS.2": ("Clients reach the WAF over TLS", "MEDIUM",
              "Checks that TLS terminates at the WAF, or that it listens on loopback only."),
}
TYPES = ["Software and Configuration Checks/Industry and Regulatory Standards/wafproxy Foundational"]


@dataclass(frozen=True, slots=True)
class ControlInputs:
    """What the controls read, gathered by the wiring (settings, control plane, KMS, hub)."""

    web_acl: Mapping[str, Any]
    web_acl_arn: str
    waf_log: str | None
    waf_log_kms_key: str | None
    logging_config: Mapping[str, Any] | None
    admin_authenticated: bool
    admin_host: str
    data_tls: bool
    data_host: str
    upstreams: tuple[str, ...]
    upstream_verify: bool
    kms_keys: tuple[Any, ...] | None  # KeyRecords of the in-process KMS; None: no KMS visible
    hub_encrypted: bool
    hub_db: str


@dataclass(frozen=True, slots=True)
class Result:
    control_id: str
    title: str
    severity: str
    status: str  # PASSED | FAILED | NOT_AVAILABLE
    reason: str
    resources: tuple[str, ...] = field(default=())
    fix: str = ""


def _statements(node: Any) -> Iterable[Mapping[str, Any]]:
    """Every statement object in a rule tree (And/Or/Not nest them)."""
    if isinstance(node, Mapping):
        yield node
        for v in node.values():
            yield from _statements(v)
    elif isinstance(node, list):
        for v in node:
            yield from _statements(v)


def _loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _has(acl: Mapping[str, Any], kind: str) -> bool:
    return any(kind in s for r in acl.get("Rules") or [] for s in _statements(r.get("Statement")))


def _check(
    cid: str,
    failing: list[str],
    ok: str,
    bad: str,
    fix: str,
    resources_ok: tuple[str, ...],
) -> Result:
    title, severity, _ = CATALOG[cid]
    if failing:
        return Result(cid, title, severity, "FAILED", bad, tuple(failing), fix)
    return Result(cid, title, severity, "PASSED", ok, resources_ok, fix)


def evaluate(i: ControlInputs) -> list[Result]:
    acl = (i.web_acl_arn,)
    out = [
        _check(
            "WAF.1",
            [] if _has(i.web_acl, "ManagedRuleGroupStatement") else [i.web_acl_arn],
            "managed rule groups are referenced",
            "no ManagedRuleGroupStatement in the web ACL",
            "Add the wafproxy managed rule groups (rules/managed) to the web ACL.",
            acl,
        ),
        _check(
            "WAF.2",
            [] if _has(i.web_acl, "RateBasedStatement") else [i.web_acl_arn],
            "a RateBasedStatement limits floods",
            "no RateBasedStatement: one client can send without limit",
            "Add a rate-based rule (e.g. 2000 requests / 5 min per IP).",
            acl,
        ),
        _check(
            "WAF.3",
            [] if (i.waf_log or i.logging_config) else [i.web_acl_arn],
            "WAF log records are written; Authorization, Cookie and API keys are always redacted",
            "no WAF log: blocked requests leave no record",
            "Start with --waf-log PATH.",
            acl,
        ),
    ]
    unencrypted = []
    if i.waf_log and i.waf_log != "-" and not i.waf_log_kms_key:
        unencrypted.append(i.waf_log)
    if not i.hub_encrypted and i.hub_db != ":memory:":
        unencrypted.append(i.hub_db)
    out.append(
        _check(
            "LOG.1",
            unencrypted,
            "every file at rest is sealed under a KMS key",
            "stored in clear",
            "Set --waf-log-kms-key and --hub-kms-key.",
            (i.hub_db,),
        )
    )
    rotating = [
        k
        for k in i.kms_keys or ()
        if k.spec == "SYMMETRIC_DEFAULT" and getattr(k.state, "value", k.state) == "Enabled"
    ]
    if not rotating:
        why = "no KMS in this process" if i.kms_keys is None else "no enabled symmetric key to check"
        out.append(Result("KMS.1", *CATALOG["KMS.1"][:2], "NOT_AVAILABLE", why))
    else:
        out.append(
            _check(
                "KMS.1",
                [k.arn for k in rotating if not k.rotation_enabled],
                f"automatic rotation is on for all {len(rotating)} enabled symmetric keys",
                "automatic rotation is off",
                "EnableKeyRotation on each key.",
                tuple(k.arn for k in rotating[:10]),
            )
        )
    out.append(
        _check(
            "ADMIN.1",
            [] if i.admin_authenticated else [f"admin:{i.admin_host}"],
            "WAFv2, Security Hub and the console require SigV4 keys or a session",
            "no --credentials",
            "Start with --credentials.",
            (f"admin:{i.admin_host}",),
        )
    )
    out.append(
        _check(
            "ADMIN.2",
            [] if _loopback(i.admin_host) else [f"admin:{i.admin_host}"],
            "the admin listener is on loopback",
            "the admin listener (with /metrics) listens beyond loopback",
            "Bind --admin-listen to 127.0.0.1 and reach it through a tunnel.",
            (f"admin:{i.admin_host}",),
        )
    )
    plain = [
        u for u in i.upstreams if urlsplit(u).scheme == "http" and not _loopback(urlsplit(u).hostname or "")
    ]
    if not i.upstream_verify:
        plain += [u for u in i.upstreams if urlsplit(u).scheme == "https"]
    out.append(
        _check(
            "TLS.1",
            plain,
            "remote upstreams use verified TLS",
            "upstream traffic in clear or unverified",
            "Use https:// upstreams and drop --upstream-insecure-skip-verify.",
            i.upstreams,
        )
    )
    out.append(
        _check(
            "TLS.2",
            [] if i.data_tls or _loopback(i.data_host) else [f"listen:{i.data_host}"],
            "TLS terminates at the WAF, or it listens on loopback only",
            "clients connect in clear",
            "Set --tls-cert/--tls-key.",
            (f"listen:{i.data_host}",),
        )
    )
    return out


def score(results: list[Result]) -> tuple[int, int]:
    """(passed, enabled with data)."""
    rated = [r for r in results if r.status != "NOT_AVAILABLE"]
    return sum(r.status == "PASSED" for r in rated), len(rated)


def to_findings(results: list[Result], *, account: str, region: str, now: float) -> list[dict[str, Any]]:
    out = []
    for r in results:
        out.append(
            new_finding(
                region=region,
                account=account,
                product=PRODUCT,
                product_name=PRODUCT_NAME,
                finding_id=f"wafproxy/controls/{r.control_id}",
                generator=f"security-control/{r.control_id}",
                types=TYPES,
                label=r.severity if r.status == "FAILED" else "INFORMATIONAL",
                title=f"{r.control_id} {r.title}",
                description=f"{r.status}: {r.reason}.",
                resources=[{"Type": "Other", "Id": res[:512]} for res in (r.resources or ("wafproxy",))[:32]],
                now=now,
                Compliance={
                    "Status": r.status,
                    "SecurityControlId": r.control_id,
                    "AssociatedStandards": [{"StandardsId": STANDARD}],
                    "StatusReasons": [{"ReasonCode": r.status, "Description": r.reason[:2048]}],
                },
                Remediation=remediation(r.fix) if r.fix else None,
            )
        )
        if out[-1]["Remediation"] is None:
            del out[-1]["Remediation"]
    return out


class ControlRunner:
    """Evaluates the controls from ``inputs()`` and imports the results; keeps the last ones."""

    def __init__(self, hub: Any, inputs: Callable[[], ControlInputs]) -> None:
        self.hub = hub
        self.inputs = inputs
        self.results: list[Result] = []

    def run(self) -> list[Result]:
        if not self.hub.standard_enabled:
            return []  # BatchDisableStandards (or Security Hub disabled): no control findings
        # A control disabled with UpdateStandardsControl files no finding (its last one is archived).
        self.results = [r for r in evaluate(self.inputs()) if r.control_id not in self.hub.disabled_controls]
        self.hub.import_findings(
            to_findings(
                self.results, account=self.hub.account, region=self.hub.region, now=self.hub.clock.now()
            )
        )
        return self.results
