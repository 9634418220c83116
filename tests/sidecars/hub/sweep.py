"""Every operation of botocore's ``securityhub`` model, called through boto3 against a running hub.

For each operation the sweep builds minimal valid parameters from the input shape (required
members, plausible values, the ARNs and ids of resources created earlier in the sweep) and
classifies the answer:

* ``served``: a 2xx whose parsed body fits the documented output shape (``awsshapes.strict``);
* ``modeled``: an error the operation's model declares (boto3 parsed its ``Code``);
* ``broken``: anything else — the hub's own ``UnknownOperationException``, an undeclared code, a
  500, a body boto3 cannot parse, or a success that does not fit the output shape.

Run it by hand (``python -m tests.sidecars.hub.sweep``) for the table; ``test_sweep.py`` asserts
that nothing is broken.
"""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from botocore.model import OperationModel, Shape

from tests.sidecars.hub.factory import ACCOUNT, PRODUCT, finding
from tests.sidecars.hub.stack import running_hub
from tests.support.awsshapes import ShapeMismatch, strict

REGION = "us-east-1"
HUB = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:hub/default"
SUBSCRIPTION = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:subscription/wafproxy-foundational/v/1.0.0"
STANDARD = f"arn:aws:securityhub:{REGION}::standards/wafproxy-foundational/v/1.0.0"

# Plausible values by member name (the model's strings carry no format beyond a pattern at most).
NAMED: dict[str, Any] = {
    "AccountId": "210987654321",
    "AccountIds": ["210987654321"],
    "AdminAccountId": "210987654321",
    "AdministratorId": "210987654321",
    "MasterId": "210987654321",
    "InvitationId": "invitation-1",
    "HubArn": HUB,
    "ResourceArn": HUB,
    "StandardsArn": STANDARD,
    "StandardsSubscriptionArn": SUBSCRIPTION,
    "StandardsSubscriptionArns": [SUBSCRIPTION],
    "ProductArn": PRODUCT,
    "SecurityControlId": "WAF.1",
    "SecurityControlIds": ["WAF.1"],
    "Name": "sweep",
    "RuleName": "sweep rule",
    "Description": "made by the sweep",
    "Id": "sweep-action",
    "GroupByAttribute": "SeverityLabel",
    "Region": REGION,
    "RegionLinkingMode": "SPECIFIED_REGIONS",
    "Regions": ["eu-west-1"],
    "FeatureName": "NETWORK_SCANNING",  # the enum's one value
    "TagKeys": ["team"],
    "Tags": {"team": "edge"},
    "ExportJobId": "export-1",
}


_PYTHON: dict[str, type] = {"string": str, "list": list, "map": dict}


def value_for(shape: Shape, name: str, context: dict[str, Any], depth: int = 0) -> Any:
    """A minimal valid value of ``shape`` for a member called ``name``."""
    if name in context:
        return context[name]
    if name in NAMED and depth < 8:
        wanted = NAMED[name]
        if shape.type_name == "list" and not isinstance(wanted, list):
            return [wanted]
        if isinstance(wanted, _PYTHON.get(shape.type_name, ())):
            return wanted
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:  # type: ignore[attr-defined]
            return {}
        members = shape.members  # type: ignore[attr-defined]
        required = list(shape.required_members)  # type: ignore[attr-defined]
        if not required and shape.metadata.get("union") and members:
            required = [next(iter(members))]
        return {m: value_for(members[m], m, context, depth + 1) for m in required if depth < 12}
    if kind == "list":
        return [value_for(shape.member, name, context, depth + 1)]  # type: ignore[attr-defined]
    if kind == "map":
        return {"key": value_for(shape.value, name, context, depth + 1)}  # type: ignore[attr-defined]
    if kind == "string":
        enum = shape.enum  # type: ignore[attr-defined]
        if enum:
            return enum[0]
        if name.endswith("Arn") or name.endswith("Arns"):
            return f"arn:aws:securityhub:{REGION}:{ACCOUNT}:sweep/{name}"
        return "x" * max(int(shape.metadata.get("min", 1)), 1)
    if kind in ("integer", "long"):
        return max(int(shape.metadata.get("min", 1)), 1)
    if kind in ("double", "float"):
        return 1.0
    if kind == "boolean":
        return False
    if kind == "timestamp":
        return datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    if kind == "blob":
        return b"x"
    return None


@dataclass
class Outcome:
    operation: str
    kind: str  # served | modeled | broken
    detail: str


# Operations whose minimal parameters are not enough to exercise them meaningfully.
def _overrides(context: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rule_criteria = {"SeverityLabel": [{"Value": "LOW", "Comparison": "EQUALS"}]}
    action = [
        {
            "Type": "FINDING_FIELDS_UPDATE",
            "FindingFieldsUpdate": {"Note": {"Text": "auto", "UpdatedBy": "sweep"}},
        }
    ]
    ident = {"Id": "test/finding/1", "ProductArn": PRODUCT}
    return {
        "BatchImportFindings": {"Findings": [finding(n) for n in range(4)]},
        "BatchUpdateFindings": {
            "FindingIdentifiers": [ident],
            "Note": {"Text": "seen", "UpdatedBy": "sweep"},
        },
        "GetFindingHistory": {"FindingIdentifier": ident},
        "CreateInsight": {"Name": "sweep insight", "Filters": {}, "GroupByAttribute": "SeverityLabel"},
        "CreateFindingAggregator": {"RegionLinkingMode": "SPECIFIED_REGIONS", "Regions": ["eu-west-1"]},
        "UpdateFindingAggregator": {
            "FindingAggregatorArn": context.get("FindingAggregatorArn", "arn:x"),
            "RegionLinkingMode": "ALL_REGIONS",
        },
        "UpdateFindings": {
            "Filters": {"Id": [{"Value": "test/finding/2", "Comparison": "EQUALS"}]},
            "RecordState": "ARCHIVED",
        },
        "CreateActionTarget": {"Name": "Send", "Description": "send to ops", "Id": "sendops"},
        "CreateAutomationRule": {
            "RuleOrder": 1,
            "RuleName": "sweep rule",
            "Description": "low notes",
            "Criteria": rule_criteria,
            "Actions": action,
        },
        "BatchUpdateAutomationRules": {
            "UpdateAutomationRulesRequestItems": [
                {"RuleArn": context.get("RuleArn", "arn:x"), "RuleStatus": "DISABLED"}
            ]
        },
        "UpdateStandardsControl": {
            "StandardsControlArn": context.get("StandardsControlArn", "arn:x"),
            "ControlStatus": "ENABLED",
        },
        "BatchUpdateStandardsControlAssociations": {
            "StandardsControlAssociationUpdates": [
                {"StandardsArn": STANDARD, "SecurityControlId": "WAF.1", "AssociationStatus": "ENABLED"}
            ]
        },
        "BatchGetStandardsControlAssociations": {
            "StandardsControlAssociationIds": [{"SecurityControlId": "WAF.1", "StandardsArn": STANDARD}]
        },
        "EnableImportFindingsForProduct": {"ProductArn": PRODUCT},
        "DisableImportFindingsForProduct": {
            "ProductSubscriptionArn": PRODUCT.replace("product/", "product-subscription/")
        },
        "BatchEnableStandards": {"StandardsSubscriptionRequests": [{"StandardsArn": STANDARD}]},
        "UpdateSecurityControl": {"SecurityControlId": "WAF.1", "Parameters": {}},
        "UntagResource": {"ResourceArn": HUB, "TagKeys": ["team"]},
        "TagResource": {"ResourceArn": HUB, "Tags": {"team": "edge"}},
    }


FIRST = (
    "BatchImportFindings",
    "CreateActionTarget",
    "CreateAutomationRule",
    "CreateInsight",
    "CreateFindingAggregator",
    "DescribeStandardsControls",
    "BatchUpdateFindings",
)
LAST = (
    "BatchDeleteAutomationRules",
    "DeleteActionTarget",
    "DeleteInsight",
    "DeleteFindingAggregator",
    "BatchDisableStandards",
    "DisableSecurityHubV2",
    "DisableSecurityHub",
    "EnableSecurityHub",
)
# Identifiers the sweep learns from answers, by output member name → the name later inputs use.
_LEARN: dict[str, Callable[[dict[str, Any]], Any]] = {
    "ActionTargetArn": lambda r: r.get("ActionTargetArn"),
    "RuleArn": lambda r: r.get("RuleArn"),
    "InsightArn": lambda r: r.get("InsightArn"),
    "FindingAggregatorArn": lambda r: r.get("FindingAggregatorArn"),
    "StandardsControlArn": lambda r: (r.get("Controls") or [{}])[0].get("StandardsControlArn"),
    "AutomationRulesArns": lambda r: [r["RuleArn"]] if r.get("RuleArn") else None,
}


def order(names: list[str]) -> list[str]:
    middle = [n for n in names if n not in FIRST and n not in LAST]
    return [n for n in FIRST if n in names] + sorted(middle) + [n for n in LAST if n in names]


def call(client: Any, model: OperationModel, context: dict[str, Any]) -> Outcome:
    name = model.name
    params = _overrides(context).get(name)
    if params is None:
        shape = model.input_shape
        params = value_for(shape, "", context) if shape is not None else {}
    method = getattr(client, _snake(client, name))
    declared = {s.name for s in model.error_shapes}
    try:
        answer = method(**params)
    except ShapeMismatch as exc:
        return Outcome(name, "broken", f"output shape: {str(exc)[:200]}")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
        message = exc.response.get("Error", {}).get("Message", "")[:160]
        if code in declared and status < 500:
            return Outcome(name, "modeled", f"{code} ({status}): {message}")
        return Outcome(name, "broken", f"{code or '?'} ({status}): {message}")
    except Exception as exc:  # noqa: BLE001 — an unparseable answer is what the sweep looks for
        return Outcome(name, "broken", f"{type(exc).__name__}: {str(exc)[:200]}")
    for member, learn in _LEARN.items():
        value = learn(answer)
        if value:
            context[member] = value
    return Outcome(name, "served", "")


def _snake(client: Any, operation: str) -> str:
    return {v: k for k, v in client.meta.method_to_api_mapping.items()}[operation]


def sweep(client: Any) -> list[Outcome]:
    """Every operation of ``client``'s model, in the sweep's order (creators first, teardown last)."""
    strict(client)
    service = client.meta.service_model
    context: dict[str, Any] = {}
    return [call(client, service.operation_model(n), context) for n in order(list(service.operation_names))]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, running_hub(Path(tmp)) as stack:
        outcomes = sweep(stack.client())
    for o in outcomes:
        print(f"{o.kind:8} {o.operation:45} {o.detail}")
    kinds = [o.kind for o in outcomes]
    print({k: kinds.count(k) for k in ("served", "modeled", "broken")}, "of", len(kinds))


if __name__ == "__main__":
    main()
