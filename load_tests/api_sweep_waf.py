"""The WAFv2 half of the API sweep (``load_tests/api_sweep.py``): the IP sets, regex sets, rule
groups and API key the operations name, and each operation's members that name them (lock tokens
read just before the call). Members not given here come from the input shape's minimum."""

from __future__ import annotations

import datetime
import json
from typing import Any

from botocore.exceptions import ClientError

REGIONAL = {"Scope": "REGIONAL"}
VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "sweep"}
RULE = {
    "Name": "sweep",
    "Priority": 0,
    "Action": {"Block": {}},
    "VisibilityConfig": VIS,
    "Statement": {
        "ByteMatchStatement": {
            "SearchString": "/sweep",
            "FieldToMatch": {"UriPath": {}},
            "PositionalConstraint": "STARTS_WITH",
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    },
}


def prepare(client: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {"client": client}
    for name in ("sweep-ips", "sweep-doomed-ips"):
        ctx[name] = client.create_ip_set(
            Name=name, IPAddressVersion="IPV4", Addresses=["192.0.2.1/32"], **REGIONAL
        )["Summary"]
    for name in ("sweep-regex", "sweep-doomed-regex"):
        ctx[name] = client.create_regex_pattern_set(
            Name=name, RegularExpressionList=[{"RegexString": "a+b"}], **REGIONAL
        )["Summary"]
    for name in ("sweep-group", "sweep-doomed-group"):
        ctx[name] = client.create_rule_group(
            Name=name, Capacity=10, VisibilityConfig=VIS, Rules=[RULE], **REGIONAL
        )["Summary"]
    (acl,) = client.list_web_acls(**REGIONAL)["WebACLs"]
    ctx["acl"] = acl
    ctx["proxy"] = f"arn:aws:wafproxy:us-east-1:123456789012:proxy/{acl['Name']}"
    managed = client.list_available_managed_rule_groups(**REGIONAL)["ManagedRuleGroups"]
    ctx["managed"] = managed[0]
    try:
        ctx["api_key"] = client.create_api_key(TokenDomains=["example.com"], **REGIONAL)["APIKey"]
        ctx["doomed_api_key"] = client.create_api_key(TokenDomains=["example.org"], **REGIONAL)["APIKey"]
    except ClientError:
        ctx["api_key"] = ctx["doomed_api_key"] = "sweep"
    return ctx


def _named(ctx: dict[str, Any], key: str, get: str, wrapper: str) -> dict[str, Any]:
    """Name, Id and the current LockToken of a resource made in ``prepare``."""
    summary = ctx[key]
    got = getattr(ctx["client"], get)(Name=summary["Name"], Id=summary["Id"], **REGIONAL)
    return {
        "Name": summary["Name"],
        "Id": summary["Id"],
        "LockToken": got["LockToken"],
        **REGIONAL,
        "_doc": got[wrapper],
    }


def _bare(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if not k.startswith("_")}


def _window() -> dict[str, Any]:
    now = datetime.datetime.now(datetime.UTC)
    return {"StartTime": now - datetime.timedelta(minutes=30), "EndTime": now}


def _policy() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Action": [
                        "wafv2:CreateWebACL",
                        "wafv2:UpdateWebACL",
                        "wafv2:PutFirewallManagerRuleGroups",
                        "wafv2:GetRuleGroup",
                    ],
                }
            ],
        }
    )


def values(op: str, ctx: dict[str, Any]) -> dict[str, Any] | None:  # noqa: C901 (one table)
    acl, group = ctx["acl"], ctx["sweep-group"]
    ips = lambda key="sweep-ips": _named(ctx, key, "get_ip_set", "IPSet")  # noqa: E731
    regex = lambda key="sweep-regex": _named(ctx, key, "get_regex_pattern_set", "RegexPatternSet")  # noqa: E731
    rules = lambda key="sweep-group": _named(ctx, key, "get_rule_group", "RuleGroup")  # noqa: E731
    web = lambda: _named(ctx, "acl", "get_web_acl", "WebACL")  # noqa: E731
    managed = ctx["managed"]
    table: dict[str, Any] = {
        "AssociateWebACL": lambda: {"WebACLArn": acl["ARN"], "ResourceArn": ctx["proxy"]},
        "CheckCapacity": lambda: {"Rules": [RULE]},
        "CreateAPIKey": lambda: {"TokenDomains": ["example.net"]},
        "CreateIPSet": lambda: {
            "Name": "sweep-new",
            "IPAddressVersion": "IPV4",
            "Addresses": ["192.0.2.9/32"],
        },
        "CreateRegexPatternSet": lambda: {
            "Name": "sweep-new",
            "RegularExpressionList": [{"RegexString": "x+"}],
        },
        "CreateRuleGroup": lambda: {
            "Name": "sweep-new",
            "Capacity": 10,
            "VisibilityConfig": VIS,
            "Rules": [RULE],
        },
        "CreateWebACL": lambda: {
            "Name": "sweep-acl",
            "DefaultAction": {"Allow": {}},
            "VisibilityConfig": VIS,
        },
        "DeleteAPIKey": lambda: {"APIKey": ctx["doomed_api_key"]},
        "DeleteFirewallManagerRuleGroups": lambda: {
            "WebACLArn": acl["ARN"],
            "WebACLLockToken": web()["LockToken"],
        },
        "DeleteIPSet": lambda: _bare(ips("sweep-doomed-ips")),
        "DeleteLoggingConfiguration": lambda: {"ResourceArn": acl["ARN"]},
        "DeletePermissionPolicy": lambda: {"ResourceArn": group["ARN"]},
        "DeleteRegexPatternSet": lambda: _bare(regex("sweep-doomed-regex")),
        "DeleteRuleGroup": lambda: _bare(rules("sweep-doomed-group")),
        "DeleteWebACL": lambda: _bare(web()),
        "DescribeManagedProductsByVendor": lambda: {"VendorName": managed["VendorName"]},
        "DescribeManagedRuleGroup": lambda: {"VendorName": managed["VendorName"], "Name": managed["Name"]},
        "DisassociateWebACL": lambda: {"ResourceArn": ctx["proxy"]},
        "GetDecryptedAPIKey": lambda: {"APIKey": ctx["api_key"]},
        "GetEvent": lambda: {"WebAclArn": acl["ARN"]},
        "GetIPSet": lambda: {k: v for k, v in _bare(ips()).items() if k != "LockToken"},
        "GetLoggingConfiguration": lambda: {"ResourceArn": acl["ARN"]},
        "GetPermissionPolicy": lambda: {"ResourceArn": group["ARN"]},
        "GetRateBasedStatementManagedKeys": lambda: {
            "WebACLName": acl["Name"],
            "WebACLId": acl["Id"],
            "RuleName": "RateLimit",
        },
        "GetRegexPatternSet": lambda: {k: v for k, v in _bare(regex()).items() if k != "LockToken"},
        "GetRuleGroup": lambda: {"Name": group["Name"], "Id": group["Id"], **REGIONAL},
        "GetSampledRequests": lambda: {
            "WebAclArn": acl["ARN"],
            "RuleMetricName": "AdminMetric",
            "TimeWindow": _window(),
            "MaxItems": 10,
        },
        "GetTopPathStatisticsByTraffic": lambda: {"WebAclArn": acl["ARN"], "TimeWindow": _window()},
        "GetWebACL": lambda: {"Name": acl["Name"], "Id": acl["Id"], **REGIONAL},
        "GetWebACLForResource": lambda: {"ResourceArn": ctx["proxy"]},
        "ListAvailableManagedRuleGroupVersions": lambda: {
            "VendorName": managed["VendorName"],
            "Name": managed["Name"],
        },
        "ListEventActors": lambda: {"TimeWindow": _window()},
        "ListEventsByWebACL": lambda: {"WebAclArn": acl["ARN"]},
        "ListResourcesForWebACL": lambda: {"WebACLArn": acl["ARN"]},
        "ListTagsForResource": lambda: {"ResourceARN": ctx["sweep-ips"]["ARN"]},
        "PutLoggingConfiguration": lambda: {
            "LoggingConfiguration": {
                "ResourceArn": acl["ARN"],
                "LogDestinationConfigs": [
                    "arn:aws:firehose:us-east-1:123456789012:deliverystream/aws-waf-logs-sweep"
                ],
            }
        },
        "PutPermissionPolicy": lambda: {"ResourceArn": group["ARN"], "Policy": _policy()},
        "TagResource": lambda: {"ResourceARN": ctx["sweep-ips"]["ARN"], "Tags": [{"Key": "k", "Value": "v"}]},
        "UntagResource": lambda: {"ResourceARN": ctx["sweep-ips"]["ARN"], "TagKeys": ["k"]},
        "UpdateIPSet": lambda: {**_bare(ips()), "Addresses": ["192.0.2.2/32"]},
        "UpdateRegexPatternSet": lambda: {**_bare(regex()), "RegularExpressionList": [{"RegexString": "b+"}]},
        "UpdateRuleGroup": lambda: {**_bare(rules()), "VisibilityConfig": VIS, "Rules": [RULE]},
        "UpdateWebACL": lambda: _update_acl(web()),
    }
    build = table.get(op)
    return {**scope_only(op, ctx), **(build() if build is not None else {})}


def scope_only(op: str, ctx: dict[str, Any]) -> dict[str, Any]:
    """The shape's first Scope value is CLOUDFRONT; wafproxy serves REGIONAL."""
    return {"Scope": "REGIONAL"} if "Scope" in _members(op) else {}


def _members(op: str) -> list[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("wafv2").operation_model(op)
    return list(model.input_shape.members) if model.input_shape is not None else []


def _update_acl(named: dict[str, Any]) -> dict[str, Any]:
    doc = named["_doc"]
    keep = ("DefaultAction", "VisibilityConfig", "Rules")
    return {**_bare(named), **{k: doc[k] for k in keep if k in doc}}
