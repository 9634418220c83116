"""Web ACL operations: List/Get/UpdateWebACL, CheckCapacity, sampled requests, rate-based keys,
and the managed rule groups shipped in ``rules/managed/``.

``CheckCapacity`` compiles the rules in a throwaway web ACL and returns the engine's WCU estimate
(the sum of each rule's cost as the compiler prices statements, text transformations and
referenced groups — see docs/control-plane.md); it is an estimate of AWS's pricing, not a limit.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.control import errors
from wafproxy.control.plane_util import paginate, synthetic_acl
from wafproxy.control.wireforms import from_wire, qualify_refs, to_wire
from wafproxy.engine.errors import WebAclError

if TYPE_CHECKING:
    from wafproxy.control.plane import ControlPlane
    from wafproxy.control.wire import AsyncHandler

# The members UpdateWebACL replaces (AWS: the request is the complete new configuration).
UPDATABLE = (
    "DefaultAction",
    "Description",
    "Rules",
    "VisibilityConfig",
    "DataProtectionConfig",
    "CustomResponseBodies",
    "CaptchaConfig",
    "ChallengeConfig",
    "TokenDomains",
    "AssociationConfig",
    "OnSourceDDoSProtectionConfig",
    "ApplicationConfig",
    "MonetizationConfig",
    "AnalyticsConfig",
)
MAX_SAMPLES = 500  # AWS: MaxItems 1..500
MAX_WINDOW_SECONDS = 3 * 3600  # AWS: the time window must be within the previous three hours


def _time(value: Any, member: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return (
                float(value)
                if value.replace(".", "", 1).isdigit()
                else datetime.fromisoformat(value).timestamp()
            )
        except ValueError:
            pass
    raise errors.invalid("ENTITY_LIMIT", member, "must be a timestamp")


def acl_shape(plane: ControlPlane) -> dict[str, Any]:
    """The served web ACL as GetWebACL (and GetWebACLForResource) answer it."""
    res = plane.store.web_acl
    compiled = plane.reloader.current
    return {
        # Tags live in the document (ops_tags) but are no member of the WebACL shape: ListTagsForResource.
        **qualify_refs(to_wire({k: v for k, v in res.document.items() if k != "Tags"}), plane.arn_of),
        "Capacity": compiled.capacity,
        "LabelNamespace": compiled.label_namespace,
    }


def operations(plane: ControlPlane) -> dict[str, AsyncHandler]:
    from wafproxy.control.plane import check_scope

    async def list_web_acls(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        plane.authorize(ctx, plane.reloader.names.arn_pattern("webacl"))
        items, marker = paginate([r.summary() for r in plane.store.all("webacl")], p, ctx.operation)
        return {**({"NextMarker": marker} if marker else {}), "WebACLs": items}

    async def get_web_acl(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        res = plane.lookup("webacl", p)
        plane.authorize(ctx, res.arn)
        return {"WebACL": acl_shape(plane), "LockToken": res.lock_token}

    async def update_web_acl(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        async with plane.reloader.lock:
            res = plane.lookup("webacl", p)
            plane.authorize(ctx, res.arn)
            plane.check_token(res, p)
            doc = {k: v for k, v in res.document.items() if k not in UPDATABLE}
            doc.update({k: from_wire(p.raw(k)) for k in UPDATABLE if p.raw(k) is not None})
            new = plane.new_version(res, doc)
            await plane.change(put=[new], reason="UpdateWebACL")
        return {"NextLockToken": new.lock_token}

    async def check_capacity(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        plane.authorize(ctx, "*")
        rules = p.raw("Rules")
        if not isinstance(rules, list):
            raise errors.invalid("RULE", "Rules", "must be a list of rules")
        acl = synthetic_acl(plane, from_wire(rules))
        try:
            compiled = await asyncio.to_thread(
                plane.reloader.compiler.compile,
                acl,
                plane.store.all(),
                plane.store.temp,
                plane.reloader.clock(),
            )
        except WebAclError as exc:
            raise errors.invalid("RULE", exc.path, exc.reason) from None
        return {"Capacity": compiled.capacity}

    async def get_sampled_requests(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        from wafproxy.control.sampler import rule_key

        check_scope(p)
        arn = p.str("WebAclArn", max_len=2048)
        res = plane.store.by_arn(arn)
        if res is None or res.kind != "webacl":
            raise errors.nonexistent(arn)
        plane.authorize(ctx, res.arn)
        metric = p.str("RuleMetricName", max_len=255)
        max_items = p.int("MaxItems", lo=1, hi=MAX_SAMPLES)
        window = p.raw("TimeWindow")
        if not isinstance(window, dict):
            raise errors.invalid("ENTITY_LIMIT", "TimeWindow", "must have StartTime and EndTime")
        start = _time(window.get("StartTime"), "TimeWindow.StartTime")
        end = _time(window.get("EndTime"), "TimeWindow.EndTime")
        now = plane.reloader.clock()
        if end < start or start < now - MAX_WINDOW_SECONDS - 300:
            raise errors.invalid("ENTITY_LIMIT", "TimeWindow", "must lie within the previous three hours")
        key = rule_key(metric, res.document)
        if key is None:
            raise errors.invalid("METRIC_NAME", "RuleMetricName", f"no rule with metric name {metric}")
        samples, population = plane.sampler.samples(key, start, end, max_items)
        return {
            "SampledRequests": [s.to_shape() for s in samples],
            "PopulationSize": population,
            "TimeWindow": {"StartTime": start, "EndTime": end},
        }

    async def rate_keys(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        acl = plane.store.web_acl
        name, rid = p.str("WebACLName", max_len=128), p.str("WebACLId", max_len=36)
        if name != acl.name or rid != acl.id:
            raise errors.nonexistent(f"WEB_ACL {name}")
        plane.authorize(ctx, acl.arn)
        rule = p.str("RuleName", max_len=128)
        group = p.str("RuleGroupRuleName", required=False, max_len=128)
        if group is None:
            match = [r for r in plane.reloader.current.rules if r.name == rule]
            if not match:
                raise errors.nonexistent(f"RULE {rule}")
            if match[0].rate is None:
                raise errors.invalid("RULE", "RuleName", f"{rule} is not a rate-based rule")
        rule_id = f"{acl.name}/{group}/{rule}" if group else f"{acl.name}/{rule}"
        keys: list[str] = []
        if plane.rate_store is not None:
            got = plane.rate_store.limited_keys(rule_id, plane.reloader.clock())
            keys = list(await got) if inspect.isawaitable(got) else list(got)
        v4: list[str] = []
        v6: list[str] = []
        for key in keys:
            try:
                net = ipaddress.ip_network(key, strict=False)
            except ValueError:
                continue  # custom aggregate keys are not addresses; AWS lists only IP keys here
            (v4 if net.version == 4 else v6).append(str(net))
        return {
            "ManagedKeysIPV4": {"IPAddressVersion": "IPV4", "Addresses": sorted(v4)},
            "ManagedKeysIPV6": {"IPAddressVersion": "IPV6", "Addresses": sorted(v6)},
        }

    async def list_managed(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        plane.authorize(ctx, "*")
        items, marker = paginate(
            [
                {
                    "VendorName": g.vendor,
                    "Name": g.name,
                    "VersioningSupported": False,
                    "Description": g.description,
                }
                for g in plane.reloader.compiler.managed
            ],
            p,
            ctx.operation,
        )
        return {**({"NextMarker": marker} if marker else {}), "ManagedRuleGroups": items}

    async def describe_managed(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        plane.authorize(ctx, "*")
        vendor, name = p.str("VendorName", max_len=128), p.str("Name", max_len=128)
        group = next(
            (g for g in plane.reloader.compiler.managed if (g.vendor, g.name) == (vendor, name)), None
        )
        if group is None:
            raise errors.nonexistent(f"managed rule group {vendor}/{name}")
        rules = group.document.get("Rules") or []
        labels = sorted(
            {lbl.get("Name") for r in rules for lbl in (r.get("RuleLabels") or []) if lbl.get("Name")}
        )
        namespace = group.group.label_namespace or f"awswaf:managed:{vendor.lower()}:{name.lower()}:"
        out: dict[str, Any] = {
            "Rules": [{"Name": r.get("Name"), "Action": r.get("Action") or {}} for r in rules],
            "LabelNamespace": namespace,
            "AvailableLabels": [{"Name": namespace + lbl} for lbl in labels],
        }
        if group.group.capacity is not None:
            out["Capacity"] = group.group.capacity
        if group.group.version:
            out["VersionName"] = group.group.version
        return out

    return {
        "ListWebACLs": list_web_acls,
        "GetWebACL": get_web_acl,
        "UpdateWebACL": update_web_acl,
        "CheckCapacity": check_capacity,
        "GetSampledRequests": get_sampled_requests,
        "GetRateBasedStatementManagedKeys": rate_keys,
        "ListAvailableManagedRuleGroups": list_managed,
        "DescribeManagedRuleGroup": describe_managed,
    }
