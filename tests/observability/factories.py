"""Realistic request events for the observability tests (a SQLi block inside a managed group)."""

from __future__ import annotations

from wafproxy.engine.decision import (
    Action,
    CustomResponse,
    Decision,
    MatchDetail,
    RuleMatch,
    RuleType,
)
from wafproxy.engine.request import WafRequest
from wafproxy.events import RequestEvent

SECRET_TOKEN = "Bearer s3cr3t-t0ken-value"
SESSION = "session=abcdef0123456789"


def request(**over: object) -> WafRequest:
    fields: dict[str, object] = dict(
        client_ip="203.0.113.7",
        method="POST",
        uri_path="/login",
        query_string="user=admin'--&next=/home",
        headers=(
            ("Host", "shop.example"),
            ("User-Agent", "curl/8.5.0"),
            ("Authorization", SECRET_TOKEN),
            ("Cookie", SESSION),
            ("X-Trace", "abc"),
        ),
        body=b"a" * 16,
        body_size=20000,
        http_version="1.1",
        request_id="req-1",
        peer_ip="10.0.0.1",
    )
    fields.update(over)
    return WafRequest(**fields)  # type: ignore[arg-type]


SQLI = MatchDetail("SQL_INJECTION", "QUERY_STRING", ("admin'--",), "user")
COOKIE_HIT = MatchDetail("BYTE_MATCH", "HEADER", (SESSION,), "Cookie")

COUNT_RULE = RuleMatch("CountBots", Action.COUNT, None, RuleType.REGULAR, (COOKIE_HIT,))
GROUP_COUNT = RuleMatch("NoUserAgent_HEADER", Action.COUNT, "AWSManagedRulesCommonRuleSet")
GROUP_BLOCK = RuleMatch(
    "SQLi_QUERYARGUMENTS", Action.BLOCK, "AWSManagedRulesSQLiRuleSet", RuleType.REGULAR, (SQLI,)
)


def blocked_decision() -> Decision:
    return Decision(
        action=Action.BLOCK,
        terminating_rule_id="AWS-AWSManagedRulesSQLiRuleSet",
        terminating_rule_type=RuleType.MANAGED_RULE_GROUP,
        terminating_rule_group="AWSManagedRulesSQLiRuleSet",
        terminating_details=(SQLI,),
        labels=("awswaf:managed:aws:sql-database:SQLi_QueryArguments", "awswaf:111122223333:webacl:main:bot"),
        non_terminating=(COUNT_RULE, GROUP_COUNT),
        matches=(COUNT_RULE, GROUP_COUNT, GROUP_BLOCK),
        custom_response=CustomResponse(status_code=429),
        oversize=True,
    )


def allowed_decision() -> Decision:
    return Decision(action=Action.ALLOW, inserted_headers=(("x-amzn-waf-checked", "yes"),))


def event(decision: Decision | None = None, **over: object) -> RequestEvent:
    fields: dict[str, object] = dict(
        timestamp=1_700_000_000.123456,
        web_acl="main",
        request=request(),
        decision=decision if decision is not None else blocked_decision(),
        response_status=429,
        evaluation_seconds=0.00042,
        upstream_seconds=None,
        source="PROXY",
    )
    fields.update(over)
    return RequestEvent(**fields)  # type: ignore[arg-type]
