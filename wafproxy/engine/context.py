"""Per-request evaluation state: caches, labels, evidence.

Each (field, transformation chain) is extracted and transformed at most once per request, each
pattern group scanned at most once, each detector run at most once per (field, chain) — however
many rules ask. Labels added by earlier rules are visible to later ``LabelMatchStatement``s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from wafproxy.engine.decision import MatchDetail
from wafproxy.engine.extract import FieldValues, extract, oversize_verdict
from wafproxy.engine.fields import FieldSpec
from wafproxy.engine.jsonfield import select_json
from wafproxy.engine.parsing import parse_json
from wafproxy.engine.patterngroups import PatternGroup
from wafproxy.engine.request import WafRequest
from wafproxy.engine.slots import RawSlot, Slot
from wafproxy.engine.transforms import apply_chain

T = TypeVar("T")
EXCERPT = 64  # characters of a transformed value kept as evidence


@dataclass(frozen=True, slots=True)
class GroupHits:
    forced: bool | None
    hits: dict[int, tuple[str, str]]  # pattern id -> (field name, transformed value) of first hit


class EvalContext:
    __slots__ = ("request", "groups", "labels", "_label_set", "details", "_raw", "_values", "_scans", "_memo")

    def __init__(self, request: WafRequest, groups: tuple[PatternGroup, ...]) -> None:
        self.request = request
        self.groups = groups
        self.labels: list[str] = []
        self._label_set: set[str] = set()
        self.details: list[MatchDetail] = []
        self._raw: dict[RawSlot, FieldValues] = {}
        self._values: dict[Slot, FieldValues] = {}
        self._scans: dict[int, GroupHits] = {}
        self._memo: dict[object, object] = {}

    def add_label(self, label: str) -> None:
        if label not in self._label_set:
            self._label_set.add(label)
            self.labels.append(label)

    def has_label(self, label: str) -> bool:
        return label in self._label_set

    def values(self, slot: Slot) -> FieldValues:
        """The field's values after the chain, computed once per request."""
        found = self._values.get(slot)
        if found is None:
            parent = slot.parent
            if parent is not None:
                base = self.values(parent)  # a shared chain prefix, computed once
            else:
                base = self._raw.get(slot.raw)  # type: ignore[assignment]
                if base is None:
                    base = (
                        self._json(slot.field)
                        if slot.field.kind == "JsonBody"
                        else extract(slot.field, self.request)
                    )
                    self._raw[slot.raw] = base
            step = slot.step
            if step and base.values:
                found = FieldValues(tuple([(n, apply_chain(step, v)) for n, v in base.values]), base.forced)
            else:
                found = base
            self._values[slot] = found
        return found

    def _json(self, spec: FieldSpec) -> FieldValues:
        forced = oversize_verdict(spec, self.request)
        if forced is not None:
            return forced
        body = self.request.body
        parsed = self.memo("json-body", lambda: parse_json(body))
        return select_json(spec, parsed, body, self.request.body_truncated)

    def scan(self, gidx: int) -> GroupHits:
        """Run a pattern group over its field's values once; which pattern ids hit."""
        found = self._scans.get(gidx)
        if found is None:
            group = self.groups[gidx]
            fv = self.values(group.slot)
            hits: dict[int, tuple[str, str]] = {}
            if fv.forced is None:
                scan = group.pattern_set.scan
                for name, value in fv.values:
                    for pid in scan(value):
                        if pid not in hits:
                            hits[pid] = (name, value)
            found = GroupHits(fv.forced, hits)
            self._scans[gidx] = found
        return found

    def memo(self, key: object, compute: Callable[[], T]) -> T:
        """A per-request cache for detector results and other derived values."""
        try:
            return self._memo[key]  # type: ignore[return-value]
        except KeyError:
            value = compute()
            self._memo[key] = value
            return value

    def evidence(self, condition: str, slot: Slot, name: str, value: str, pattern: str = "") -> None:
        data = (value[:EXCERPT],) if not pattern else (value[:EXCERPT], pattern)
        spec = slot.field
        self.details.append(
            MatchDetail(condition, spec.location, data, name, spec.describe(), slot.chain, pattern)
        )
