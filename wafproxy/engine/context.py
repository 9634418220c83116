"""Per-request evaluation state: caches, labels, evidence.

Each (field, transformation chain) is extracted and transformed at most once per request, each
pattern group scanned at most once, each detector run at most once per (field, chain) — however
many rules ask. Labels added by earlier rules are visible to later ``LabelMatchStatement``s.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple, TypeVar

from wafproxy.engine.bodyregions import binary_body_as_text, binary_uploads_as_text
from wafproxy.engine.decision import MatchDetail
from wafproxy.engine.extract import EXTRACTORS, FieldValues, body_text, oversize_verdict, values_of
from wafproxy.engine.fieldplan import FieldPlan, KeyedPlans, field_plans
from wafproxy.engine.fields import FieldSpec
from wafproxy.engine.jsonfield import select_json
from wafproxy.engine.parsing import InvalidJson, JsonDocument, parse_json
from wafproxy.engine.patterngroups import PatternGroup
from wafproxy.engine.request import WafRequest
from wafproxy.engine.slots import RawSlot, Slot, transformed
from wafproxy.engine.views import body_views, header_views, multipart_boundary, path_views, query_views

T = TypeVar("T")
EXCERPT = 64  # characters of a transformed value kept as evidence


class GroupHits(NamedTuple):
    forced: bool | None
    hits: dict[int, tuple[str, str]]  # pattern id -> (field name, transformed value) of first hit


#: ``group_hits((forced, hits))``: a ``GroupHits`` without a Python ``__new__`` frame.
group_hits: Callable[[tuple[bool | None, dict[int, tuple[str, str]]]], GroupHits] = partial(
    tuple.__new__, GroupHits
)  # type: ignore[assignment]


#: The scan result of a group that matched nothing (shared: tested by identity in hot loops).
NOTHING = GroupHits(None, {})


class EvalContext:
    __slots__ = (
        "request", "groups", "plans", "labels", "_label_set", "details",
        "_raw", "_values", "scans", "loud", "_memo", "detected_cache",
    )  # fmt: skip

    def __init__(
        self,
        request: WafRequest,
        groups: tuple[PatternGroup, ...],
        plans: tuple[FieldPlan, ...] | None = None,
    ) -> None:
        self.request = request
        self.groups = groups
        # ``CompiledWebACL.field_plans`` (built once per ACL); standalone callers get them built.
        self.plans = plans if plans is not None else field_plans(groups)
        self.labels: list[str] = []
        self._label_set: set[str] = set()
        self.details: list[MatchDetail] = []
        self._raw: dict[RawSlot, FieldValues] = {}
        self._values: dict[Slot, FieldValues] = {}
        self.scans: dict[int, GroupHits] = {}  # read directly by the evaluator's hot loop
        self.loud: set[int] = set()  # groups whose scan is not NOTHING (hit, or forced)
        self._memo: dict[object, object] = {}
        self.detected_cache: dict[tuple[tuple[str, str], str], bool] = {}

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
                base = self._raw[slot.raw] = self._extract(slot.field)
        found = transformed(base, slot) if (slot.step and base.values) else base
        self._values[slot] = found
        return found

    def _extract(self, field: FieldSpec) -> FieldValues:
        kind = field.kind
        found = self._json(field) if kind == "JsonBody" else EXTRACTORS[kind](field, self.request)
        return self._with_views(field, found) if field.views else found

    def _with_views(self, field: FieldSpec, found: FieldValues) -> FieldValues:
        """``found`` plus the carrier views (``views``) of a managed group's field."""
        if found.forced is not None or not found.values:
            return found
        kind = field.kind
        request = self.request
        if kind == "UriPath":
            views = path_views(request.uri_path)
        elif kind == "QueryString":
            views = query_views(request.query_string)
        elif kind == "Headers":
            views = header_views(field, request, found.values)
        elif kind == "JsonBody":  # a multipart body is no JSON: its fallback is the whole body
            return _uploads_as_text(request, found)
        else:
            views = body_views(request, found.values[0][1], self._parsed_json)
            found = _uploads_as_text(request, found)
        return values_of((found.values + views, None)) if views else found

    def _parsed_json(self) -> JsonDocument | InvalidJson:
        """The body parsed as JSON, once per request (shared with every ``JsonBody`` field)."""
        body = self.request.body
        return self.memo("json-body", lambda: parse_json(body))

    def _json(self, spec: FieldSpec) -> FieldValues:
        forced = oversize_verdict(spec, self.request)
        if forced is not None:
            return forced
        return select_json(spec, self._parsed_json(), self.request.body, self.request.body_truncated)

    def scan(self, gidx: int) -> GroupHits:
        """Which pattern ids of group ``gidx`` hit its field's values (scanned once per request).

        The first question about any group of a field answers it for all the field's groups
        (``fieldplan``): one extraction, each slot's chain once, each group's scan once."""
        found = self.scans.get(gidx)
        if found is None:
            self._scan_field(self.plans[gidx])
            found = self.scans[gidx]
        return found

    def scan_all(self, plans: tuple[FieldPlan | KeyedPlans, ...]) -> None:
        """Every group scanned, field by field (``CompiledWebACL.scan_order``): a benign request
        needs them all, and once all are known the evaluator skips what no pattern gates in."""
        scans = self.scans
        request = self.request
        for plan in plans:
            if plan.gidxs[0] in scans:
                continue
            if plan.__class__ is not KeyedPlans:
                self._scan_field(plan)  # type: ignore[arg-type]
            elif plan.empty_body and (request.body or request.body_size):  # type: ignore[union-attr]
                for member in plan.plans:  # type: ignore[union-attr]
                    self._scan_field(member)
            else:
                self._scan_keyed(plan)  # type: ignore[arg-type]

    def _scan_field(self, plan: FieldPlan) -> None:
        keyed = plan.keyed
        if keyed is not None:  # answered from one request attribute, before any extraction
            self._scan_keyed(keyed)
            return
        raw = self._raw_values(plan)
        values = raw.values
        if raw.forced is None and len(values) == 1 and not values[0][1]:
            known = plan.memo.get(values)
            if known is not None:  # an empty value scanned on an earlier request
                self._install(plan, known)
                return
            self._scan_values(plan, raw)
            plan.remember(values, self._answer(plan))
            return
        self._scan_values(plan, raw)

    def _scan_keyed(self, keyed: KeyedPlans) -> None:
        """The plans keyed by one request attribute (``fieldplan.KeyedPlans``): one lookup."""
        key: Any = getattr(self.request, keyed.attr)
        try:
            known = keyed.memo.get(key)
        except TypeError:  # headers a caller built of lists (unhashable): not remembered
            known = key = None
        if known is not None:
            self._install(keyed, known)
            return
        for plan in keyed.plans:
            self._scan_values(plan, self._raw_values(plan))
        if key is not None:
            keyed.remember(key, self._answer(keyed))

    def _answer(self, plan: FieldPlan | KeyedPlans) -> tuple[tuple[int, GroupHits], ...]:
        """What a plan's memo keeps: the (group, hits) of its groups that hit, usually none
        (``()``: a benign request's answer allocates nothing)."""
        if self.loud.isdisjoint(plan.gidxs):
            return ()
        scans = self.scans
        return tuple([(gidx, scans[gidx]) for gidx in plan.gidxs if scans[gidx] is not NOTHING])

    def _install(self, plan: FieldPlan | KeyedPlans, known: tuple[tuple[int, object], ...]) -> None:
        quiet = plan.quiet
        if quiet is None:
            quiet = plan.quiet = dict.fromkeys(plan.gidxs, NOTHING)
        scans = self.scans
        scans.update(quiet)  # type: ignore[arg-type]
        for gidx, found in known:
            scans[gidx] = found  # type: ignore[assignment]  # a GroupHits (FieldPlan.memo's values)
            self.loud.add(gidx)

    def _raw_values(self, plan: FieldPlan) -> FieldValues:
        raw = self._raw.get(plan.raw)
        if raw is None:
            field = plan.field
            kind = field.kind
            raw = self._json(field) if kind == "JsonBody" else EXTRACTORS[kind](field, self.request)
            if field.views:
                raw = self._with_views(field, raw)
            self._raw[plan.raw] = raw
        return raw

    def _scan_values(self, plan: FieldPlan, raw: FieldValues) -> None:
        computed = self._values
        for slot in plan.slots:
            if slot in computed:
                continue
            parent = slot.parent
            base = raw if parent is None else computed[parent]
            computed[slot] = transformed(base, slot) if (slot.step and base.values) else base
        scans = self.scans
        for gidx, group in plan.groups:
            if gidx in scans:
                continue
            fv = computed[group.slot]
            values = fv.values
            if fv.forced is not None:
                found = group_hits((fv.forced, {}))
            elif len(values) == 1:  # one value (path, query string, body): no dedup needed
                pair = values[0]
                pids = group.scan_value(pair[1]) if pair[1] else group.empty_hits
                found = group_hits((None, dict.fromkeys(pids, pair))) if pids else NOTHING
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
                found = group_hits((None, hits)) if hits else NOTHING
            scans[gidx] = found
            if found is not NOTHING:
                self.loud.add(gidx)

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
        found = self.detected_cache.get(k)
        if found is None:
            found = self.detected_cache[k] = detect(value)
        return found

    def evidence(self, condition: str, slot: Slot, name: str, value: str, pattern: str = "") -> None:
        self.details.append(detail_of(condition, slot, name, value, pattern))


def detail_of(condition: str, slot: Slot, name: str, value: str, pattern: str = "") -> MatchDetail:
    """The evidence of a leaf that matched ``value`` (its first ``EXCERPT`` characters)."""
    data = (value[:EXCERPT],) if not pattern else (value[:EXCERPT], pattern)
    return MatchDetail(condition, slot.field.location, data, name, slot.label, slot.chain, pattern)


def _uploads_as_text(request: WafRequest, found: FieldValues) -> FieldValues:
    """A managed group's ``Body`` of a multipart upload reads binary file parts as their printable
    text (``bodyregions.binary_uploads_as_text``), and a whole body of file bytes the same
    (``binary_body_as_text``): compressed image bytes are no attack text."""
    ctype = request.header_values("content-type")
    boundary = multipart_boundary(ctype[0]) if ctype else None
    if boundary is not None:
        text = binary_uploads_as_text(request.body, boundary)
    else:
        text = binary_body_as_text(request.body)
    return found if text is None else values_of(((("", body_text(text)),) + found.values[1:], None))
