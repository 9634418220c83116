"""Explaining a ``Decision``: which rule, field, transformations and pattern — as JSON or text.

For ``wafproxy explain`` and ``wafproxy test``: the same facts the WAF log carries, in the AWS
log's vocabulary (``terminatingRuleId``, ``ruleGroup``, ``conditionType``, ``location``), plus what
a person fixing a rule needs: the FieldToMatch, the transformations applied in order, the
transformed value excerpt and the pattern that hit.
"""

from __future__ import annotations

from typing import Any

from wafproxy.engine.decision import Decision, MatchDetail, RuleMatch


def _detail(d: MatchDetail) -> dict[str, Any]:
    out: dict[str, Any] = {"conditionType": d.condition_type, "location": d.location}
    if d.field:
        out["field"] = d.field
    if d.field_name:
        out["fieldName"] = d.field_name
    if d.transformations:
        out["transformations"] = list(d.transformations)
    if d.matched_data:
        out["value"] = d.matched_data[0]
    if d.pattern:
        out["pattern"] = d.pattern
    return out


def _match(m: RuleMatch) -> dict[str, Any]:
    out: dict[str, Any] = {"ruleId": m.rule_name, "action": m.action.value, "ruleType": m.rule_type.value}
    if m.rule_group:
        out["ruleGroup"] = m.rule_group
    if m.details:
        out["details"] = [_detail(d) for d in m.details]
    return out


def explain(decision: Decision) -> dict[str, Any]:
    """A JSON-ready account of ``decision``."""
    out: dict[str, Any] = {
        "action": decision.action.value,
        "terminatingRuleId": decision.terminating_rule_id,
        "terminatingRuleType": decision.terminating_rule_type.value,
    }
    if decision.terminating_rule_group:
        out["ruleGroup"] = decision.terminating_rule_group
        out["ruleGroupRuleId"] = decision.terminating_group_rule_id
    out["labels"] = list(decision.labels)
    out["matches"] = [_match(m) for m in decision.matches]
    if decision.custom_response is not None:
        r = decision.custom_response
        out["customResponse"] = {
            "statusCode": r.status_code,
            "contentType": r.content_type,
            "headers": [list(h) for h in r.headers],
            "bodyBytes": len(r.body),
        }
    if decision.inserted_headers:
        out["insertedHeaders"] = [list(h) for h in decision.inserted_headers]
    if decision.oversize:
        out["bodyTruncated"] = True
    return out


def explain_text(decision: Decision) -> str:
    """The same account, one line per fact, for a terminal."""
    rule = decision.terminating_rule_id
    if decision.terminating_rule_group:
        rule += f" -> {decision.terminating_rule_group}/{decision.terminating_group_rule_id}"
    lines = [f"{decision.action.value} by {rule}"]
    for m in decision.matches:
        where = f"{m.rule_group}/{m.rule_name}" if m.rule_group else m.rule_name
        lines.append(f"  matched {where} ({m.action.value})")
        for d in m.details:
            chain = " > ".join(d.transformations) or "NONE"
            field = d.field or d.location
            name = f" [{d.field_name}]" if d.field_name and d.field_name not in field else ""
            value = d.matched_data[0] if d.matched_data else ""
            pattern = f" ~ {d.pattern!r}" if d.pattern else ""
            lines.append(f"    {d.condition_type} on {field}{name} after {chain}: {value!r}{pattern}")
    if decision.labels:
        lines.append("  labels: " + ", ".join(decision.labels))
    return "\n".join(lines)
