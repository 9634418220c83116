"""GuardDuty ``Finding`` (botocore's guardduty model; the detector's shape) → ASFF.

Follows AWS's own mapping of GuardDuty findings into Security Hub (securityhub
"guardduty-findings-asff"): ``Id`` is the finding ARN, the GuardDuty ``Type`` becomes an ASFF type
``<namespace>/<category>/<Type with / → ->``, the 1-10 severity becomes a label (1-3.9 LOW, 4-6.9
MEDIUM, 7-8.9 HIGH, 9+ CRITICAL) with ``Original`` kept, ``Service.EventFirstSeen/LastSeen`` the
observation times, ``Service.Archived`` the record state. Resources: the remote IP the action came
from (so findings filter by attacker address) and, when the finding names a request path, the
``route:`` resource that correlation joins on.
"""

from __future__ import annotations

import json
from typing import Any

from wafproxy.sidecars.hub.builder import product_arn
from wafproxy.sidecars.hub.convert_common import (
    ConversionError,
    dig,
    get,
    route_of,
    route_resource,
    timestamp,
)

PRODUCT = "detector"
PRODUCT_NAME = "Detector"
_NAMESPACE = {
    "Backdoor": "TTPs/Command and Control",
    "Behavior": "Unusual Behaviors/Network Flow",
    "CredentialAccess": "TTPs/Credential Access",
    "CryptoCurrency": "TTPs/Impact",
    "DefenseEvasion": "TTPs/Defense Evasion",
    "Discovery": "TTPs/Discovery",
    "Execution": "TTPs/Execution",
    "Exfiltration": "Effects/Data Exfiltration",
    "Impact": "Effects/Resource Consumption",
    "InitialAccess": "TTPs/Initial Access",
    "PenTest": "TTPs/Discovery",
    "Persistence": "TTPs/Persistence",
    "Policy": "Software and Configuration Checks/Policy",
    "PrivilegeEscalation": "TTPs/Privilege Escalation",
    "Recon": "TTPs/Discovery",
    "Stealth": "TTPs/Defense Evasion",
    "Trojan": "TTPs/Execution",
    "UnauthorizedAccess": "TTPs/Initial Access",
}


def label_of(severity: float) -> str:
    if severity >= 9.0:
        return "CRITICAL"
    if severity >= 7.0:
        return "HIGH"
    if severity >= 4.0:
        return "MEDIUM"
    return "LOW" if severity >= 1.0 else "INFORMATIONAL"


def _remote_ip(action: Any) -> str | None:
    for kind in (
        "NetworkConnectionAction",
        "AwsApiCallAction",
        "KubernetesApiCallAction",
        "RdsLoginAttemptAction",
        "DnsRequestAction",
    ):
        details = dig(action, kind, "RemoteIpDetails")
        ip = get(details, "IpAddressV4") or get(details, "IpAddressV6")
        if isinstance(ip, str) and ip:
            return ip
    return None


def _route(service: Any) -> str | None:
    route = route_of(dig(service, "Action", "KubernetesApiCallAction", "RequestUri"))
    if route:
        return route
    info = dig(service, "AdditionalInfo", "Value")
    if isinstance(info, str) and info.startswith("{") and len(info) <= 16384:
        try:
            parsed = json.loads(info)
        except ValueError:
            return None
        for key in ("route", "uriPath", "uri", "path"):
            route = route_of(parsed.get(key)) if isinstance(parsed, dict) else None
            if route:
                return route
    return None


def convert(gd: dict[str, Any]) -> dict[str, Any]:
    """One GuardDuty finding → one ASFF finding (``ConversionError`` names a missing field)."""
    for field in ("Arn", "AccountId", "Region", "Type", "CreatedAt", "UpdatedAt", "Severity"):
        if get(gd, field) is None:
            raise ConversionError(field, "is required in a GuardDuty finding")
    gtype, sev = str(get(gd, "Type")), get(gd, "Severity")
    if isinstance(sev, bool) or not isinstance(sev, int | float):
        raise ConversionError("Severity", "must be a number (1-10)")
    region, account = str(get(gd, "Region")), str(get(gd, "AccountId"))
    service = get(gd, "Service") or {}
    purpose = gtype.split(":", 1)[0]
    namespace = _NAMESPACE.get(purpose, "Unusual Behaviors/Application")
    resources: list[dict[str, Any]] = []
    ip = _remote_ip(get(service, "Action"))
    if ip:
        resources.append({"Type": "Other", "Id": ip, "Details": {"Other": {"Role": "remote client"}}})
    route = _route(service)
    if route:
        resources.append(route_resource(route))
    if not resources:
        rtype = str(dig(gd, "Resource", "ResourceType") or "Unknown")
        resources.append({"Type": "Other", "Id": f"{rtype}:{account}"})
    detector = get(service, "DetectorId")
    created, updated = (
        timestamp(get(gd, "CreatedAt"), "CreatedAt"),
        timestamp(get(gd, "UpdatedAt"), "UpdatedAt"),
    )
    out: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": str(get(gd, "Arn") or get(gd, "Id")),
        "ProductArn": product_arn(region, account, PRODUCT),
        "ProductName": PRODUCT_NAME,
        "CompanyName": "wafproxy",
        "Region": region,
        "GeneratorId": f"arn:aws:guardduty:{region}:{account}:detector/{detector}" if detector else gtype,
        "AwsAccountId": account,
        "Types": [f"{namespace}/{gtype.replace('/', '-')}"],
        "CreatedAt": created,
        "UpdatedAt": updated,
        "FirstObservedAt": timestamp(
            get(service, "EventFirstSeen") or get(gd, "CreatedAt"), "EventFirstSeen"
        ),
        "LastObservedAt": timestamp(get(service, "EventLastSeen") or get(gd, "UpdatedAt"), "EventLastSeen"),
        "Severity": {"Label": label_of(float(sev)), "Original": str(sev)},
        "Title": str(get(gd, "Title") or gtype)[:256],
        "Description": str(get(gd, "Description") or gtype)[:1024],
        "Resources": resources,
        "RecordState": "ARCHIVED" if get(service, "Archived") else "ACTIVE",
        "ProductFields": {
            "aws/guardduty/type": gtype[:2048],
            "aws/guardduty/service/count": str(get(service, "Count") or 1),
            "aws/guardduty/arn": str(get(gd, "Arn"))[:2048],
        },
    }
    if route:
        out["ProductFields"]["wafproxy/route"] = route
    if isinstance(get(gd, "Confidence"), int | float):
        out["Confidence"] = max(0, min(100, int(float(get(gd, "Confidence")) * 10)))
    return out
