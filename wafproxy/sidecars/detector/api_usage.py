"""GuardDuty's usage, coverage and free-trial reads, answered from what this detector has.

- ``GetUsageStatistics``: GuardDuty reports what the account is billed, in USD. The rows are this
  detector's own: its one account, the data sources and features asked for (or, unasked, the
  features enabled on it), the resources its findings name (``SUM_BY_RESOURCE``,
  ``TOP_RESOURCES``); every amount is ``0`` USD, since a wafproxy detector costs nothing.
- ``ListCoverage`` / ``GetCoverageStatistics``: Runtime Monitoring coverage of EKS clusters, ECS
  clusters and EC2 instances. A proxy runs no agent on any: no resource, empty counts.
- ``GetRemainingFreeTrialDays``: GuardDuty's 30-day trial, counted from the detector's creation,
  for this account; another account is unprocessed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.detector.api_members import MAX_ACCOUNTS, NOT_MEMBER, account_ids
from wafproxy.sidecars.detector.criteria import bad_request

if TYPE_CHECKING:
    from wafproxy.sidecars.detector.api import GuardDutyApi

Table = dict[str, tuple[str, str, Callable[..., Any]]]
TRIAL_DAYS = 30
_STAT_TYPES = (
    "SUM_BY_ACCOUNT",
    "SUM_BY_DATA_SOURCE",
    "SUM_BY_RESOURCE",
    "TOP_RESOURCES",
    "SUM_BY_FEATURES",
    "TOP_ACCOUNTS_BY_FEATURE",
)
_TRIAL_FEATURES = (
    "FLOW_LOGS",
    "CLOUD_TRAIL",
    "DNS_LOGS",
    "S3_DATA_EVENTS",
    "EKS_AUDIT_LOGS",
    "EBS_MALWARE_PROTECTION",
    "RDS_LOGIN_EVENTS",
    "LAMBDA_NETWORK_LOGS",
    "EKS_RUNTIME_MONITORING",
    "EC2_RUNTIME_MONITORING",
    "FARGATE_RUNTIME_MONITORING",
    "AI_PROTECTION",
)
_COVERAGE_STATS = {
    "COUNT_BY_RESOURCE_TYPE": "countByResourceType",
    "COUNT_BY_COVERAGE_STATUS": "countByCoverageStatus",
}


def _names(raw: Any, member: str) -> list[str]:
    """A list of enum-like names (upper case, digits, ``_``): AWS adds values, so not a closed set."""
    if raw is None:
        return []
    if (
        not isinstance(raw, list)
        or len(raw) > 50
        or not all(
            isinstance(v, str) and 0 < len(v) <= 64 and all(c.isupper() or c.isdigit() or c == "_" for c in v)
            for v in raw
        )
    ):
        raise bad_request(f"usageCriteria.{member} must be a list of names")
    return list(raw)


def routes(api: GuardDutyApi, clock: Callable[[], float] = time.time) -> Table:
    info = api.detector.info

    def zero(unit: str) -> dict[str, str]:
        return {"amount": "0", "unit": unit}

    def usage(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        kind = p.str("usageStatisticsType", max_len=32)
        if kind not in _STAT_TYPES:
            raise bad_request(f"usageStatisticsType must be one of {', '.join(_STAT_TYPES)}")
        criteria = p.raw("usageCriteria")
        if not isinstance(criteria, dict):
            raise bad_request("usageCriteria is required")
        unit = p.str("unit", required=False, default="USD", max_len=8)
        if unit != "USD":
            raise bad_request("unit must be USD")
        limit = p.int("maxResults", required=False, default=50, lo=1, hi=50)
        accounts = criteria.get("accountIds")
        if accounts is not None and (not isinstance(accounts, list) or len(accounts) > MAX_ACCOUNTS):
            raise bad_request(f"usageCriteria.accountIds must list at most {MAX_ACCOUNTS} accounts")
        ours = accounts is None or info.account in accounts
        sources = _names(criteria.get("dataSources"), "dataSources")
        features = _names(criteria.get("features"), "features") or sorted(
            n for n, f in api.resources.settings.features.items() if f.get("Status") == "ENABLED"
        )
        resources = criteria.get("resources")
        if resources is not None and (not isinstance(resources, list) or len(resources) > 50):
            raise bad_request("usageCriteria.resources must list at most 50 resources")
        named = sorted({f.resource for f in api.detector.store.all()})
        named = [r for r in named if resources is None or r in resources] if ours else []
        total = zero(unit)
        stats: dict[str, Any] = {}
        if kind == "SUM_BY_ACCOUNT":
            stats["sumByAccount"] = [{"accountId": info.account, "total": total}] if ours else []
        elif kind == "SUM_BY_DATA_SOURCE":
            stats["sumByDataSource"] = [{"dataSource": s, "total": total} for s in sources] if ours else []
        elif kind == "SUM_BY_FEATURES":
            stats["sumByFeature"] = [{"feature": f, "total": total} for f in features] if ours else []
        elif kind == "TOP_ACCOUNTS_BY_FEATURE":
            stats["topAccountsByFeature"] = (
                [{"feature": f, "accounts": [{"accountId": info.account, "total": total}]} for f in features]
                if ours
                else []
            )
        else:
            member = "sumByResource" if kind == "SUM_BY_RESOURCE" else "topResources"
            stats[member] = [{"resource": r, "total": total} for r in named[:limit]]
        return {"usageStatistics": stats}

    def coverage(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        chunk, token = api.page([], p, ctx)
        return {"resources": chunk, **({"nextToken": token} if token else {})}

    def coverage_statistics(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        kinds = p.str_list("statisticsType", required=True, max_items=2)
        if not kinds or any(k not in _COVERAGE_STATS for k in kinds):
            raise bad_request(f"statisticsType must name some of {', '.join(_COVERAGE_STATS)}")
        return {"coverageStatistics": {_COVERAGE_STATS[k]: {} for k in kinds}}

    def free_trial(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        asked = account_ids(p)
        settings = api.resources.settings
        since = settings.created_at if settings.created_at is not None else api.started
        left = max(0, TRIAL_DAYS - int((clock() - since) // 86400))
        days = {"freeTrialDaysRemaining": left}
        sources = {
            "cloudTrail": days,
            "dnsLogs": days,
            "flowLogs": days,
            "s3Logs": days,
            "kubernetes": {"auditLogs": days},
            "malwareProtection": {"scanEc2InstanceWithFindings": days},
        }
        mine = [
            {
                "accountId": a,
                "dataSources": sources,
                "features": [{"name": n, **days} for n in _TRIAL_FEATURES],
            }
            for a in asked
            if a == info.account
        ]
        others = [{"accountId": a, "result": NOT_MEMBER} for a in asked if a != info.account]
        return {"accounts": mine, "unprocessedAccounts": others}

    return {
        "GetUsageStatistics": ("POST", "/detector/{DetectorId}/usage/statistics", usage),
        "ListCoverage": ("POST", "/detector/{DetectorId}/coverage", coverage),
        "GetCoverageStatistics": ("POST", "/detector/{DetectorId}/coverage/statistics", coverage_statistics),
        "GetRemainingFreeTrialDays": ("POST", "/detector/{DetectorId}/freeTrial/daysRemaining", free_trial),
    }
