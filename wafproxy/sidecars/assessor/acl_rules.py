"""The web ACL rules the configuration fixes add (WAFv2 JSON, as ``UpdateWebACL`` takes them),
and the walk over a web ACL's statements the checks use."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

MANAGED_BASELINE = (
    "WafproxyManagedRulesCommonRuleSet",
    "WafproxyManagedRulesKnownBadInputsRuleSet",
    "WafproxyManagedRulesSQLiRuleSet",
)


def statements(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every statement object under ``node`` (nested And/Or/Not, scope-downs)."""
    if isinstance(node, Mapping):
        if any(k.endswith("Statement") for k in node):
            yield node
        for value in node.values():
            yield from statements(value)
    elif isinstance(node, list):
        for item in node:
            yield from statements(item)


def next_priority(acl: Mapping[str, Any]) -> int:
    return max((int(r.get("Priority", 0)) for r in acl.get("Rules") or []), default=-1) + 1


def rate_rule(priority: int) -> dict[str, Any]:
    name = "wafproxy-assessor-rate-limit"
    return {
        "Name": name,
        "Priority": priority,
        "Action": {"Block": {}},
        "Statement": {
            "RateBasedStatement": {"Limit": 1000, "EvaluationWindowSec": 300, "AggregateKeyType": "IP"}
        },
        "VisibilityConfig": {
            "SampledRequestsEnabled": True,
            "CloudWatchMetricsEnabled": True,
            "MetricName": name,
        },
    }


def managed_rule(name: str, priority: int) -> dict[str, Any]:
    return {
        "Name": name,
        "Priority": priority,
        "OverrideAction": {"None": {}},
        "Statement": {"ManagedRuleGroupStatement": {"VendorName": "wafproxy", "Name": name}},
        "VisibilityConfig": {
            "SampledRequestsEnabled": True,
            "CloudWatchMetricsEnabled": True,
            "MetricName": name,
        },
    }
