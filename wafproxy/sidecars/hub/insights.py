"""Insights: the three managed ones (the questions the console's dashboard asks of the findings)
and the account's custom ones (CreateInsight/UpdateInsight/DeleteInsight, kept in the store's
``meta`` table as one JSON document, so a restart evaluates the same insights).

Security Hub's insights are a filter plus a ``GroupByAttribute``; the results count findings per
value. The WAF producer writes one finding per (rule, client IP, 5-minute window), so "top blocked
IPs" counts the windows in which each IP was blocked, across rules.
"""

from __future__ import annotations

import json
import uuid
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
MAX_CUSTOM = 100  # Security Hub's quota of custom insights per account
META_KEY = "custom_insights"
_RESOURCE_COLUMNS = {"ResourceId": "resource_id", "ResourceType": "resource_type"}


@dataclass(frozen=True, slots=True)
class Insight:
    slug: str
    name: str
    filters: dict[str, Any]
    group_by: str
    custom_arn: str | None = None  # a custom insight's (account and region in it)

    def arn(self) -> str:
        return self.custom_arn or f"arn:aws:securityhub:::insight/wafproxy/managed/{self.slug}"

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


def group_column(group_by: str) -> str:
    """The store column ``GroupByAttribute`` counts by (InvalidInputException if none)."""
    if group_by in _RESOURCE_COLUMNS:
        return _RESOURCE_COLUMNS[group_by]
    if group_by in STRING_COLUMNS:
        return STRING_COLUMNS[group_by]
    supported = ", ".join([*_RESOURCE_COLUMNS, *STRING_COLUMNS])
    raise validation(f"GroupByAttribute {group_by[:64]} is not supported (one of {supported})",
                     path="GroupByAttribute")


def _not_found(arn: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Insight {arn[:256]} not found", status=404)


class Insights:
    """The managed insights and ``hub``'s custom ones."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        raw = hub.store.meta(META_KEY)
        self.custom: dict[str, Insight] = {}
        for doc in json.loads(raw) if raw else []:
            self.custom[doc["arn"]] = Insight(doc["slug"], doc["name"], doc["filters"], doc["group_by"],
                                              doc["arn"])

    def _save(self) -> None:
        docs = [{"arn": i.arn(), "slug": i.slug, "name": i.name, "filters": i.filters, "group_by": i.group_by}
                for i in self.custom.values()]
        self.hub.store.set_meta(META_KEY, json.dumps(docs))

    def _checked(self, name: str, filters: Any, group_by: str, skip: str | None = None) -> None:
        compile_filters(filters, self.hub.clock.now())  # InvalidInputException naming the filter
        group_column(group_by)
        if any(i.name == name and i.arn() != skip for i in self.custom.values()):
            raise AwsError("ResourceConflictException", f"An insight named {name[:128]} already exists",
                           status=409)

    def create(self, name: str, filters: Any, group_by: str) -> str:
        self._checked(name, filters, group_by)
        if len(self.custom) >= MAX_CUSTOM:
            raise AwsError("LimitExceededException", f"at most {MAX_CUSTOM} custom insights", status=429)
        slug = str(uuid.uuid4())
        hub = self.hub
        arn = f"arn:aws:securityhub:{hub.region}:{hub.account}:insight/{hub.account}/custom/{slug}"
        self.custom[arn] = Insight(slug, name, filters, group_by, arn)
        self._save()
        return arn

    def _custom(self, arn: str) -> Insight:
        if arn in BY_ARN:
            raise validation(f"{arn[:256]} is a managed insight: it cannot be changed", path="InsightArn")
        found = self.custom.get(arn)
        if found is None:
            raise _not_found(arn)
        return found

    def update(self, arn: str, name: str | None, filters: Any, group_by: str | None) -> None:
        old = self._custom(arn)
        new = Insight(old.slug, name if name is not None else old.name,
                      filters if filters is not None else old.filters,
                      group_by if group_by is not None else old.group_by, arn)
        self._checked(new.name, new.filters, new.group_by, skip=arn)
        self.custom[arn] = new
        self._save()

    def delete(self, arn: str) -> None:
        self._custom(arn)
        del self.custom[arn]
        self._save()

    def all(self) -> list[Insight]:
        return [*MANAGED, *self.custom.values()]

    def get(self, arns: list[str]) -> list[dict[str, Any]]:
        known = {i.arn(): i for i in self.all()}
        unknown = [a for a in arns if a not in known]
        if unknown:
            raise _not_found(unknown[0])
        return [i.to_shape() for i in self.all() if not arns or i.arn() in arns]

    def results(self, arn: str, limit: int = MAX_RESULTS) -> dict[str, Any]:
        insight = BY_ARN.get(arn) or self.custom.get(arn)
        if insight is None:
            raise _not_found(arn)
        return evaluate(self.hub, insight, limit)


def evaluate(hub: Hub, insight: Insight, limit: int = MAX_RESULTS) -> dict[str, Any]:
    """Findings matching the insight's filters, counted per ``GroupByAttribute`` value."""
    where = compile_filters(insight.filters, hub.clock.now())
    values = hub.store.group_count(group_column(insight.group_by), where, limit)
    return {
        "InsightArn": insight.arn(),
        "GroupByAttribute": insight.group_by,
        "ResultValues": [{"GroupByAttributeValue": v, "Count": n} for v, n in values],
    }


def insight_results(hub: Hub, arn: str, limit: int = MAX_RESULTS) -> dict[str, Any]:
    """A managed insight's results (the console's dashboard)."""
    insight = BY_ARN.get(arn)
    if insight is None:
        raise _not_found(arn)
    return evaluate(hub, insight, limit)
