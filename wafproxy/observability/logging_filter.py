"""Which requests reach the WAF log (AWS ``LoggingFilter``): keep or drop by action and label.

Semantics follow ``PutLoggingConfiguration``: filters are tried in order and the first whose
conditions are met (all of them for ``MEETS_ALL``, one for ``MEETS_ANY``) decides ``KEEP`` or
``DROP``; a record no filter matches gets ``DefaultBehavior``.

An ``ActionCondition`` meets a record whose terminating action is that action; ``COUNT`` also meets
a record in which any rule counted (the request itself is then allowed or blocked by something
else, and "show me what my COUNT rules see" is what operators filter for). A ``LabelNameCondition``
needs the fully qualified label among the request's labels. ``MONETIZE`` and ``EXCLUDED_AS_COUNT``
describe AWS features we do not have, so they are refused rather than never matching silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import TypeVar

from wafproxy.engine.decision import Action, Decision
from wafproxy.observability.errors import LoggingConfigError

# Service-model limits are not published for Filters; keep evaluation per record bounded anyway.
_MAX_FILTERS = 100
_MAX_CONDITIONS = 100


class Behavior(StrEnum):
    KEEP = "KEEP"
    DROP = "DROP"


class Requirement(StrEnum):
    MEETS_ALL = "MEETS_ALL"
    MEETS_ANY = "MEETS_ANY"


@dataclass(frozen=True, slots=True)
class ActionCondition:
    action: Action

    def met(self, decision: Decision) -> bool:
        if decision.action is self.action:
            return True
        if self.action is Action.COUNT:
            return any(m.action is Action.COUNT for m in decision.matches) or any(
                m.action is Action.COUNT for m in decision.non_terminating
            )
        return False


@dataclass(frozen=True, slots=True)
class LabelNameCondition:
    label: str

    def met(self, decision: Decision) -> bool:
        return self.label in decision.labels


Condition = ActionCondition | LabelNameCondition


@dataclass(frozen=True, slots=True)
class Filter:
    behavior: Behavior
    requirement: Requirement
    conditions: tuple[Condition, ...]

    def met(self, decision: Decision) -> bool:
        if self.requirement is Requirement.MEETS_ALL:
            return all(c.met(decision) for c in self.conditions)
        return any(c.met(decision) for c in self.conditions)


@dataclass(frozen=True, slots=True)
class LoggingFilter:
    """A parsed ``LoggingFilter``. The default instance keeps everything."""

    filters: tuple[Filter, ...] = ()
    default_behavior: Behavior = Behavior.KEEP

    def keep(self, decision: Decision) -> bool:
        """True when the request's record belongs in the log."""
        for f in self.filters:
            if f.met(decision):
                return f.behavior is Behavior.KEEP
        return self.default_behavior is Behavior.KEEP


KEEP_ALL = LoggingFilter()


_E = TypeVar("_E", bound=Enum)


def _enum(cls: type[_E], value: object, path: str) -> _E:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in cls)
        raise LoggingConfigError(path, f"{value!r} is not one of {allowed}") from None


def _known_keys(obj: Mapping[str, object], allowed: set[str], path: str) -> None:
    unknown = set(obj) - allowed
    if unknown:
        raise LoggingConfigError(path, f"unsupported keys {sorted(unknown)}")


def _condition(raw: object, path: str) -> Condition:
    if not isinstance(raw, Mapping) or len(raw) != 1:
        raise LoggingConfigError(path, "must hold exactly one of ActionCondition, LabelNameCondition")
    ((kind, spec),) = raw.items()
    if not isinstance(spec, Mapping):
        raise LoggingConfigError(f"{path}.{kind}", "must be an object")
    if kind == "ActionCondition":
        _known_keys(spec, {"Action"}, f"{path}.ActionCondition")
        value = spec.get("Action")
        if value in ("MONETIZE", "EXCLUDED_AS_COUNT"):
            raise LoggingConfigError(
                f"{path}.ActionCondition.Action", f"{value} is not supported by wafproxy"
            )
        return ActionCondition(_enum(Action, value, f"{path}.ActionCondition.Action"))
    if kind == "LabelNameCondition":
        _known_keys(spec, {"LabelName"}, f"{path}.LabelNameCondition")
        label = spec.get("LabelName")
        if not isinstance(label, str) or not 1 <= len(label) <= 1024:
            raise LoggingConfigError(
                f"{path}.LabelNameCondition.LabelName", "a label name of 1-1024 characters"
            )
        return LabelNameCondition(label)
    raise LoggingConfigError(f"{path}.{kind}", "unknown condition (ActionCondition or LabelNameCondition)")


def parse_logging_filter(raw: Mapping[str, object] | None, *, path: str = "LoggingFilter") -> LoggingFilter:
    """Parse the AWS ``LoggingFilter`` shape; ``None`` keeps every record."""
    if raw is None:
        return KEEP_ALL
    if not isinstance(raw, Mapping):
        raise LoggingConfigError(path, "must be an object")
    _known_keys(raw, {"Filters", "DefaultBehavior"}, path)
    if "DefaultBehavior" not in raw or "Filters" not in raw:
        raise LoggingConfigError(path, "Filters and DefaultBehavior are required")
    default = _enum(Behavior, raw["DefaultBehavior"], f"{path}.DefaultBehavior")
    filters_raw = raw["Filters"]
    if not isinstance(filters_raw, Sequence) or isinstance(filters_raw, str | bytes):
        raise LoggingConfigError(f"{path}.Filters", "must be a list")
    if len(filters_raw) > _MAX_FILTERS:
        raise LoggingConfigError(f"{path}.Filters", f"at most {_MAX_FILTERS} filters")
    filters: list[Filter] = []
    for i, f in enumerate(filters_raw):
        where = f"{path}.Filters[{i}]"
        if not isinstance(f, Mapping):
            raise LoggingConfigError(where, "must be an object")
        _known_keys(f, {"Behavior", "Requirement", "Conditions"}, where)
        for key in ("Behavior", "Requirement", "Conditions"):
            if key not in f:
                raise LoggingConfigError(f"{where}.{key}", "is required")
        conds = f["Conditions"]
        if not isinstance(conds, Sequence) or isinstance(conds, str | bytes) or not conds:
            raise LoggingConfigError(f"{where}.Conditions", "must be a non-empty list")
        if len(conds) > _MAX_CONDITIONS:
            raise LoggingConfigError(f"{where}.Conditions", f"at most {_MAX_CONDITIONS} conditions")
        behavior = _enum(Behavior, f["Behavior"], f"{where}.Behavior")
        requirement = _enum(Requirement, f["Requirement"], f"{where}.Requirement")
        filters.append(
            Filter(
                behavior,
                requirement,
                tuple(_condition(c, f"{where}.Conditions[{j}]") for j, c in enumerate(conds)),
            )
        )
    return LoggingFilter(tuple(filters), default)
