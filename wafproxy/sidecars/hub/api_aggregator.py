"""Security Hub's cross-Region aggregation (finding aggregators) for a hub that has one Region.

An account may have one finding aggregator; its Region is the aggregation Region (here always the
hub's own) and ``RegionLinkingMode`` says which other Regions feed it. A wafproxy hub is one
process in one Region, so linked Regions contribute no findings — but the aggregator is a real,
kept resource (store ``meta``, survives a restart) with Security Hub's rules: the modes
``ALL_REGIONS``, ``ALL_REGIONS_EXCEPT_SPECIFIED``, ``SPECIFIED_REGIONS`` (``Regions`` required,
without the aggregation Region) and ``NO_REGIONS`` (no ``Regions``); a second aggregator is
``LimitExceededException``; an unknown ARN ``ResourceNotFoundException``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params

if TYPE_CHECKING:
    from wafproxy.sidecars.hub.api import HubApi

META_KEY = "finding_aggregator"
MODES = ("ALL_REGIONS", "ALL_REGIONS_EXCEPT_SPECIFIED", "SPECIFIED_REGIONS", "NO_REGIONS")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")  # anchored by fullmatch; no nested quantifiers


def routes(api: HubApi) -> dict[str, tuple[str, str, Callable[..., Any]]]:
    hub = api.hub

    def current() -> dict[str, Any] | None:
        raw = hub.store.meta(META_KEY)
        return json.loads(raw) if raw else None

    def linking(p: Params) -> dict[str, Any]:
        mode = p.str("RegionLinkingMode", max_len=64)
        if mode not in MODES:
            raise validation(f"RegionLinkingMode must be one of {', '.join(MODES)}", path="RegionLinkingMode")
        regions = p.str_list("Regions", max_items=64)
        if mode in ("ALL_REGIONS_EXCEPT_SPECIFIED", "SPECIFIED_REGIONS") and not regions:
            raise validation(f"{mode} needs Regions", path="Regions")
        if mode in ("ALL_REGIONS", "NO_REGIONS") and regions:
            raise validation(f"{mode} takes no Regions", path="Regions")
        for region in regions:
            if not _REGION.fullmatch(region[:32]):
                raise validation(f"{region[:32]} is not a Region", path="Regions")
            if region == hub.region:
                raise validation(f"{region} is the aggregation Region: it cannot be linked", path="Regions")
        return {
            "FindingAggregationRegion": hub.region,
            "RegionLinkingMode": mode,
            **({"Regions": list(dict.fromkeys(regions))} if regions else {}),
        }

    def named(p: Params, ctx: CallContext) -> dict[str, Any]:
        arn = p.str("FindingAggregatorArn", max_len=512)
        api.authorize(ctx, arn)
        found = current()
        if found is None or found["FindingAggregatorArn"] != arn:
            raise AwsError(
                "ResourceNotFoundException", f"Finding aggregator {arn[:256]} not found", status=404
            )
        return found

    def create(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        if current() is not None:
            raise AwsError(
                "LimitExceededException", "An account has at most one finding aggregator", status=429
            )
        arn = f"arn:aws:securityhub:{hub.region}:{hub.account}:finding-aggregator/{uuid.uuid4()}"
        doc = {"FindingAggregatorArn": arn, **linking(p)}
        hub.store.set_meta(META_KEY, json.dumps(doc))
        return doc

    def get(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        return named(p, ctx)

    def update(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        doc = {"FindingAggregatorArn": named(p, ctx)["FindingAggregatorArn"], **linking(p)}
        hub.store.set_meta(META_KEY, json.dumps(doc))
        return doc

    def delete(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        named(p, ctx)
        hub.store.set_meta(META_KEY, "")
        return {}

    def listed(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        found = current()
        return api.paged(
            ctx,
            p,
            "FindingAggregators",
            [{"FindingAggregatorArn": found["FindingAggregatorArn"]}] if found else [],
        )

    return {
        "CreateFindingAggregator": ("POST", "/findingAggregator/create", create),
        "GetFindingAggregator": ("GET", "/findingAggregator/get/{FindingAggregatorArn+}", get),
        "UpdateFindingAggregator": ("PATCH", "/findingAggregator/update", update),
        "DeleteFindingAggregator": ("DELETE", "/findingAggregator/delete/{FindingAggregatorArn+}", delete),
        "ListFindingAggregators": ("GET", "/findingAggregator/list", listed),
    }
