"""Security Hub's product integrations: DescribeProducts, ListEnabledProductsForImport,
EnableImportFindingsForProduct, DisableImportFindingsForProduct.

The products are the hub's own producers (``builder.product_arn``: the WAF, the KMS, the detector's
and the assessor's converters, the hub's controls and correlation) and the account's ``default``
product, under which a user's own BatchImportFindings go (as in AWS). All are enabled for import
at first; DisableImportFindingsForProduct turns one off (kept in the account settings): its
findings — a producer's or a user's — are then refused (``FailedFindings``, ``AccessDenied``)
until EnableImportFindingsForProduct turns it on again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.errors import AwsError, validation
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

    mine = f"{api.hub.account}:product/"
    settings = api.account.settings

    def subscription(product_arn: str) -> str:
        return product_arn.replace(mine, f"{api.hub.account}:product-subscription/", 1)

    def enabled(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        subscriptions = [subscription(f["ProductArn"]) for f in products(api)
                         if f["ProductArn"] not in settings.disabled_products]
        return api.paged(ctx, p, "ProductSubscriptions", subscriptions)

    def enable(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        arn = p.str("ProductArn", max_len=512)
        if arn not in {f["ProductArn"] for f in products(api)}:
            raise validation(f"Product {arn[:256]} is not one of this hub's products", path="ProductArn")
        if arn not in settings.disabled_products:
            raise AwsError("ResourceConflictException", f"Import from {arn[:256]} is already enabled",
                           status=409)
        settings.disabled_products.remove(arn)
        api.account.changed()
        return {"ProductSubscriptionArn": subscription(arn)}

    def disable(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        arn = p.str("ProductSubscriptionArn", max_len=512)
        api.authorize(ctx, arn)
        by_subscription = {subscription(f["ProductArn"]): f["ProductArn"] for f in products(api)}
        product = by_subscription.get(arn)
        if product is None or product in settings.disabled_products:
            raise AwsError("ResourceNotFoundException", f"Product subscription {arn[:256]} not found",
                           status=404)
        settings.disabled_products.append(product)
        api.account.changed()
        return {}

    return {
        "DescribeProducts": ("GET", "/products", describe),
        "ListEnabledProductsForImport": ("GET", "/productSubscriptions", enabled),
        "EnableImportFindingsForProduct": ("POST", "/productSubscriptions", enable),
        "DisableImportFindingsForProduct": (
            "DELETE", "/productSubscriptions/{ProductSubscriptionArn+}", disable),
    }
