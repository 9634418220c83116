"""Per-field plans: one request field extracted, transformed and scanned by every group at once.

A benign request needs every pattern group's scan anyway (a rule group is skipped only when none
of its groups hit), so asking for the groups one at a time only added Python calls: a
``ctx.scan(gidx)`` per group, a ``_compute`` per (field, chain) slot, an extractor dispatch per
field. A ``FieldPlan`` lists, per distinct field (``RawSlot``), the slots its groups need (with
every chain-prefix parent, parents first) and the groups; the evaluator's first question about
any group of the field computes the lot in one loop. Scans are pure functions of the request,
so computing one early can never change a decision; it only moves work (a request that a rule
blocks before the group is asked pays for the field's other scans).

For the same reason plans remember whole answers: the scans of every group of the
header-derived fields, keyed by the request's headers (a browser sends the same headers on every
request; ``engine.memo`` has the policy and the bounds) so a hit extracts nothing; the method's,
keyed by the method; and (``FieldPlan.memo``) those of any other field whose one value is empty
(an absent body: a handful of keys).

The path's and the query string's plans are keyed by the request's raw ``uri_path`` /
``query_string`` (``by_request``), asked before extracting anything: their values, carrier views
included, are functions of that one string. A site serves a bounded set of hot paths, and
listing pages repeat their query strings (``?page=2``); a string never seen again costs one
dictionary miss and one insert, under ``engine.memo``'s bounds.

Plans keyed by the same request attribute share one memo (``KeyedPlans``): the default ACL
inspects a dozen header-derived fields (``Headers``, ``HeaderOrder``, ten ``SingleHeader``s) and
two path fields. One lookup per attribute, not per field: a request's headers tuple is hashed
and compared once (a tuple caches no hash: each lookup re-hashed it and compared it element by
element, ~4 k instructions per header field on a browser's request).
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from wafproxy.engine.fields import FieldSpec
from wafproxy.engine.memo import MAX_CHARS, MAX_ENTRIES
from wafproxy.engine.patterngroups import PatternGroup
from wafproxy.engine.slots import RawSlot, Slot

#: Field kinds whose values (carrier views included: ``views.cookie_views``) are a function of
#: ``WafRequest.headers`` alone (``tests/engine/test_memo.py`` checks it).
HEADER_KINDS = frozenset({"Headers", "HeaderOrder", "SingleHeader", "Cookies"})
#: Field kinds whose values (views included) are a function of one ``WafRequest`` string.
REQUEST_STRING_KINDS = {"UriPath": "uri_path", "QueryString": "query_string", "Method": "method"}


class FieldPlan:
    __slots__ = (
        "raw",
        "field",
        "slots",
        "groups",
        "memo",
        "by_headers",
        "by_request",
        "gidxs",
        "quiet",
        "keyed",
    )

    def __init__(self, raw: RawSlot, slots: tuple[Slot, ...], groups: tuple[tuple[int, PatternGroup], ...]):
        self.raw = raw
        self.field: FieldSpec = raw.field
        self.slots = slots  # parents before children
        self.groups = groups  # (group index, group)
        self.gidxs = tuple(gidx for gidx, _ in groups)
        # Every group's index mapped to the context's "no hit" answer (filled by ``EvalContext``).
        self.quiet: dict[int, object] | None = None
        # extracted values -> ((group index, scan result), ...) of the groups with hits
        # (``remember``; the others had none: usually ``()``, one shared object)
        self.memo: dict[tuple[tuple[str, str], ...], tuple[tuple[int, object], ...]] = {}
        # Extracted from ``request.headers`` alone: the memo is keyed by them, asked before
        # extracting anything (``EvalContext._scan_field``).
        self.by_headers = raw.field.kind in HEADER_KINDS
        # The ``WafRequest`` attribute keying the memo of a path or query-string plan, else None.
        self.by_request: str | None = REQUEST_STRING_KINDS.get(raw.field.kind)
        # The shared memo of every plan keyed by the same request attribute (``field_plans``).
        self.keyed: KeyedPlans | None = None

    def remember(self, values: tuple[tuple[str, str], ...], answer: tuple[tuple[int, object], ...]) -> None:
        """Keep ``answer`` for a single empty value (an absent body: a handful of keys); other
        values of a field not keyed by a request attribute rarely repeat."""
        if len(values) == 1 and not values[0][1]:
            self._keep(values, answer)

    def _keep(self, key: object, answer: tuple[tuple[int, object], ...]) -> None:
        memo = self.memo
        if len(memo) >= MAX_ENTRIES:
            memo.clear()
        memo[key] = answer  # type: ignore[index]

    def __repr__(self) -> str:
        return f"FieldPlan({self.field.describe()}, {len(self.slots)} slots, {len(self.groups)} groups)"


class KeyedPlans:
    """The plans whose values are a function of one request attribute (``attr``: ``headers``,
    ``uri_path``, ``query_string``, ``method``), scanned together and remembered under one key:
    ``memo`` maps the attribute's value to the (group index, scan result) of their groups that
    hit (``()`` for none), bounded as ``engine.memo`` says."""

    __slots__ = ("attr", "plans", "gidxs", "quiet", "memo", "by_headers", "empty_body")

    def __init__(self, attr: str, plans: tuple[FieldPlan, ...], empty_body: bool = False) -> None:
        self.attr = attr
        # The body fields, keyed by the headers only while the body is empty (``keyed_plans``).
        self.empty_body = empty_body
        self.plans = plans
        self.gidxs = tuple(gidx for plan in plans for gidx in plan.gidxs)
        self.quiet: dict[int, object] | None = None  # every group -> "no hit" (``EvalContext``)
        self.memo: dict[object, tuple[tuple[int, object], ...]] = {}
        self.by_headers = attr == "headers"

    def remember(self, key: Any, answer: tuple[tuple[int, object], ...]) -> None:
        """Keep ``answer`` for ``key`` when small: headers up to ``MAX_CHARS`` in all (names and
        values), a string up to ``MAX_CHARS``."""
        if self.by_headers:
            pairs: tuple[tuple[str, str], ...] = key
            if sum(map(len, chain.from_iterable(pairs))) > MAX_CHARS:
                return
        elif len(key) > MAX_CHARS:
            return
        memo = self.memo
        if len(memo) >= MAX_ENTRIES:
            memo.clear()
        memo[key] = answer

    def __repr__(self) -> str:
        return f"KeyedPlans({self.attr}, {len(self.plans)} plans, {len(self.gidxs)} groups)"


def keyed_plans(plans: tuple[FieldPlan, ...]) -> tuple[KeyedPlans, ...]:
    """Link every ``by_headers`` / ``by_request`` plan to the shared memo of its attribute; the
    body fields' plans, last, as one ``empty_body`` group: a request without a body (a GET, no
    ``body_size``) has body values that are a function of its headers alone (the media type
    picks the carrier views, which find nothing in ""), so they are remembered by the headers
    then, and computed as usual otherwise (``EvalContext.scan_all``)."""
    by_attr: dict[str, list[FieldPlan]] = {}
    bodies: list[FieldPlan] = []
    for plan in dict.fromkeys(plans):
        attr = "headers" if plan.by_headers else plan.by_request
        if attr is not None:
            by_attr.setdefault(attr, []).append(plan)
        elif plan.field.is_body:
            bodies.append(plan)
    out = []
    for attr, members in by_attr.items():
        keyed = KeyedPlans(attr, tuple(members))
        for plan in members:
            plan.keyed = keyed
        out.append(keyed)
    if bodies:
        out.append(KeyedPlans("headers", tuple(bodies), empty_body=True))
    return tuple(out)


def field_plans(groups: tuple[PatternGroup, ...]) -> tuple[FieldPlan, ...]:
    """Index ``i``: the plan of the field group ``i`` inspects (shared by that field's groups)."""
    by_raw: dict[RawSlot, list[int]] = {}
    for gidx, group in enumerate(groups):
        by_raw.setdefault(group.slot.raw, []).append(gidx)
    plans: dict[RawSlot, FieldPlan] = {}
    for raw, members in by_raw.items():
        needed: dict[Slot, None] = {}
        for gidx in members:
            slot: Slot | None = groups[gidx].slot
            while slot is not None and slot not in needed:
                needed[slot] = None
                slot = slot.parent
        # A parent's chain is a proper prefix of its child's: shorter chains first.
        ordered = tuple(sorted(needed, key=lambda s: len(s.chain)))
        plans[raw] = FieldPlan(raw, ordered, tuple((gidx, groups[gidx]) for gidx in members))
    return tuple(plans[group.slot.raw] for group in groups)
