"""Security Hub's product integrations: DescribeProducts and ListEnabledProductsForImport.

The products are the hub's own producers (``builder.product_arn``: the WAF, the KMS, the detector's
and the assessor's converters, the hub's controls and correlation) and the account's ``default``
product, under which a user's own BatchImportFindings go (as in AWS). Every one is enabled for
import and cannot be disabled, so both lists are the same products; nothing here is state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.errors import validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.hub import controls, convert_guardduty, convert_inspector, kms_findings, waf_findings
from wafproxy.sidecars.hub.builder import COMPANY

if TYPE_CHECKING:
    from wafproxy.sidecars.hub.api import HubApi

_SENDS = ["SEND_FINDINGS_TO_SECURITY_HUB"]
# (product, name, description, categories)
_PRODUCERS = (
    (waf_findings.PRODUCT, waf_findings.PRODUCT_NAME, "Blocked requests per rule, client and 5 minutes; "
     "block-rate jumps of managed rule groups.", ["Web Application Firewall (WAF)"]),
    (kms_findings.PRODUCT, kms_findings.PRODUCT_NAME, "Key lifecycle and key policy findings of the "
     "in-process KMS.", ["Encryption"]),
    (convert_guardduty.PRODUCT, convert_guardduty.PRODUCT_NAME, "The threat detector's GuardDuty-shaped "
     "findings.", ["Intrusion Detection Systems (IDS)"]),
    (convert_inspector.PRODUCT, convert_inspector.PRODUCT_NAME, "The assessor's Inspector-shaped findings "
     "about the proxy's endpoints.", ["Vulnerability Assessment"]),
    (controls.PRODUCT, controls.PRODUCT_NAME, "Controls of the wafproxy Foundational standard and "
     "correlated findings.", ["Compliance"]),
)


def products(api: HubApi) -> list[dict[str, Any]]:
    hub = api.hub
    out = [{"ProductArn": hub.product_arn(p), "ProductName": name, "CompanyName": COMPANY,
            "Description": text, "Categories": categories, "IntegrationTypes": _SENDS}
           for p, name, text, categories in _PRODUCERS]
    out.append({"ProductArn": f"arn:aws:securityhub:{hub.region}:{hub.account}:product/{hub.account}/default",
                "ProductName": "Default", "CompanyName": "Personal",
                "Description": "Findings you import yourself with BatchImportFindings.",
                "IntegrationTypes": _SENDS})
    return out


def routes(api: HubApi) -> dict[str, tuple[str, str, Callable[..., Any]]]:
    def describe(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        found = products(api)
        asked = p.str("ProductArn", required=False, max_len=512)
        if asked is not None:
            found = [f for f in found if f["ProductArn"] == asked]
            if not found:
                raise validation(f"Product {asked[:256]} is not one of this hub's products",
                                 path="ProductArn")
        return api.paged(ctx, p, "Products", found)

    def enabled(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        mine = f"{api.hub.account}:product/"
        subscriptions = [f["ProductArn"].replace(mine, f"{api.hub.account}:product-subscription/")
                         for f in products(api)]
        return api.paged(ctx, p, "ProductSubscriptions", subscriptions)

    return {
        "DescribeProducts": ("GET", "/products", describe),
        "ListEnabledProductsForImport": ("GET", "/productSubscriptions", enabled),
    }
