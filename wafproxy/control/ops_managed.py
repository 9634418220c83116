"""Managed products and versions, from the managed rule groups wafproxy ships, and the managed
rule set (vendor) operations.

The shipped groups are the ones ``Compiler.managed`` loads (``aclfiles.MANAGED_DIR``, which
``shipped.py`` locates: the one place that knows where they live), the same ones
ListAvailableManagedRuleGroups and DescribeManagedRuleGroup describe:

- DescribeAllManagedProducts / DescribeManagedProductsByVendor: one ``ManagedProductDescriptor``
  per shipped group (a vendor with none: an empty list, as AWS answers);
- ListAvailableManagedRuleGroupVersions: the shipped groups are not versioned (their
  ``VersioningSupported`` is false), so a known group has no versions and no default version, as
  AWS answers for an unversioned group; an unknown one is WAFNonexistentItemException.

The managed rule set operations are for vendors selling managed groups (AWS, Marketplace
sellers): this account owns none, so ListManagedRuleSets is empty and Get/PutManagedRuleSetVersions
/UpdateManagedRuleSetVersionExpiryDate name a rule set that does not exist
(WAFNonexistentItemException).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.control import errors
from wafproxy.control.compiling import ManagedGroup
from wafproxy.control.plane_util import paginate

if TYPE_CHECKING:
    from wafproxy.control.plane import ControlPlane
    from wafproxy.control.wire import AsyncHandler


def descriptor(group: ManagedGroup) -> dict[str, Any]:
    """``ManagedProductDescriptor`` of a shipped group."""
    out: dict[str, Any] = {
        "VendorName": group.vendor,
        "ManagedRuleSetName": group.name,
        "ProductId": group.name,
        "ProductTitle": group.name,
        "IsVersioningSupported": False,
        "IsAdvancedManagedRuleSet": False,
    }
    if group.description:
        out["ProductDescription"] = group.description
    return out


def operations(plane: ControlPlane) -> dict[str, AsyncHandler]:
    from wafproxy.control.plane import check_scope

    def shipped() -> tuple[ManagedGroup, ...]:
        return plane.reloader.compiler.managed

    async def describe_all(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        plane.authorize(ctx, "*")
        return {"ManagedProducts": [descriptor(g) for g in shipped()]}

    async def by_vendor(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        vendor = p.str("VendorName", max_len=128)
        plane.authorize(ctx, "*")
        return {"ManagedProducts": [descriptor(g) for g in shipped() if g.vendor == vendor]}

    async def versions(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        vendor, name = p.str("VendorName", max_len=128), p.str("Name", max_len=128)
        plane.authorize(ctx, "*")
        if not any((g.vendor, g.name) == (vendor, name) for g in shipped()):
            raise errors.nonexistent(f"managed rule group {vendor[:128]}/{name[:128]}")
        page, marker = paginate([], p, f"{ctx.operation}/{vendor}/{name}")
        return {**({"NextMarker": marker} if marker else {}), "Versions": page}

    async def list_sets(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        plane.authorize(ctx, "*")
        page, marker = paginate([], p, ctx.operation)
        return {**({"NextMarker": marker} if marker else {}), "ManagedRuleSets": page}

    async def no_such_set(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        name, rid = p.str("Name", max_len=128), p.str("Id", max_len=36)
        plane.authorize(
            ctx,
            f"arn:aws:wafv2:{plane.reloader.names.region}:{plane.reloader.names.account}"
            f":regional/managedruleset/{name}/{rid}",
        )
        raise errors.nonexistent(f"managed rule set {name} (this account sells no managed rule sets)")

    return {
        "DescribeAllManagedProducts": describe_all,
        "DescribeManagedProductsByVendor": by_vendor,
        "ListAvailableManagedRuleGroupVersions": versions,
        "ListManagedRuleSets": list_sets,
        "GetManagedRuleSet": no_such_set,
        "PutManagedRuleSetVersions": no_such_set,
        "UpdateManagedRuleSetVersionExpiryDate": no_such_set,
    }
