"""Automation rules (Security Hub's CreateAutomationRule…): criteria and an action, applied to
findings as they are imported, before they are stored.

A rule's ``Criteria`` are AwsSecurityFindingFilters-shaped and mean what GetFindings means by them
(``filters.finding_predicate``: validated by the same code, so an attribute the hub cannot filter
on is refused naming it). Its one action, ``FINDING_FIELDS_UPDATE``, sets the fields
BatchUpdateFindings may set (``changes``). On each import (a user's BatchImportFindings or any
producer's findings), the ENABLED rules run in ``RuleOrder`` (ties: the older rule first) on every
new or updated finding; a matching rule with ``IsTerminal`` stops the rules after it. DISABLED
rules are kept but do not run. Rules live in the store's ``meta`` table (one JSON document, an
SQLite transaction per change), so a restart runs the same rules; at most 100 (Security Hub's
quota).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.hub import asff, changes
from wafproxy.sidecars.hub.core import Hub
from wafproxy.sidecars.hub.filters import finding_predicate

META_KEY = "automation_rules"
MAX_RULES = 100
STATUSES = ("ENABLED", "DISABLED")
ACTION = "FINDING_FIELDS_UPDATE"


@dataclass
class Rule:
    arn: str
    name: str
    description: str
    order: int
    status: str
    terminal: bool
    criteria: dict[str, Any]
    actions: list[dict[str, Any]]
    created_at: str
    updated_at: str
    created_by: str
    tags: dict[str, str] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        return {
            "RuleArn": self.arn,
            "RuleStatus": self.status,
            "RuleOrder": self.order,
            "RuleName": self.name,
            "Description": self.description,
            "IsTerminal": self.terminal,
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at,
            "CreatedBy": self.created_by,
        }

    def to_shape(self) -> dict[str, Any]:
        return {**self.metadata(), "Criteria": self.criteria, "Actions": self.actions}


def _actions(raw: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The one FINDING_FIELDS_UPDATE action, as given and as validated changes."""
    if not isinstance(raw, list) or len(raw) != 1 or not isinstance(raw[0], dict):
        raise validation("Actions must hold exactly one action", path="Actions")
    action = raw[0]
    if action.get("Type") != ACTION or not isinstance(action.get("FindingFieldsUpdate"), dict):
        raise validation(f"the action must be {ACTION} with a FindingFieldsUpdate", path="Actions")
    return [{"Type": ACTION, "FindingFieldsUpdate": action["FindingFieldsUpdate"]}], changes.validated(
        Params(action["FindingFieldsUpdate"])
    )


class AutomationRules:
    """``hub``'s rules; ``hub.automation`` is set to ``apply``, so every import runs them."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        raw = hub.store.meta(META_KEY)
        self.rules: dict[str, Rule] = {d["arn"]: Rule(**d) for d in (json.loads(raw) if raw else [])}
        hub.automation = self.apply

    def _save(self) -> None:
        self.hub.store.set_meta(META_KEY, json.dumps([asdict(r) for r in self.rules.values()]))

    def _checked(self, rule: Rule) -> Rule:
        if not isinstance(rule.order, int) or isinstance(rule.order, bool) or not 1 <= rule.order <= 1000:
            raise validation("RuleOrder must be between 1 and 1000", path="RuleOrder")
        if rule.status not in STATUSES:
            raise validation(f"RuleStatus must be one of {', '.join(STATUSES)}", path="RuleStatus")
        if not isinstance(rule.terminal, bool):
            raise validation("IsTerminal must be a boolean", path="IsTerminal")
        if not isinstance(rule.criteria, dict):
            raise validation("Criteria must be an object (AutomationRulesFindingFilters)", path="Criteria")
        finding_predicate(rule.criteria, self.hub.clock.now())
        _actions(rule.actions)
        for text, member in ((rule.name, "RuleName"), (rule.description, "Description")):
            if not isinstance(text, str) or not 1 <= len(text) <= 1024:
                raise validation(f"{member} must be 1-1024 characters", path=member)
        return rule

    def create(self, p: Params, by: str, tags: dict[str, str]) -> str:
        if len(self.rules) >= MAX_RULES:
            raise AwsError("LimitExceededException", f"at most {MAX_RULES} automation rules", status=429)
        now = asff.iso(self.hub.clock.now())
        hub = self.hub
        arn = f"arn:aws:securityhub:{hub.region}:{hub.account}:automation-rule/{uuid.uuid4()}"
        rule = Rule(
            arn,
            p.str("RuleName", max_len=1024),
            p.str("Description", max_len=1024),
            p.int("RuleOrder", lo=1, hi=1000),
            p.str("RuleStatus", required=False, default="ENABLED", max_len=16),
            p.bool("IsTerminal", default=False),
            p.raw("Criteria"),
            p.raw("Actions"),
            now,
            now,
            by,
            tags,
        )
        self.rules[arn] = self._checked(rule)
        self._save()
        return arn

    def get(self, arns: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        found = [self.rules[a].to_shape() for a in arns if a in self.rules]
        return found, [_unprocessed(a, 404, "automation rule not found") for a in arns if a not in self.rules]

    def update(self, items: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
        """Each item changes one rule (all its checks pass, or it is unprocessed with the reason)."""
        done, failed = [], []
        now = asff.iso(self.hub.clock.now())
        members = {
            "RuleStatus": "status",
            "RuleOrder": "order",
            "Description": "description",
            "RuleName": "name",
            "IsTerminal": "terminal",
            "Criteria": "criteria",
            "Actions": "actions",
        }
        for item in items:
            arn = str(item.get("RuleArn", ""))[:512]
            old = self.rules.get(arn)
            if old is None:
                failed.append(_unprocessed(arn, 404, "automation rule not found"))
                continue
            new = Rule(
                **{
                    **asdict(old),
                    **{members[k]: v for k, v in item.items() if k in members},
                    "updated_at": now,
                }
            )
            try:
                self.rules[arn] = self._checked(new)
            except AwsError as exc:
                failed.append(_unprocessed(arn, 400, exc.message))
                continue
            done.append(arn)
        if done:
            self._save()
        return done, failed

    def delete(self, arns: list[str]) -> tuple[list[str], list[dict[str, Any]]]:
        done = [a for a in arns if self.rules.pop(a, None) is not None]
        if done:
            self._save()
        return done, [_unprocessed(a, 404, "automation rule not found") for a in arns if a not in done]

    def listed(self) -> list[dict[str, Any]]:
        return [r.metadata() for r in self.in_order(enabled_only=False)]

    def in_order(self, *, enabled_only: bool = False) -> list[Rule]:
        """The rules in the order they run (the console lists them so)."""
        rules = [r for r in self.rules.values() if r.status == "ENABLED" or not enabled_only]
        return sorted(rules, key=lambda r: (r.order, r.created_at, r.arn))

    def apply(self, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``findings`` as the enabled rules leave them (the import's hook, before storing)."""
        rules = self.in_order(enabled_only=True)
        if not rules:
            return findings
        now = self.hub.clock.now()
        compiled: list[tuple[Rule, Callable[[Mapping[str, Any]], bool], dict[str, Any]]] = [
            (r, finding_predicate(r.criteria, now), _actions(r.actions)[1]) for r in rules
        ]
        stamp = asff.iso(now)
        out = []
        for finding in findings:
            for rule, matches, change in compiled:
                if matches(finding):
                    finding = changes.apply(finding, change, stamp)
                    if rule.terminal:
                        break
            out.append(finding)
        return out


def _unprocessed(arn: str, code: int, message: str) -> dict[str, Any]:
    return {"RuleArn": arn, "ErrorCode": code, "ErrorMessage": message}
