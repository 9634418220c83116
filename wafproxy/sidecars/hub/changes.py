"""Customer changes to a finding — what ``BatchUpdateFindings`` and an automation rule's
``FINDING_FIELDS_UPDATE`` action may set — validated once and applied one way.

Both take the same fields (Note, Severity, VerificationState, Confidence, Criticality, Types,
UserDefinedFields, Workflow, RelatedFindings); a field outside them is refused, naming it. Applied,
a Note is stamped with the time, ``UserDefinedFields`` merge (an empty value removes a key), and a
changed Severity, Confidence, Criticality, RelatedFindings or Types is remembered as the
customer's, so a provider's later update does not undo it (``core.merge``), as in Security Hub.
"""

from __future__ import annotations

from typing import Any

from wafproxy.awsapi.errors import validation
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.hub import asff

PRIVATE = "WafproxyHub"  # our own bookkeeping inside a stored body; never returned
MAX_RELATED = 10  # Security Hub's RelatedFindings limit per update
# Provider fields a customer may change; once changed, a provider's later import leaves them (AWS:
# the provider then writes FindingProviderFields). Recorded per finding under CUSTOMER_SET.
PROVIDER_FIELDS = ("Severity", "Confidence", "Criticality", "RelatedFindings", "Types")
CUSTOMER_SET = "customerSet"


def _related(raw: Any) -> list[dict[str, str]]:
    if (
        not isinstance(raw, list)
        or len(raw) > MAX_RELATED
        or not all(
            isinstance(r, dict)
            and isinstance(r.get("Id"), str)
            and isinstance(r.get("ProductArn"), str)
            and 0 < len(r["Id"]) <= 512
            and 0 < len(r["ProductArn"]) <= 512
            for r in raw
        )
    ):
        raise validation(
            f"RelatedFindings must be at most {MAX_RELATED} {{ProductArn, Id}}", path="RelatedFindings"
        )
    return [{"ProductArn": r["ProductArn"], "Id": r["Id"]} for r in raw]


def validated(p: Params, *, ignore: tuple[str, ...] = ()) -> dict[str, Any]:
    """The validated changes in ``p`` (at least one); members in ``ignore`` are the request's own."""
    changes: dict[str, Any] = {}
    try:
        if p.has("Note"):
            changes["Note"] = asff.note(p.raw("Note"))
        if p.has("Severity"):
            raw = p.raw("Severity")
            changes["Severity"] = asff.severity(raw if isinstance(raw, dict) else None)
        if p.has("Workflow"):
            status = (p.raw("Workflow") or {}).get("Status") if isinstance(p.raw("Workflow"), dict) else None
            if status not in asff.WORKFLOW_STATUSES:
                raise asff.InvalidFinding(
                    "Workflow.Status", f"must be one of {', '.join(asff.WORKFLOW_STATUSES)}"
                )
            changes["Workflow"] = {"Status": status}
    except asff.InvalidFinding as exc:
        raise validation(str(exc), path=exc.field) from None
    if p.has("UserDefinedFields"):
        changes["UserDefinedFields"] = p.str_map("UserDefinedFields", max_items=asff.MAX_FIELDS)
    if p.has("VerificationState"):
        state = p.str("VerificationState", max_len=32)
        if state not in asff.VERIFICATION_STATES:
            raise validation(f"VerificationState must be one of {', '.join(asff.VERIFICATION_STATES)}")
        changes["VerificationState"] = state
    for field in ("Confidence", "Criticality"):
        if p.has(field):
            changes[field] = p.int(field, lo=0, hi=100)
    if p.has("Types"):
        changes["Types"] = p.str_list("Types", max_items=asff.MAX_TYPES)
    if p.has("RelatedFindings"):
        changes["RelatedFindings"] = _related(p.raw("RelatedFindings"))
    unknown = p.keys() - {*ignore, *changes}
    if unknown:
        raise validation(f"{sorted(unknown)[0][:64]} cannot be updated here")
    if not changes:
        raise validation("an update needs at least one attribute to change")
    return changes


def apply(finding: dict[str, Any], changes: dict[str, Any], now: str) -> dict[str, Any]:
    """``finding`` with ``changes`` (from ``validated``) applied at ``now`` (a copy)."""
    f = dict(finding)
    for field, value in changes.items():
        if field == "Note":
            f["Note"] = {**value, "UpdatedAt": now}
        elif field == "Severity":
            f["Severity"] = {**f["Severity"], **value}
        elif field == "UserDefinedFields":
            merged = {**(f.get("UserDefinedFields") or {}), **value}
            f["UserDefinedFields"] = {k: v for k, v in merged.items() if v != ""}
        else:
            f[field] = value
    before = (f.get(PRIVATE) or {}).get(CUSTOMER_SET, ())
    kept = sorted({*before, *(k for k in changes if k in PROVIDER_FIELDS)})
    if kept:
        f[PRIVATE] = {**(f.get(PRIVATE) or {}), CUSTOMER_SET: kept}
    f["UpdatedAt"] = max(now, f["UpdatedAt"])
    return f
