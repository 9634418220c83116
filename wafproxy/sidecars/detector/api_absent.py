"""GuardDuty's operations over resources a proxy does not have: malware protection (S3 plans, EBS
and object scans), custom detection rules, AI-analyst investigations.

Listings answer what GuardDuty answers an account without any: empty. A call naming one (a plan,
scan, rule, association or investigation id) is ResourceNotFoundException (BadRequestException
where the operation models no ResourceNotFoundException). Starting one is refused with the
modeled error and the reason: wafproxy has no S3 bucket, EC2 instance or EBS volume to scan
and no AI analyst. The one thing kept is the malware scan settings (``UpdateMalwareScanSettings``:
GuardDuty accepts them whether or not anything is ever scanned), in the resources document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.errors import AwsError
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.detector.api_members import refusal
from wafproxy.sidecars.detector.criteria import bad_request

if TYPE_CHECKING:
    from wafproxy.sidecars.detector.api import GuardDutyApi

Table = dict[str, tuple[str, str, Callable[..., Any]]]
NO_SCAN_TARGETS = (
    "wafproxy has no S3 bucket, EC2 instance or EBS volume for GuardDuty Malware Protection "
    "to scan: it watches the requests it proxies."
)
NO_ANALYST = (
    "wafproxy has no AI analyst: investigations are not available (see GetFindings for its findings)."
)
_PRESERVATION = ("NO_RETENTION", "RETENTION_WITH_FINDING")


def not_found(what: str, ident: str) -> AwsError:
    return AwsError(
        "ResourceNotFoundException",
        f"The request is rejected because the {what} {ident[:128]} does not exist.",
        status=404,
    )


def _criteria(raw: Any) -> dict[str, Any]:
    """ScanResourceCriteria: Include / Exclude → {EC2_INSTANCE_TAG: {mapEquals: [{key, value}]}}."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or set(raw) - {"include", "exclude"}:
        raise bad_request("scanResourceCriteria has include and/or exclude")
    for side in raw.values():
        if (
            not isinstance(side, dict)
            or set(side) - {"EC2_INSTANCE_TAG"}
            or not all(
                isinstance(c, dict)
                and isinstance(c.get("mapEquals"), list)
                and len(c["mapEquals"]) <= 50
                and all(isinstance(kv, dict) and isinstance(kv.get("key"), str) for kv in c["mapEquals"])
                for c in side.values()
            )
        ):
            raise bad_request("scanResourceCriteria: EC2_INSTANCE_TAG → mapEquals [{key, value}]")
    return raw


def routes(api: GuardDutyApi) -> Table:
    res = api.resources

    def empty(member: str) -> Callable[[CallContext, Params], Mapping[str, Any]]:
        def handler(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            api.check(ctx, p)
            chunk, token = api.page([], p, ctx)
            return {member: chunk, **({"nextToken": token} if token else {})}

        return handler

    def missing(what: str, member: str) -> Callable[[CallContext, Params], Mapping[str, Any]]:
        def handler(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            api.check(ctx, p)
            raise not_found(what, p.str(member, max_len=300))

        return handler

    def refused(message: str) -> Callable[[CallContext, Params], Mapping[str, Any]]:
        return refusal(api, message)

    def get_settings(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        kept = res.malware_settings
        out: dict[str, Any] = {"ebsSnapshotPreservation": kept.get("ebsSnapshotPreservation", "NO_RETENTION")}
        if kept.get("scanResourceCriteria"):
            out["scanResourceCriteria"] = kept["scanResourceCriteria"]
        return out

    def update_settings(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        preservation = p.str("ebsSnapshotPreservation", required=False, max_len=32)
        if preservation is not None and preservation not in _PRESERVATION:
            raise bad_request(f"ebsSnapshotPreservation must be one of {', '.join(_PRESERVATION)}")
        criteria = _criteria(p.raw("scanResourceCriteria")) if p.has("scanResourceCriteria") else None
        if preservation is not None:
            res.malware_settings["ebsSnapshotPreservation"] = preservation
        if criteria is not None:
            res.malware_settings["scanResourceCriteria"] = criteria
        res.changed()
        return {}

    rule = "/custom-detection-rule"
    plan = "/malware-protection-plan"
    return {
        "CreateMalwareProtectionPlan": ("POST", plan, refused(NO_SCAN_TARGETS)),
        "ListMalwareProtectionPlans": ("GET", plan, empty("malwareProtectionPlans")),
        "GetMalwareProtectionPlan": (
            "GET",
            f"{plan}/{{MalwareProtectionPlanId}}",
            missing("malware protection plan", "MalwareProtectionPlanId"),
        ),
        "UpdateMalwareProtectionPlan": (
            "PATCH",
            f"{plan}/{{MalwareProtectionPlanId}}",
            missing("malware protection plan", "MalwareProtectionPlanId"),
        ),
        "DeleteMalwareProtectionPlan": (
            "DELETE",
            f"{plan}/{{MalwareProtectionPlanId}}",
            missing("malware protection plan", "MalwareProtectionPlanId"),
        ),
        "StartMalwareScan": ("POST", "/malware-scan/start", refused(NO_SCAN_TARGETS)),
        "SendObjectMalwareScan": ("POST", "/object-malware-scan/send", refused(NO_SCAN_TARGETS)),
        "ListMalwareScans": ("POST", "/malware-scan", empty("scans")),
        "GetMalwareScan": ("GET", "/malware-scan/{ScanId}", missing("malware scan", "ScanId")),
        "DescribeMalwareScans": ("POST", "/detector/{DetectorId}/malware-scans", empty("scans")),
        "GetMalwareScanSettings": ("GET", "/detector/{DetectorId}/malware-scan-settings", get_settings),
        "UpdateMalwareScanSettings": (
            "POST",
            "/detector/{DetectorId}/malware-scan-settings",
            update_settings,
        ),
        "ListCustomDetectionRules": ("POST", f"{rule}/rule", empty("rules")),
        "GetCustomDetectionRule": (
            "GET",
            f"{rule}/rule/{{RuleId}}",
            missing("custom detection rule", "RuleId"),
        ),
        "ListCustomDetectionRuleAssociations": ("GET", f"{rule}/association", empty("ruleAssociations")),
        "CreateCustomDetectionRuleAssociation": (
            "POST",
            f"{rule}/association",
            missing("custom detection rule", "ruleId"),
        ),
        "GetCustomDetectionRuleAssociation": (
            "GET",
            f"{rule}/rule/{{RuleId}}/association/{{AssociationId}}",
            missing("custom detection rule", "RuleId"),
        ),
        "UpdateCustomDetectionRuleAssociation": (
            "PUT",
            f"{rule}/rule/{{RuleId}}/association/{{AssociationId}}",
            missing("custom detection rule", "RuleId"),
        ),
        "DeleteCustomDetectionRuleAssociation": (
            "DELETE",
            f"{rule}/rule/{{RuleId}}/association/{{AssociationId}}",
            missing("custom detection rule", "RuleId"),
        ),
        "ListCustomDetectionRuleOrgConfigurations": (
            "GET",
            f"{rule}/org-configuration",
            empty("configurations"),
        ),
        "CreateCustomDetectionRuleOrgConfiguration": (
            "POST",
            f"{rule}/org-configuration",
            missing("custom detection rule", "ruleId"),
        ),
        "GetCustomDetectionRuleOrgConfiguration": (
            "GET",
            f"{rule}/org-configuration/{{RuleId}}",
            missing("custom detection rule", "RuleId"),
        ),
        "UpdateCustomDetectionRuleOrgConfiguration": (
            "PUT",
            f"{rule}/org-configuration/{{RuleId}}",
            missing("custom detection rule", "RuleId"),
        ),
        "DeleteCustomDetectionRuleOrgConfiguration": (
            "DELETE",
            f"{rule}/org-configuration/{{RuleId}}",
            missing("custom detection rule", "RuleId"),
        ),
        "CreateInvestigation": ("POST", "/detector/{DetectorId}/investigation", refused(NO_ANALYST)),
        "ListInvestigations": ("POST", "/detector/{DetectorId}/investigation/list", empty("investigations")),
        "GetInvestigation": (
            "GET",
            "/detector/{DetectorId}/investigation/{InvestigationId}",
            missing("investigation", "InvestigationId"),
        ),
        "ListInvestigationRecords": (
            "POST",
            "/detector/{DetectorId}/investigation/records",
            missing("investigation", "investigationId"),
        ),
    }
