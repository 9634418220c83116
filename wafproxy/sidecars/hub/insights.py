"""Managed insights: the three questions the console's dashboard asks of the findings.

Security Hub's insights are a filter plus a ``GroupByAttribute``; the results count findings per
value. The WAF producer writes one finding per (rule, client IP, 5-minute window), so "top blocked
IPs" counts the windows in which each IP was blocked, across rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.sidecars.hub.core import Hub
from wafproxy.sidecars.hub.filters import STRING_COLUMNS, compile_filters

WAF_BLOCKS = "wafproxy/waf/blocked/"
_ACTIVE = {"RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}]}
# Open: active, not resolved or suppressed, and not a passed control (those are good news).
_OPEN = {
    **_ACTIVE,
    "WorkflowStatus": [
        {"Value": "RESOLVED", "Comparison": "NOT_EQUALS"},
        {"Value": "SUPPRESSED", "Comparison": "NOT_EQUALS"},
    ],
    "ComplianceStatus": [{"Value": "PASSED", "Comparison": "NOT_EQUALS"}],
}
_BLOCKS = {**_ACTIVE, "GeneratorId": [{"Value": WAF_BLOCKS, "Comparison": "PREFIX"}]}
MAX_RESULTS = 100


@dataclass(frozen=True, slots=True)
class Insight:
    slug: str
    name: str
    filters: dict[str, Any]
    group_by: str

    def arn(self) -> str:
        return f"arn:aws:securityhub:::insight/wafproxy/managed/{self.slug}"

    def to_shape(self) -> dict[str, Any]:
        return {
            "InsightArn": self.arn(),
            "Name": self.name,
            "Filters": self.filters,
            "GroupByAttribute": self.group_by,
        }


MANAGED = (
    Insight("top-blocked-ips", "Top blocked client IPs", _BLOCKS, "ResourceId"),
    Insight("top-blocking-rules", "Top blocking rules", _BLOCKS, "GeneratorId"),
    Insight("findings-by-severity", "Open findings by severity", _OPEN, "SeverityLabel"),
)
BY_ARN = {i.arn(): i for i in MANAGED}


def get_insights(arns: list[str]) -> list[dict[str, Any]]:
    unknown = [a for a in arns if a not in BY_ARN]
    if unknown:
        raise AwsError("ResourceNotFoundException", f"Insight {unknown[0][:256]} not found", status=404)
    return [i.to_shape() for i in MANAGED if not arns or i.arn() in arns]


def insight_results(hub: Hub, arn: str, limit: int = MAX_RESULTS) -> dict[str, Any]:
    insight = BY_ARN.get(arn)
    if insight is None:
        raise AwsError("ResourceNotFoundException", f"Insight {arn[:256]} not found", status=404)
    if insight.group_by == "ResourceId":
        column = "resource_id"
    elif insight.group_by in STRING_COLUMNS:
        column = STRING_COLUMNS[insight.group_by]
    else:
        raise validation(f"GroupByAttribute {insight.group_by} is not supported")
    where = compile_filters(insight.filters, hub.clock.now())
    values = hub.store.group_count(column, where, limit)
    return {
        "InsightArn": arn,
        "GroupByAttribute": insight.group_by,
        "ResultValues": [{"GroupByAttributeValue": v, "Count": n} for v, n in values],
    }
