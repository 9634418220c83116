"""Security Hub's control operations over the hub's own controls (``controls.CATALOG``, the one
standard "wafproxy Foundational", ``standards.py``).

Standards controls (DescribeStandardsControls, UpdateStandardsControl) and security controls
(BatchGetSecurityControls, ListSecurityControlDefinitions, GetSecurityControlDefinition,
BatchGet/BatchUpdateStandardsControlAssociations, ListStandardsControlAssociations,
UpdateSecurityControl) are two views of the same nine controls: with one standard, a control's
association with it *is* the control's status. Disabling a control (kept in the account settings,
``HubAccount.set_control``) stops its evaluation and archives its finding, as Security Hub does;
enabling it files the next evaluation ACTIVE again. A reason is required to disable (Security
Hub's rule). The controls take no parameters, so UpdateSecurityControl answers
InvalidInputException for any parameter, naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.hub import standards
from wafproxy.sidecars.hub.controls import CATALOG, STANDARD

if TYPE_CHECKING:
    from wafproxy.sidecars.hub.api import HubApi

REMEDIATION_URL = "docs/hub.md#controls-and-score"  # the controls' table and their fixes
STATUSES = ("ENABLED", "DISABLED")


def routes(api: HubApi) -> dict[str, tuple[str, str, Callable[..., Any]]]:
    hub, account = api.hub, api.account
    prefix = f"arn:aws:securityhub:{hub.region}:{hub.account}"
    standard_arn = standards.standards_arn(hub.region)

    def control_arn(cid: str) -> str:
        return f"{prefix}:control/{STANDARD}/{cid}"

    def security_arn(cid: str) -> str:
        return f"{prefix}:security-control/{cid}"

    def status(cid: str) -> str:
        return "DISABLED" if cid in account.settings.disabled_controls else "ENABLED"

    def changed_at(cid: str) -> dict[str, str]:
        at = account.settings.control_changed_at.get(cid)
        return {"UpdatedAt": at} if at else {}

    def definition(cid: str) -> dict[str, Any]:
        title, severity, description = CATALOG[cid]
        return {
            "SecurityControlId": cid,
            "Title": title,
            "Description": description,
            "RemediationUrl": REMEDIATION_URL,
            "SeverityRating": severity,
            "CurrentRegionAvailability": "AVAILABLE",
            "CustomizableProperties": [],
            "ParameterDefinitions": {},
        }

    def association(cid: str) -> dict[str, Any]:
        title, _, description = CATALOG[cid]
        reason = account.settings.disabled_controls.get(cid)
        return {
            "StandardsArn": standard_arn,
            "SecurityControlId": cid,
            "SecurityControlArn": security_arn(cid),
            "AssociationStatus": status(cid),
            "RelatedRequirements": [],
            **changed_at(cid),
            **({"UpdatedReason": reason} if reason else {}),
            "StandardsControlTitle": title,
            "StandardsControlDescription": description,
        }

    def set_status(cid: str, wanted: str, reason: str | None) -> None:
        if wanted not in STATUSES:
            raise validation(f"the status must be one of {', '.join(STATUSES)}")
        if wanted == "DISABLED" and not reason:
            raise validation("disabling a control needs a reason (DisabledReason / UpdatedReason)")
        account.set_control(cid, wanted == "ENABLED", reason if wanted == "DISABLED" else None)

    def subscribed(arn: str) -> None:
        if (
            arn != standards.subscription_arn(hub.region, hub.account)
            or not account.settings.standard_enabled
        ):
            raise AwsError(
                "ResourceNotFoundException", f"Standards subscription {arn[:256]} not found", status=404
            )

    def describe(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        arn = p.str("StandardsSubscriptionArn", max_len=512)
        api.authorize(ctx, arn)
        subscribed(arn)
        controls = []
        for cid, (title, severity, description) in CATALOG.items():
            at = account.settings.control_changed_at.get(cid) or account.settings.subscribed_at
            reason = account.settings.disabled_controls.get(cid)
            controls.append(
                {
                    "StandardsControlArn": control_arn(cid),
                    "ControlStatus": status(cid),
                    **({"DisabledReason": reason} if reason else {}),
                    "ControlStatusUpdatedAt": at,
                    "ControlId": cid,
                    "Title": title,
                    "Description": description,
                    "RemediationUrl": REMEDIATION_URL,
                    "SeverityRating": severity,
                    "RelatedRequirements": [],
                }
            )
        return api.paged(ctx, p, "Controls", controls)

    def update_standards_control(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        arn = p.str("StandardsControlArn", max_len=512)
        api.authorize(ctx, arn)
        cid = arn.rsplit("/", 1)[-1]
        if cid not in CATALOG or arn != control_arn(cid):
            raise AwsError(
                "ResourceNotFoundException", f"Standards control {arn[:256]} not found", status=404
            )
        wanted = p.str("ControlStatus", required=False, max_len=16) or status(cid)
        set_status(cid, wanted, p.str("DisabledReason", required=False, max_len=1024))
        return {}

    def batch_get(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        ids = p.str_list("SecurityControlIds", required=True, max_items=100)
        found = [
            {
                **{
                    k: v
                    for k, v in definition(cid).items()
                    if k in ("SecurityControlId", "Title", "Description", "RemediationUrl", "SeverityRating")
                },
                "SecurityControlArn": security_arn(cid),
                "SecurityControlStatus": status(cid),
                "UpdateStatus": "READY",
                "Parameters": {},
            }
            for cid in ids
            if cid in CATALOG
        ]
        missing = [
            {
                "SecurityControlId": cid[:128],
                "ErrorCode": "NOT_FOUND",
                "ErrorReason": "no such control in this hub's standard",
            }
            for cid in ids
            if cid not in CATALOG
        ]
        return {"SecurityControls": found, "UnprocessedIds": missing}

    def definitions(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        asked = p.str("StandardsArn", required=False, max_len=512)
        if asked is not None and asked != standard_arn:
            raise validation(
                f"Standard {asked[:256]} does not exist (this hub implements {standard_arn})",
                path="StandardsArn",
            )
        return api.paged(ctx, p, "SecurityControlDefinitions", [definition(c) for c in CATALOG])

    def known(cid: str) -> str:
        if cid not in CATALOG:
            raise AwsError("ResourceNotFoundException", f"Security control {cid[:128]} not found", status=404)
        return cid

    def get_definition(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        return {"SecurityControlDefinition": definition(known(p.str("SecurityControlId", max_len=128)))}

    def unprocessed_reason(ident: Mapping[str, Any]) -> str | None:
        if ident.get("StandardsArn") != standard_arn:
            return f"standard {str(ident.get('StandardsArn'))[:256]} does not exist"
        if ident.get("SecurityControlId") not in CATALOG:
            return f"no control {str(ident.get('SecurityControlId'))[:128]} in this standard"
        return None

    def batch_get_associations(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        idents = p.list_of_dicts("StandardsControlAssociationIds", max_items=100)
        found, missing = [], []
        for ident in idents:
            why = unprocessed_reason(ident)
            if why is None:
                found.append(
                    {
                        **association(ident["SecurityControlId"]),
                        "StandardsControlArns": [control_arn(ident["SecurityControlId"])],
                    }
                )
            else:
                missing.append(
                    {
                        "StandardsControlAssociationId": {
                            "SecurityControlId": str(ident.get("SecurityControlId"))[:128],
                            "StandardsArn": str(ident.get("StandardsArn"))[:512],
                        },
                        "ErrorCode": "NOT_FOUND",
                        "ErrorReason": why,
                    }
                )
        return {"StandardsControlAssociationDetails": found, "UnprocessedAssociations": missing}

    def batch_update_associations(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        updates = p.list_of_dicts("StandardsControlAssociationUpdates", max_items=100)
        failed = []
        for update in updates:
            wanted, reason = update.get("AssociationStatus"), update.get("UpdatedReason")
            why, code = unprocessed_reason(update), "NOT_FOUND"
            if why is None:
                code = "INVALID_INPUT"
                if wanted not in STATUSES:
                    why = f"AssociationStatus must be one of {', '.join(STATUSES)}"
                elif wanted == "DISABLED" and not (isinstance(reason, str) and reason):
                    why = "disabling a control needs an UpdatedReason"
            if why is not None:
                failed.append(
                    {
                        "StandardsControlAssociationUpdate": {
                            k: str(update.get(k))[:512]
                            for k in ("StandardsArn", "SecurityControlId", "AssociationStatus")
                        },
                        "ErrorCode": code,
                        "ErrorReason": why,
                    }
                )
                continue
            set_status(update["SecurityControlId"], str(wanted), reason if wanted == "DISABLED" else None)
        return {"UnprocessedAssociationUpdates": failed}

    def list_associations(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        cid = known(p.str("SecurityControlId", max_len=128))
        return api.paged(ctx, p, "StandardsControlAssociationSummaries", [association(cid)])

    def update_security_control(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, hub.arn)
        cid = known(p.str("SecurityControlId", max_len=128))
        given = p.raw("Parameters")
        if not isinstance(given, dict):
            raise validation("Parameters must be a map", path="Parameters")
        named = sorted(given)[0][:64] if given else "any parameter"
        raise validation(
            f"control {cid} has no customizable parameters: {named} cannot be set", path="Parameters"
        )

    return {
        "DescribeStandardsControls": ("GET", "/standards/controls/{StandardsSubscriptionArn+}", describe),
        "UpdateStandardsControl": (
            "PATCH",
            "/standards/control/{StandardsControlArn+}",
            update_standards_control,
        ),
        "BatchGetSecurityControls": ("POST", "/securityControls/batchGet", batch_get),
        "ListSecurityControlDefinitions": ("GET", "/securityControls/definitions", definitions),
        "GetSecurityControlDefinition": ("GET", "/securityControl/definition", get_definition),
        "BatchGetStandardsControlAssociations": ("POST", "/associations/batchGet", batch_get_associations),
        "BatchUpdateStandardsControlAssociations": ("PATCH", "/associations", batch_update_associations),
        "ListStandardsControlAssociations": ("GET", "/associations", list_associations),
        "UpdateSecurityControl": ("PATCH", "/securityControl/update", update_security_control),
    }
