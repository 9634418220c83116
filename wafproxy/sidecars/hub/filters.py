"""``AwsSecurityFindingFilters`` → one SQL ``WHERE`` over the store's indexed columns.

The attributes the store indexes become SQL; the other documented ones (``body_filters``) a
predicate on the finding; an attribute neither knows is a ``ValidationException`` naming it
(never accepted and ignored). String comparisons follow Security Hub: ``EQUALS``,
``PREFIX`` and ``CONTAINS`` on one attribute are OR-ed, the ``NOT_*`` ones AND-ed; values are bound
parameters, matched with ``substr``/``instr`` (plain string operations, no LIKE patterns).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from wafproxy.awsapi.errors import validation
from wafproxy.sidecars.hub import body_filters

STRING_COLUMNS = {
    "Id": "id",
    "ProductArn": "product_arn",
    "ProductName": "product_name",
    "GeneratorId": "generator_id",
    "AwsAccountId": "account",
    "Region": "region",
    "SeverityLabel": "severity_label",
    "WorkflowStatus": "workflow_status",
    "RecordState": "record_state",
    "ComplianceStatus": "compliance_status",
}
DATE_COLUMNS = {
    "CreatedAt": "created_at",
    "UpdatedAt": "updated_at",
    "FirstObservedAt": "first_observed_at",
    "LastObservedAt": "last_observed_at",
}
NUMBER_COLUMNS = {"SeverityNormalized": "severity_normalized"}
SORTABLE = {**STRING_COLUMNS, **DATE_COLUMNS, **NUMBER_COLUMNS}
_POSITIVE = ("EQUALS", "PREFIX", "CONTAINS")
_NEGATIVE = ("NOT_EQUALS", "PREFIX_NOT_EQUALS", "NOT_CONTAINS")
MAX_ATTRIBUTES = 20
MAX_VALUES = 20
_SEP = "\x1f"  # separates Types in the ``types`` column: |t1|t2| so EQUALS is a whole-word instr


@dataclass(frozen=True, slots=True)
class Where:
    sql: str
    args: tuple[Any, ...]
    source: str = ""  # the Filters as given, canonical JSON (a DateRange's SQL moves with the clock)
    # Attributes the store does not index (Title, ProductFields…): checked on each candidate
    # finding inside the query (``FindingStore`` registers it as an SQL function), so paging and
    # counts stay exact.
    predicate: Callable[[Mapping[str, Any]], bool] | None = None

    def fingerprint(self, *extra: object) -> str:
        """Binds a NextToken to the filters (and sort) it was issued for."""
        return hashlib.sha256(json.dumps([self.source, *extra], default=str).encode()).hexdigest()[:16]


def _string_cond(expr: str, comparison: str, value: str) -> tuple[str, tuple[Any, ...]]:
    if comparison in ("EQUALS", "NOT_EQUALS"):
        return f"{expr} {'=' if comparison == 'EQUALS' else '!='} ?", (value,)
    if comparison in ("PREFIX", "PREFIX_NOT_EQUALS"):
        op = "=" if comparison == "PREFIX" else "!="
        return f"substr({expr}, 1, ?) {op} ?", (len(value), value)
    return f"instr({expr}, ?) {'>' if comparison == 'CONTAINS' else '='} 0", (value,)


def _values(name: str, raw: object) -> list[dict[str, Any]]:
    if (
        not isinstance(raw, list)
        or not 1 <= len(raw) <= MAX_VALUES
        or not all(isinstance(v, dict) for v in raw)
    ):
        raise validation(f"Filters.{name} must be a list of 1-{MAX_VALUES} filter objects", path=name)
    return raw


def _strings(name: str, expr_of: str, raw: object) -> tuple[list[str], list[Any]]:
    pos: list[str] = []
    neg: list[str] = []
    args_pos: list[Any] = []
    args_neg: list[Any] = []
    for f in _values(name, raw):
        value, comparison = f.get("Value"), f.get("Comparison", "EQUALS")
        if not isinstance(value, str) or not value:
            raise validation(f"Filters.{name}.Value must be a non-empty string", path=name)
        if comparison not in _POSITIVE + _NEGATIVE:
            raise validation(
                f"Filters.{name}.Comparison {str(comparison)[:32]!r} is not supported", path=name
            )
        if name == "Type":
            value = (
                (_SEP + value + _SEP)
                if comparison in ("EQUALS", "NOT_EQUALS")
                else (_SEP + value if comparison in ("PREFIX", "PREFIX_NOT_EQUALS") else value)
            )
            comparison = {
                "EQUALS": "CONTAINS",
                "PREFIX": "CONTAINS",
                "NOT_EQUALS": "NOT_CONTAINS",
                "PREFIX_NOT_EQUALS": "NOT_CONTAINS",
            }.get(comparison, comparison)
        sql, args = _string_cond(expr_of, comparison, value)
        (pos if comparison in _POSITIVE else neg).append(sql)
        (args_pos if comparison in _POSITIVE else args_neg).extend(args)
    parts = ([f"({' OR '.join(pos)})"] if pos else []) + neg
    return parts, [*args_pos, *args_neg]


def _dates(name: str, column: str, raw: object, now: float) -> tuple[list[str], list[Any]]:
    parts: list[str] = []
    args: list[Any] = []
    for f in _values(name, raw):
        start, end = body_filters.date_bounds(name, f, now)
        if start is not None:
            parts.append(f"{column} >= ?")
            args.append(start)
        if end is not None:
            parts.append(f"{column} <= ?")
            args.append(end)
    return parts, args


def _numbers(name: str, column: str, raw: object) -> tuple[list[str], list[Any]]:
    ops = {"Gte": ">=", "Lte": "<=", "Eq": "=", "Gt": ">", "Lt": "<"}
    parts: list[str] = []
    args: list[Any] = []
    for f in _values(name, raw):
        used = [k for k in ops if f.get(k) is not None]
        if not used:
            raise validation(f"Filters.{name} needs Gte, Lte, Eq, Gt or Lt", path=name)
        for k in used:
            if not isinstance(f[k], int | float) or isinstance(f[k], bool):
                raise validation(f"Filters.{name}.{k} must be a number", path=name)
            parts.append(f"{column} {ops[k]} ?")
            args.append(f[k])
    return parts, args


def compile_filters(filters: Mapping[str, Any] | None, now: float) -> Where:
    """The WHERE clause (``f`` is the findings table) for ``filters``; empty filters match all."""
    if not filters:
        return Where("1=1", ())
    if not isinstance(filters, dict) or len(filters) > MAX_ATTRIBUTES:
        raise validation(f"Filters must be an object of at most {MAX_ATTRIBUTES} attributes", path="Filters")
    parts: list[str] = []
    args: list[Any] = []
    checks: list[Callable[[Mapping[str, Any]], bool]] = []
    for name in sorted(filters):
        raw = filters[name]
        if name in body_filters.ATTRIBUTES:
            checks.append(body_filters.predicate(name, _values(name, raw), now))
            continue
        if name in STRING_COLUMNS:
            p, a = _strings(name, f"f.{STRING_COLUMNS[name]}", raw)
        elif name == "Type":
            p, a = _strings(name, "f.types", raw)
        elif name in ("ResourceId", "ResourceType"):
            column = "r.resource_id" if name == "ResourceId" else "r.resource_type"
            p, a = _strings(name, column, raw)
            # A finding matches when one of its resources matches every condition. ``IN (subquery)``
            # lets SQLite start from the resource index (a correlated EXISTS scanned every finding).
            cond = " AND ".join(p)
            p = [f"f.id IN (SELECT r.finding_id FROM resources r WHERE {cond})"]  # noqa: S608 — fixed columns, ? only
        elif name in DATE_COLUMNS:
            p, a = _dates(name, f"f.{DATE_COLUMNS[name]}", raw, now)
        elif name in NUMBER_COLUMNS:
            p, a = _numbers(name, f"f.{NUMBER_COLUMNS[name]}", raw)
        else:
            raise validation(f"Filters.{name[:64]} is not supported by this hub", path=name)
        parts.extend(p)
        args.extend(a)
    check = None
    if checks:
        def check(finding: Mapping[str, Any]) -> bool:
            return all(c(finding) for c in checks)
    return Where(
        " AND ".join(parts) or "1=1", tuple(args), json.dumps(filters, sort_keys=True, default=str), check
    )


# The indexed attributes as (kind, path in the finding), for matching a finding in hand.
_IN_FINDING: dict[str, tuple[str, tuple[str, ...]]] = {
    **{
        name: ("string", (name,))
        for name in ("Id", "ProductArn", "ProductName", "GeneratorId", "AwsAccountId", "Region",
                     "RecordState")
    },
    "SeverityLabel": ("string", ("Severity", "Label")), "WorkflowStatus": ("string", ("Workflow", "Status")),
    "ComplianceStatus": ("string", ("Compliance", "Status")), "Type": ("string", ("Types",)),
    "ResourceId": ("string", ("Resources", "Id")), "ResourceType": ("string", ("Resources", "Type")),
    **{name: ("date", (name,)) for name in DATE_COLUMNS},
    "SeverityNormalized": ("number", ("Severity", "Normalized")),
}


def finding_predicate(filters: Mapping[str, Any] | None, now: float) -> Callable[[Mapping[str, Any]], bool]:
    """The same filters as one check on a finding in hand: automation rules match findings as they
    are imported, before they are stored. Validated by ``compile_filters`` (the same errors as
    GetFindings); every attribute it accepts has a path here or in ``body_filters``."""
    compile_filters(filters, now)
    checks = []
    for name, raw in (filters or {}).items():
        if name in body_filters.ATTRIBUTES:
            checks.append(body_filters.predicate(name, raw, now))
        else:
            kind, path = _IN_FINDING[name]
            checks.append(body_filters.predicate_at(kind, name, path, raw, now))
    return lambda finding: all(check(finding) for check in checks)


def types_column(types: list[str]) -> str:
    return _SEP + _SEP.join(types) + _SEP
