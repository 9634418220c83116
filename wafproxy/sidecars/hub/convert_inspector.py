"""Inspector2 ``Finding`` (botocore's inspector2 model; the assessor's shape) → ASFF.

Follows AWS's mapping of Inspector findings into Security Hub: ``Id`` the ``findingArn``,
severity label as is (``UNTRIAGED`` → INFORMATIONAL) with ``Original``, ``remediation`` →
``Remediation.Recommendation``, status ``CLOSED`` → ``RecordState`` ARCHIVED and ``SUPPRESSED`` →
``Workflow.Status`` SUPPRESSED, the Inspector score in ``ProductFields``. A resource whose id is a
request path or URL (what the assessor finds exposed) also becomes a ``route:`` resource.
"""

from __future__ import annotations

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

PRODUCT = "assessor"
PRODUCT_NAME = "Assessor"
_TYPES = {
    "PACKAGE_VULNERABILITY": "Software and Configuration Checks/Vulnerabilities/CVE",
    "CODE_VULNERABILITY": "Software and Configuration Checks/Vulnerabilities/Code",
    "NETWORK_REACHABILITY": (
        "Software and Configuration Checks/AWS Security Best Practices/Network Reachability"
    ),
}
_RESOURCE_TYPES = {
    "AWS_EC2_INSTANCE": "AwsEc2Instance",
    "AWS_ECR_CONTAINER_IMAGE": "AwsEcrContainerImage",
    "AWS_ECR_REPOSITORY": "AwsEcrRepository",
    "AWS_LAMBDA_FUNCTION": "AwsLambdaFunction",
}
_LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")


def _generator(finding: dict[str, Any], ftype: str) -> str:
    vuln = dig(finding, "packageVulnerabilityDetails", "vulnerabilityId")
    if vuln:
        return str(vuln)
    detector = dig(finding, "codeVulnerabilityDetails", "detectorId")
    return str(detector) if detector else f"wafproxy/assessor/{ftype.lower()}"


def convert(finding: dict[str, Any]) -> dict[str, Any]:
    """One Inspector2 finding → one ASFF finding (``ConversionError`` names a missing field)."""
    for field in (
        "findingArn",
        "awsAccountId",
        "type",
        "description",
        "severity",
        "firstObservedAt",
        "lastObservedAt",
        "status",
        "resources",
    ):
        if get(finding, field) is None:
            raise ConversionError(field, "is required in an Inspector2 finding")
    arn, account, ftype = (
        str(get(finding, "findingArn")),
        str(get(finding, "awsAccountId")),
        str(get(finding, "type")),
    )
    parts = arn.split(":")
    region = parts[3] if len(parts) > 4 and parts[3] else "us-east-1"
    raw_resources = get(finding, "resources")
    if not isinstance(raw_resources, list) or not raw_resources:
        raise ConversionError("resources", "must be a non-empty list")
    resources: list[dict[str, Any]] = []
    route = None
    for r in raw_resources[:30]:
        rid, rtype = str(get(r, "id") or "unknown"), str(get(r, "type") or "Other")
        resources.append(
            {
                "Type": _RESOURCE_TYPES.get(rtype, "Other"),
                "Id": rid[:512],
                "Region": str(get(r, "region") or region),
            }
        )
        route = route or route_of(rid)
    if route:
        resources.append(route_resource(route))
    severity = str(get(finding, "severity"))
    status = str(get(finding, "status"))
    updated = get(finding, "updatedAt") or get(finding, "lastObservedAt")
    out: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": arn,
        "ProductArn": product_arn(region, account, PRODUCT),
        "ProductName": PRODUCT_NAME,
        "CompanyName": "wafproxy",
        "Region": region,
        "GeneratorId": _generator(finding, ftype),
        "AwsAccountId": account,
        "Types": [_TYPES.get(ftype, "Software and Configuration Checks/Vulnerabilities")],
        "CreatedAt": timestamp(get(finding, "firstObservedAt"), "firstObservedAt"),
        "UpdatedAt": timestamp(updated, "updatedAt"),
        "FirstObservedAt": timestamp(get(finding, "firstObservedAt"), "firstObservedAt"),
        "LastObservedAt": timestamp(get(finding, "lastObservedAt"), "lastObservedAt"),
        "Severity": {"Label": severity if severity in _LABELS else "INFORMATIONAL", "Original": severity},
        "Title": str(get(finding, "title") or get(finding, "description"))[:256],
        "Description": str(get(finding, "description"))[:1024],
        "Resources": resources,
        "RecordState": "ARCHIVED" if status == "CLOSED" else "ACTIVE",
        "ProductFields": {
            "aws/inspector/FindingStatus": status,
            "aws/inspector/type": ftype,
            "aws/inspector/findingArn": arn[:2048],
        },
    }
    if status == "SUPPRESSED":
        out["Workflow"] = {"Status": "SUPPRESSED"}
    text, url = (
        dig(finding, "remediation", "recommendation", "text"),
        dig(finding, "remediation", "recommendation", "Url"),
    )
    if text:
        out["Remediation"] = {
            "Recommendation": {"Text": str(text)[:512], **({"Url": str(url)} if url else {})}
        }
    score = get(finding, "inspectorScore")
    if isinstance(score, int | float) and not isinstance(score, bool):
        out["ProductFields"]["aws/inspector/inspectorScore"] = str(score)
    if route:
        out["ProductFields"]["wafproxy/route"] = route
    return out
