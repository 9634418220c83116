"""Valid ASFF findings for tests: ``finding(n, **overrides)``."""

from __future__ import annotations

from typing import Any

ACCOUNT = "123456789012"
PRODUCT = f"arn:aws:securityhub:us-east-1:{ACCOUNT}:product/{ACCOUNT}/default"


def finding(n: int, **over: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": f"test/finding/{n}",
        "ProductArn": PRODUCT,
        "ProductName": "Tester",
        "GeneratorId": f"test-generator-{n % 3}",
        "AwsAccountId": ACCOUNT,
        "Types": ["TTPs/Initial Access/Web probe"],
        "CreatedAt": "2026-12-01T10:00:00Z",
        "UpdatedAt": "2026-12-01T10:00:00Z",
        "Severity": {"Label": ("LOW", "MEDIUM", "HIGH", "CRITICAL")[n % 4]},
        "Title": f"finding {n}",
        "Description": f"test finding number {n}",
        "Resources": [{"Type": "Other", "Id": f"198.51.100.{n % 250}"}],
    }
    out.update(over)
    return out
