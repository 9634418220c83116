"""What the engine returns: the verdict on one request and why.

Field names follow the AWS WAF log record (``terminatingRuleId``, ``ruleGroupList``,
``nonTerminatingMatchingRules``) in snake_case, so the log writer maps them one to one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Action(str, Enum):  # noqa: UP042 - value semantics relied on in logs and tests
    """A rule or default action. COUNT never terminates evaluation."""

    ALLOW = "ALLOW"
    BLOCK = "BLOCK"
    COUNT = "COUNT"
    CAPTCHA = "CAPTCHA"
    CHALLENGE = "CHALLENGE"


class RuleType(str, Enum):  # noqa: UP042
    """``terminatingRuleType`` of the AWS WAF log record."""

    REGULAR = "REGULAR"
    RATE_BASED = "RATE_BASED"
    GROUP = "GROUP"
    MANAGED_RULE_GROUP = "MANAGED_RULE_GROUP"


DEFAULT_ACTION_RULE_ID = "Default_Action"


@dataclass(frozen=True, slots=True)
class MatchDetail:
    """One piece of evidence (AWS ``terminatingRuleMatchDetails`` entry)."""

    condition_type: str  # e.g. "SQL_INJECTION", "XSS", "BYTE_MATCH", "REGEX", "IP_SET"
    location: str  # e.g. "QUERY_STRING", "HEADER", "BODY", "URI"
    matched_data: tuple[str, ...] = ()
    field_name: str = ""  # header / argument / cookie name, JSON pointer, when there is one
    # For explaining a match: the FieldToMatch (``SingleHeader:user-agent``), the transformations
    # applied in order (``matched_data[0]`` is the transformed value excerpt), and the pattern.
    field: str = ""
    transformations: tuple[str, ...] = ()
    pattern: str = ""


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A rule that matched, with the action it took and the group it came from."""

    rule_name: str
    action: Action
    rule_group: str | None = None  # name of the rule group (or managed group) that holds it
    rule_type: RuleType = RuleType.REGULAR
    details: tuple[MatchDetail, ...] = ()


@dataclass(frozen=True, slots=True)
class CustomResponse:
    """A block/captcha/challenge answer as the rule (or default action) configured it."""

    status_code: int = 403
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    content_type: str = "text/plain"


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict on one request.

    ``action`` is the terminating action (ALLOW, BLOCK, CAPTCHA or CHALLENGE; never COUNT).
    ``terminating_rule_id`` is ``Default_Action`` when no rule terminated evaluation.
    """

    action: Action
    terminating_rule_id: str = DEFAULT_ACTION_RULE_ID
    terminating_rule_type: RuleType = RuleType.REGULAR
    terminating_rule_group: str | None = None
    terminating_details: tuple[MatchDetail, ...] = ()
    labels: tuple[str, ...] = ()
    non_terminating: tuple[RuleMatch, ...] = ()
    # Every rule that matched, terminating or not, in evaluation order (metrics, logs).
    matches: tuple[RuleMatch, ...] = ()
    custom_response: CustomResponse | None = None
    inserted_headers: tuple[tuple[str, str], ...] = ()
    # True when the inspected body was truncated at the limit (logged as requestBodySizeInspectedByWAF).
    oversize: bool = False
    # The rule inside ``terminating_rule_group`` that terminated (AWS log
    # ``ruleGroupList[].terminatingRule``);
    # ``terminating_rule_id`` is then the web ACL rule that references the group, as AWS logs it.
    terminating_group_rule_id: str | None = None
    # CAPTCHA / CHALLENGE: how long a solved token stays valid (the rule's CaptchaConfig /
    # ChallengeConfig, else the web ACL's, else AWS's 300 s default).
    token_immunity_seconds: int | None = None

    @property
    def blocked(self) -> bool:
        return self.action is Action.BLOCK
