"""One ``RequestEvent`` → one AWS WAF log record (``formatVersion`` 1), as a JSON-ready dict.

The shapes follow the AWS WAF developer guide ("Log fields for web ACL traffic" and "Log
examples"), so Athena tables, SIEM parsers and dashboards written for AWS WAF logs read ours:
top-level rule outcome (``terminatingRuleId`` is ``Default_Action`` when no rule terminated),
``ruleGroupList`` with one entry per rule group that had a matching rule, rule evidence as
``{conditionType, location, matchedData}``, headers as ``[{name, value}]``, ``labels`` as
``[{name}]``, and ``requestHeadersInserted`` / ``responseCodeSent`` as ``null`` when unused.

Known gaps, because the event does not carry the data: ``country`` is ``-`` (AWS's value for
"unknown") and ``rateBasedRuleList`` entries carry the rule's id and name only (no ``limitKey``,
``maxRateAllowed``, ``evaluationWindowSec``).

Redaction (``redaction.Redaction``) is applied here, at record-building time, so no unredacted
value ever reaches a queue, a file or stdout.
"""

from __future__ import annotations

from typing import Any

from wafproxy.engine.decision import (
    DEFAULT_ACTION_RULE_ID,
    Action,
    Decision,
    MatchDetail,
    RuleMatch,
    RuleType,
)
from wafproxy.events import RequestEvent
from wafproxy.observability.redaction import DEFAULT_REDACTION, REDACTED, Redaction

FORMAT_VERSION = 1
UNKNOWN_COUNTRY = "-"

# The dict is JSON: nested lists/dicts of str/int/None. Typed loosely on purpose — it is an
# output format, built in one place and serialised straight away.
LogRecord = dict[str, Any]


def _details(details: tuple[MatchDetail, ...], redaction: Redaction) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for d in details:
        entry: dict[str, Any] = {
            "conditionType": d.condition_type,
            "location": d.location,
            "matchedData": [REDACTED]
            if d.matched_data and redaction.evidence_redacted(d.location, d.field_name)
            else list(d.matched_data),
        }
        if d.field_name:
            entry["matchedFieldName"] = d.field_name
        out.append(entry)
    return out


def _rule_entry(match: RuleMatch, redaction: Redaction) -> dict[str, Any]:
    return {
        "ruleId": match.rule_name,
        "action": match.action.value,
        "ruleMatchDetails": _details(match.details, redaction),
    }


def _terminating_match(decision: Decision) -> RuleMatch | None:
    """The rule that ended evaluation: evaluation stops there, so it is the last match whose action
    is the decision's (COUNT never terminates). None for the default action."""
    if decision.terminating_rule_id == DEFAULT_ACTION_RULE_ID and decision.terminating_rule_group is None:
        return None
    for match in reversed(decision.matches):
        if match.action is decision.action and match.action is not Action.COUNT:
            return match
    return None


def _rule_groups(
    decision: Decision, terminator: RuleMatch | None, redaction: Redaction
) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for match in decision.matches or decision.non_terminating:
        if match.rule_group is None:
            continue
        entry = groups.get(match.rule_group)
        if entry is None:
            entry = groups[match.rule_group] = {
                "ruleGroupId": match.rule_group,
                "terminatingRule": None,
                "nonTerminatingMatchingRules": [],
                "excludedRules": None,
            }
        if match is terminator:
            entry["terminatingRule"] = _rule_entry(match, redaction)
        else:
            entry["nonTerminatingMatchingRules"].append(_rule_entry(match, redaction))
    return list(groups.values())


def _non_terminating(
    decision: Decision, terminator: RuleMatch | None, redaction: Redaction
) -> list[dict[str, Any]]:
    """Web-ACL-level rules that matched without ending evaluation (group members go to
    ``ruleGroupList``, as in AWS)."""
    source = decision.matches or decision.non_terminating
    return [_rule_entry(m, redaction) for m in source if m.rule_group is None and m is not terminator]


def http_version(version: str) -> str:
    """``HTTP/1.1`` from ``1.1`` (as AWS logs it); shared with ``waflog_line``."""
    if version.upper().startswith("HTTP/"):
        return version.upper()
    return f"HTTP/{version}.0" if version.isdigit() else f"HTTP/{version}"


def to_log_record(
    event: RequestEvent,
    *,
    redacted_fields: Redaction = DEFAULT_REDACTION,
    web_acl_id: str | None = None,
    http_source_id: str = "wafproxy",
) -> LogRecord:
    """The AWS WAF log record of one request.

    ``web_acl_id`` is the web ACL's ARN when the control plane knows it; without one the web ACL
    name stands in. ``http_source_id`` names this proxy (AWS puts the protected resource's id).
    """
    request = event.request
    decision = event.decision
    redaction = redacted_fields
    terminator = _terminating_match(decision)
    headers = [
        {"name": name, "value": REDACTED if redaction.header_redacted(name) else value}
        for name, value in request.headers
    ]
    record: LogRecord = {
        "timestamp": int(event.timestamp * 1000),
        "formatVersion": FORMAT_VERSION,
        "webaclId": web_acl_id if web_acl_id is not None else event.web_acl,
        "terminatingRuleId": decision.terminating_rule_id,
        "terminatingRuleType": decision.terminating_rule_type.value,
        "action": decision.action.value,
        "terminatingRuleMatchDetails": _details(decision.terminating_details, redaction),
        "httpSourceName": event.source,
        "httpSourceId": http_source_id,
        "ruleGroupList": _rule_groups(decision, terminator, redaction),
        "rateBasedRuleList": [
            {"rateBasedRuleId": m.rule_name, "rateBasedRuleName": m.rule_name}
            for m in decision.matches
            if m.rule_type is RuleType.RATE_BASED
        ],
        "nonTerminatingMatchingRules": _non_terminating(decision, terminator, redaction),
        "requestHeadersInserted": [{"name": n, "value": v} for n, v in decision.inserted_headers] or None,
        "responseCodeSent": decision.custom_response.status_code if decision.custom_response else None,
        "httpRequest": {
            "clientIp": request.client_ip,
            "country": UNKNOWN_COUNTRY,
            "headers": headers,
            "uri": REDACTED if redaction.uri_path else request.uri_path,
            "args": REDACTED if redaction.query_string else request.query_string,
            "httpVersion": http_version(request.http_version),
            "httpMethod": REDACTED if redaction.method else request.method,
            "requestId": request.request_id,
        },
        "labels": [{"name": label} for label in decision.labels],
        "requestBodySize": request.body_size,
        "requestBodySizeInspectedByWAF": len(request.body),
    }
    if request.ja3_fingerprint is not None:
        record["ja3Fingerprint"] = request.ja3_fingerprint
    if request.ja4_fingerprint is not None:
        record["ja4Fingerprint"] = request.ja4_fingerprint
    return record
