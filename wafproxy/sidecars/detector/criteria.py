"""GuardDuty ``FindingCriteria``: ``{"criterion": {"severity": {"gte": 7}, "type": {"eq": [...]}}}``.

Field names are the finding's JSON member paths (``service.archived``, ``type``, ``severity``,
``updatedAt``, ``service.action.networkConnectionAction.remoteIpDetails.ipAddressV4``…) over the
wire form (``Finding.to_wire``). Conditions: ``eq``/``equals``, ``neq``/``notEquals``,
``gt``/``greaterThan``, ``gte``/``greaterThanOrEqual``, ``lt``/``lessThan``,
``lte``/``lessThanOrEqual``, ``matches``/``notMatches`` (``*`` wildcards, plain string matching).
Timestamps compare as epoch milliseconds, as GuardDuty's do. A criterion naming an unknown
operator is a ``BadRequestException`` — never ignored.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping
from typing import Any

from wafproxy.awsapi.errors import AwsError

_EQ = ("eq", "equals")
_NEQ = ("neq", "notEquals")
_CMP = {"gt": "gt", "greaterThan": "gt", "gte": "gte", "greaterThanOrEqual": "gte",
        "lt": "lt", "lessThan": "lt", "lte": "lte", "lessThanOrEqual": "lte"}
_MATCH = ("matches", "notMatches")
MAX_CRITERIA = 50


def bad_request(message: str) -> AwsError:
    return AwsError("BadRequestException", message, status=400)


def lookup(doc: Any, path: str) -> Any:
    """The value at a dotted member path; through a list, the list of its items' values."""
    for part in path.split("."):
        if isinstance(doc, list):
            doc = [d.get(part) for d in doc if isinstance(d, dict)]
        elif isinstance(doc, dict):
            doc = doc.get(part)
        else:
            return None
    return doc


def to_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        secs = calendar.timegm(time.strptime(value[:19], "%Y-%m-%dT%H:%M:%S"))
        millis = int(value[20:23]) if len(value) >= 23 and value[19] == "." else 0
        return secs * 1000.0 + millis
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def sort_key(value: Any) -> tuple[int, float, str]:
    """Orders values of one member: absent first, then numbers (and timestamps) by value, then text."""
    if value is None:
        return (0, 0.0, "")
    number = to_number(value) if not isinstance(value, list) else None
    return (1, number, "") if number is not None else (2, 0.0, _as_text(value))


def _is_plain_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_time(value: Any) -> bool:
    return isinstance(value, str) and len(value) >= 19 and value[4:5] == "-"


def _as_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def wildcard(pattern: str, text: str) -> bool:
    """``*`` matches any run of characters; linear-time (greedy pieces, no backtracking)."""
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return pattern == text
    if not text.startswith(pieces[0]) or not text.endswith(pieces[-1]):
        return False
    pos = len(pieces[0])
    end = len(text) - len(pieces[-1])
    for piece in pieces[1:-1]:
        at = text.find(piece, pos, end)
        if at < 0:
            return False
        pos = at + len(piece)
    return pos <= end


def _check(value: Any, op: str, arg: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    if op in _EQ or op in _NEQ:
        if not isinstance(arg, list):
            raise bad_request(f"{op} takes a list of strings")
        wanted = {str(a) for a in arg}
        # Numbers compare by value: ``severity Eq ["5"]`` matches 5.0 (GuardDuty's values are text).
        numbers = {n for n in (to_number(a) for a in arg if not _is_time(a)) if n is not None}
        hit = any(_as_text(v) in wanted or (_is_plain_number(v) and float(v) in numbers)
                  for v in values if v is not None)
        return hit if op in _EQ else not hit
    if op in _MATCH:
        if not isinstance(arg, list):
            raise bad_request(f"{op} takes a list of strings")
        hit = any(wildcard(str(a), _as_text(v)) for a in arg for v in values if v is not None)
        return hit if op == "matches" else not hit
    kind = _CMP.get(op)
    if kind is None:
        raise bad_request(f"unknown condition operator {op!r}")
    bound = to_number(arg)
    if bound is None:
        raise bad_request(f"{op} takes a number")
    for v in values:
        n = to_number(v)
        if n is None:
            continue
        if (kind == "gt" and n > bound) or (kind == "gte" and n >= bound) or (
                kind == "lt" and n < bound) or (kind == "lte" and n <= bound):
            return True
    return False


def validate(criteria: Any) -> dict[str, dict[str, Any]]:
    if criteria is None:
        return {}
    if not isinstance(criteria, Mapping) or not isinstance(criteria.get("criterion", {}), Mapping):
        raise bad_request("findingCriteria must be {\"criterion\": {field: condition}}")
    criterion = dict(criteria.get("criterion") or {})
    if len(criterion) > MAX_CRITERIA:
        raise bad_request(f"at most {MAX_CRITERIA} criteria")
    for name, cond in criterion.items():
        if not isinstance(cond, Mapping) or not cond:
            raise bad_request(f"criterion {name}: expected a condition object")
        for op in cond:
            if op not in _EQ and op not in _NEQ and op not in _MATCH and op not in _CMP:
                raise bad_request(f"criterion {name}: unknown condition operator {op!r}")
    return criterion


def matches(wire: Mapping[str, Any], criterion: Mapping[str, Mapping[str, Any]]) -> bool:
    for name, cond in criterion.items():
        value = lookup(wire, name)
        for op, arg in cond.items():
            if not _check(value, op, arg):
                return False
    return True
