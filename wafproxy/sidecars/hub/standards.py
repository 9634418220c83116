"""The one standard the hub's controls implement, as Security Hub's standards APIs describe it.

``controls.py`` evaluates wafproxy's own configuration against "wafproxy Foundational" and files
the results as control findings (``Compliance.AssociatedStandards``). ``DescribeStandards`` lists
that standard and ``GetEnabledStandards`` its subscription, always READY: the controls run
whenever the hub does, so a user's first ``get-enabled-standards`` shows what produces them.
"""

from __future__ import annotations

from typing import Any

from wafproxy.sidecars.hub.controls import STANDARD

NAME = "wafproxy Foundational"
DESCRIPTION = "Controls over wafproxy's own configuration: web ACL coverage, logging, keys, TLS."


def standards_arn(region: str) -> str:
    return f"arn:aws:securityhub:{region}::standards/{STANDARD}"


def subscription_arn(region: str, account: str) -> str:
    return f"arn:aws:securityhub:{region}:{account}:subscription/{STANDARD}"


def described(region: str) -> list[dict[str, Any]]:
    return [{
        "StandardsArn": standards_arn(region),
        "Name": NAME,
        "Description": DESCRIPTION,
        "EnabledByDefault": True,
        "StandardsManagedBy": {"Company": "wafproxy", "Product": "Hub"},
    }]


def subscriptions(region: str, account: str) -> list[dict[str, Any]]:
    return [{
        "StandardsSubscriptionArn": subscription_arn(region, account),
        "StandardsArn": standards_arn(region),
        "StandardsInput": {},
        "StandardsStatus": "READY",
        "StandardsControlsUpdatable": "READY_FOR_UPDATES",
    }]
