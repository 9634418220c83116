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

T = TypeVar("T")
EXCERPT = 64  # characters of a transformed value kept as evidence


@dataclass(frozen=True, slots=True)
class GroupHits:
    forced: bool | None
    hits: dict[int, tuple[str, str]]  # pattern id -> (field name, transformed value) of first hit


#: The scan result of a group that matched nothing (shared: tested by identity in hot loops).
NOTHING = GroupHits(None, {})


class EvalContext:
    __slots__ = (
        "request", "groups", "labels", "_label_set", "details",
        "_raw", "_values", "scans", "loud", "_memo", "_detected",
    )  # fmt: skip

    def __init__(self, request: WafRequest, groups: tuple[PatternGroup, ...]) -> None:
        self.request = request
        self.groups = groups
        self.labels: list[str] = []
        self._label_set: set[str] = set()
        self.details: list[MatchDetail] = []
        self._raw: dict[RawSlot, FieldValues] = {}
        self._values: dict[Slot, FieldValues] = {}
        self.scans: dict[int, GroupHits] = {}  # read directly by the evaluator's hot loop
        self.loud: set[int] = set()  # groups whose scan is not NOTHING (hit, or forced)
        self._memo: dict[object, object] = {}
        self._detected: dict[tuple[tuple[str, str], str], bool] = {}

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
            found = self._compute(slot)
        return found

    def _compute(self, slot: Slot) -> FieldValues:
        parent = slot.parent
        if parent is not None:
            base = self._values.get(parent)
            if base is None:
                base = self._compute(parent)  # a shared chain prefix, computed once
        else:
            base = self._raw.get(slot.raw)  # type: ignore[assignment]
            if base is None:
                field = slot.field
                base = self._json(field) if field.kind == "JsonBody" else extract(field, self.request)
                self._raw[slot.raw] = base
        found = _transformed(base, slot) if (slot.step and base.values) else base
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
        found = self.scans.get(gidx)
        if found is not None:
            return found
        group = self.groups[gidx]
        slot = group.slot
        fv = self._values.get(slot)
        if fv is None:
            fv = self._compute(slot)
        values = fv.values
        if fv.forced is not None:
            found = GroupHits(fv.forced, {})
        elif len(values) == 1:  # one value (path, query string, body): no dedup needed
            name, value = values[0]
            pids = group.scan_value(value) if value else group.empty_hits
            found = GroupHits(None, dict.fromkeys(pids, values[0])) if pids else NOTHING
        else:
            hits: dict[int, tuple[str, str]] = {}
            scan = group.scan_value
            seen: set[str] = set()
            for pair in values:
                value = pair[1]
                if value in seen:
                    continue  # an identical value scans identically (e.g. several "")
                seen.add(value)
                for pid in scan(value) if value else group.empty_hits:
                    if pid not in hits:
                        hits[pid] = pair
            found = GroupHits(None, hits) if hits else NOTHING
        self.scans[gidx] = found
        if found is not NOTHING:
            self.loud.add(gidx)
        return found

    def memo(self, key: object, compute: Callable[[], T]) -> T:
        """A per-request cache for detector results and other derived values."""
        try:
            return self._memo[key]  # type: ignore[return-value]
        except KeyError:
            value = compute()
            self._memo[key] = value
            return value

    def detected(self, key: tuple[str, str], detect: Callable[[str], bool], value: str) -> bool:
        """``detect(value)`` once per request per (detector, level, value): slots whose chains
        leave a value unchanged, and fields holding the same value, share one detector run."""
        k = (key, value)
        found = self._detected.get(k)
        if found is None:
            found = self._detected[k] = detect(value)
        return found

    def evidence(self, condition: str, slot: Slot, name: str, value: str, pattern: str = "") -> None:
        data = (value[:EXCERPT],) if not pattern else (value[:EXCERPT], pattern)
        self.details.append(
            MatchDetail(condition, slot.field.location, data, name, slot.label, slot.chain, pattern)
        )


def _transformed(base: FieldValues, slot: Slot) -> FieldValues:
    """``base`` after ``slot.step``; values the step cannot change are kept without calling it,
    and when none changes, ``base`` itself is returned (no allocation)."""
    apply = slot.apply
    unchanged = slot.unchanged
    if unchanged is None:
        on_empty = slot.on_empty
        return FieldValues(tuple([(n, apply(v) if v else on_empty) for n, v in base.values]), base.forced)
    out: list[tuple[str, str]] | None = None
    for i, pair in enumerate(base.values):
        if unchanged(pair[1]):  # also every "" (no guarded step turns "" into something else)
            if out is not None:
                out.append(pair)
            continue
        if out is None:
            out = list(base.values[:i])
        out.append((pair[0], apply(pair[1])))
    if out is None:
        return base
    return FieldValues(tuple(out), base.forced)
