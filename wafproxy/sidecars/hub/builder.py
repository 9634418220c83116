"""One way for our own producers (WAF, KMS, controls, correlation, converters) to write ASFF."""

from __future__ import annotations

from typing import Any

from wafproxy.sidecars.hub.asff import SCHEMA_VERSION, iso

COMPANY = "wafproxy"


def product_arn(region: str, account: str, product: str) -> str:
    return f"arn:aws:securityhub:{region}:{account}:product/wafproxy/{product}"


def new_finding(
    *,
    region: str,
    account: str,
    product: str,
    product_name: str,
    finding_id: str,
    generator: str,
    types: list[str],
    label: str,
    title: str,
    description: str,
    resources: list[dict[str, Any]],
    now: float,
    first_seen: float | None = None,
    last_seen: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A complete ASFF finding (``extra`` adds members such as ``Remediation``, ``Compliance``)."""
    out: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id,
        "ProductArn": product_arn(region, account, product),
        "ProductName": product_name,
        "CompanyName": COMPANY,
        "Region": region,
        "GeneratorId": generator,
        "AwsAccountId": account,
        "Types": types,
        "CreatedAt": iso(first_seen if first_seen is not None else now),
        "UpdatedAt": iso(now),
        "FirstObservedAt": iso(first_seen if first_seen is not None else now),
        "LastObservedAt": iso(last_seen if last_seen is not None else now),
        "Severity": {"Label": label},
        "Title": title[:256],
        "Description": description[:1024],
        "Resources": resources,
        "RecordState": "ACTIVE",
    }
    out.update(extra)
    return out


def remediation(text: str, url: str | None = None) -> dict[str, Any]:
    rec: dict[str, Any] = {"Text": text[:512]}
    if url:
        rec["Url"] = url
    return {"Recommendation": rec}
