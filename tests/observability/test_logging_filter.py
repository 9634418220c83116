"""LoggingFilter (PutLoggingConfiguration shape): keep/drop by action and label, table-driven."""

from __future__ import annotations

import pytest

from tests.observability import factories as f
from wafproxy.engine.decision import Action, Decision, RuleMatch
from wafproxy.observability.errors import LoggingConfigError
from wafproxy.observability.logging_filter import parse_logging_filter

BLOCKED = f.blocked_decision()  # BLOCK, labels sql + bot, COUNT matches
ALLOWED = Decision(Action.ALLOW)
COUNTED = Decision(Action.ALLOW, matches=(RuleMatch("Watch", Action.COUNT),), labels=("ns:watched",))
SQL_LABEL = "awswaf:managed:aws:sql-database:SQLi_QueryArguments"
BOT_LABEL = "awswaf:111122223333:webacl:main:bot"


def _filter(behavior: str, requirement: str, *conditions: dict[str, object]) -> dict[str, object]:
    return {"Behavior": behavior, "Requirement": requirement, "Conditions": list(conditions)}


def _action(a: str) -> dict[str, object]:
    return {"ActionCondition": {"Action": a}}


def _label(name: str) -> dict[str, object]:
    return {"LabelNameCondition": {"LabelName": name}}


CASES = [
    # (filters, default, decision, kept)
    ([], "KEEP", ALLOWED, True),
    ([], "DROP", BLOCKED, False),
    # The classic: keep only blocked requests.
    ([_filter("KEEP", "MEETS_ANY", _action("BLOCK"))], "DROP", BLOCKED, True),
    ([_filter("KEEP", "MEETS_ANY", _action("BLOCK"))], "DROP", ALLOWED, False),
    # Drop allowed requests, keep the rest.
    ([_filter("DROP", "MEETS_ALL", _action("ALLOW"))], "KEEP", ALLOWED, False),
    ([_filter("DROP", "MEETS_ALL", _action("ALLOW"))], "KEEP", BLOCKED, True),
    # COUNT meets a request any rule counted, whatever terminated it.
    ([_filter("KEEP", "MEETS_ANY", _action("COUNT"))], "DROP", COUNTED, True),
    ([_filter("KEEP", "MEETS_ANY", _action("COUNT"))], "DROP", ALLOWED, False),
    # Labels, with MEETS_ALL and MEETS_ANY.
    ([_filter("KEEP", "MEETS_ALL", _label(SQL_LABEL), _label(BOT_LABEL))], "DROP", BLOCKED, True),
    ([_filter("KEEP", "MEETS_ALL", _label(SQL_LABEL), _label("ns:other"))], "DROP", BLOCKED, False),
    ([_filter("KEEP", "MEETS_ANY", _label(SQL_LABEL), _label("ns:other"))], "DROP", BLOCKED, True),
    ([_filter("KEEP", "MEETS_ALL", _action("BLOCK"), _label("ns:watched"))], "DROP", BLOCKED, False),
    # Label names are exact: a prefix does not meet the condition.
    ([_filter("KEEP", "MEETS_ANY", _label("awswaf:managed:aws:sql-database"))], "DROP", BLOCKED, False),
    # The first filter whose conditions are met decides.
    (
        [_filter("DROP", "MEETS_ANY", _label(BOT_LABEL)), _filter("KEEP", "MEETS_ANY", _action("BLOCK"))],
        "KEEP",
        BLOCKED,
        False,
    ),
    (
        [_filter("KEEP", "MEETS_ANY", _action("BLOCK")), _filter("DROP", "MEETS_ANY", _label(BOT_LABEL))],
        "DROP",
        BLOCKED,
        True,
    ),
]


@pytest.mark.parametrize(("filters", "default", "decision", "kept"), CASES)
def test_keep_or_drop(filters: list[dict[str, object]], default: str, decision: Decision, kept: bool) -> None:
    lf = parse_logging_filter({"Filters": filters, "DefaultBehavior": default})
    assert lf.keep(decision) is kept


def test_no_filter_keeps_everything() -> None:
    assert parse_logging_filter(None).keep(BLOCKED)


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"Filters": []}, "LoggingFilter"),
        ({"Filters": [], "DefaultBehavior": "MAYBE"}, "LoggingFilter.DefaultBehavior"),
        ({"Filters": [], "DefaultBehavior": "KEEP", "Extra": 1}, "LoggingFilter"),
        (
            {"Filters": [_filter("KEEP", "MEETS_ANY")], "DefaultBehavior": "KEEP"},
            "LoggingFilter.Filters[0].Conditions",
        ),
        (
            {"Filters": [_filter("KEEP", "SOMETIMES", _action("BLOCK"))], "DefaultBehavior": "KEEP"},
            "LoggingFilter.Filters[0].Requirement",
        ),
        (
            {
                "Filters": [_filter("KEEP", "MEETS_ANY", _action("BLOCK"), _action("MAYBE"))],
                "DefaultBehavior": "KEEP",
            },
            "LoggingFilter.Filters[0].Conditions[1].ActionCondition.Action",
        ),
        (
            {
                "Filters": [_filter("KEEP", "MEETS_ANY", _action("EXCLUDED_AS_COUNT"))],
                "DefaultBehavior": "KEEP",
            },
            "LoggingFilter.Filters[0].Conditions[0].ActionCondition.Action",
        ),
        (
            {"Filters": [_filter("KEEP", "MEETS_ANY", {"UriCondition": {}})], "DefaultBehavior": "KEEP"},
            "LoggingFilter.Filters[0].Conditions[0].UriCondition",
        ),
        (
            {"Filters": [_filter("KEEP", "MEETS_ANY", _label(""))], "DefaultBehavior": "KEEP"},
            "LoggingFilter.Filters[0].Conditions[0].LabelNameCondition.LabelName",
        ),
    ],
)
def test_bad_filters_name_the_path(raw: dict[str, object], path: str) -> None:
    with pytest.raises(LoggingConfigError) as err:
        parse_logging_filter(raw)
    assert err.value.path == path
