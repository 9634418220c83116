"""Interned (field, transformation chain) slots: the unit of the per-request value cache.

Compilation interns each distinct ``FieldSpec`` and each distinct (field, chain) once; nodes hold
the interned objects, so the evaluator's caches key on object identity (a pointer hash) instead
of re-hashing a seven-field spec on every lookup.
"""

from __future__ import annotations

from wafproxy.engine.extract import FieldValues, values_of
from wafproxy.engine.fields import FieldSpec
from wafproxy.engine.memo import memo_for, memoized
from wafproxy.engine.transforms import Transform, apply_chain, compile_chain
from wafproxy.engine.transforms.identity import Guard, unchanged_chars, unchanged_guard

Chain = tuple[str, ...]


class RawSlot:
    """One distinct ``FieldSpec``: its untransformed values are extracted once per request."""

    __slots__ = ("field",)

    def __init__(self, field: FieldSpec) -> None:
        self.field = field

    def __repr__(self) -> str:
        return f"RawSlot({self.field.describe()})"


class Slot:
    """One distinct (field, chain): its transformed values are computed once per request.

    Chains share prefixes (managed rules apply ``URL_DECODE_UNI, HTML_ENTITY_DECODE, …`` and then
    one more step for some rules). After compilation ``SlotTable.link`` points each slot at its
    ``parent``: the slot of the same field whose chain is the longest proper prefix of this one
    *that some statement uses anyway*; the slot then applies only the remaining ``step``. Only
    existing slots are linked: materialising every intermediate prefix costs more per request
    than the transformations it saves (measured on the shipped managed groups) — except on a
    body, where a prefix two chains share is worth its slot (``SlotTable._add_shared_prefixes``).
    """

    __slots__ = (
        "field", "chain", "raw", "parent", "step", "unchanged", "triggers", "on_empty", "apply", "label",
        "memo",
    )  # fmt: skip

    def __init__(self, field: FieldSpec, chain: Chain, raw: RawSlot) -> None:
        self.field = field
        self.chain = chain
        self.raw = raw
        self.parent: Slot | None = None
        self.step: Chain = chain
        # True for a value ``step`` cannot change (transforms/identity.py): kept without work.
        self.unchanged: Guard | None = unchanged_guard(chain)
        # The same test as data, for short values (``identity.unchanged_chars``).
        self.triggers: tuple[frozenset[str], bool] | None = unchanged_chars(chain)
        # ``step`` applied to "" (computed once: absent bodies and emptied values are common).
        self.on_empty: str = apply_chain(chain, "")
        # Header values repeat across requests: their transformed values are memoised (``memo``).
        self.memo: dict[str, str] | None = memo_for(field.kind)  # type: ignore[assignment]
        # ``step`` as one function (``transforms.compile_chain``): no per-value name lookups.
        self.apply: Transform = self._compiled(chain)
        self.label: str = field.describe()  # for evidence, built once

    def _compiled(self, step: Chain) -> Transform:
        run = compile_chain(step)
        return memoized(run, self.memo) if (self.memo is not None and step) else run

    def __repr__(self) -> str:
        return f"Slot({self.field.describe()}, {'>'.join(self.chain) or 'NONE'})"


class SlotTable:
    def __init__(self) -> None:
        self._raw: dict[FieldSpec, RawSlot] = {}
        self._slots: dict[tuple[FieldSpec, Chain], Slot] = {}

    def get(self, field: FieldSpec, chain: Chain) -> Slot:
        slot = self._slots.get((field, chain))
        if slot is None:
            raw = self._raw.get(field)
            if raw is None:
                raw = self._raw[field] = RawSlot(field)
            slot = self._slots[(field, chain)] = Slot(field, chain, raw)
        return slot

    def link(self) -> None:
        """Point every slot at the longest existing prefix of its chain (see ``Slot``)."""
        self._add_shared_prefixes()
        for (field, chain), slot in self._slots.items():
            for k in range(len(chain) - 1, 0, -1):
                parent = self._slots.get((field, chain[:k]))
                if parent is not None:
                    slot.parent, slot.step = parent, chain[k:]
                    slot.unchanged = unchanged_guard(slot.step)
                    slot.triggers = unchanged_chars(slot.step)
                    slot.on_empty = apply_chain(slot.step, "")
                    slot.apply = slot._compiled(slot.step)
                    break

    def _add_shared_prefixes(self) -> None:
        """A slot for each chain prefix that two chains of one body field share and no statement
        uses: the shared steps then run once per value, not once per chain. Bodies only: a slot
        costs a Python step per value, which a shared step saves only on long values (measured
        on the default ACL: the 2 KB form POST -3 % instructions, the GET's query string +2 %)."""
        by_field: dict[FieldSpec, list[Chain]] = {}
        for field, chain in self._slots:
            if field.is_body:
                by_field.setdefault(field, []).append(chain)
        for field, chains in by_field.items():
            for i, one in enumerate(chains):
                for other in chains[i + 1 :]:
                    k = 0
                    while k < min(len(one), len(other)) and one[k] == other[k]:
                        k += 1
                    if 0 < k < min(len(one), len(other)):
                        self.get(field, one[:k])

    def __len__(self) -> int:
        return len(self._slots)


SHORT = 32  # characters: up to this, one ``frozenset.isdisjoint`` beats a Python guard call


def transformed(base: FieldValues, slot: Slot) -> FieldValues:
    """``base`` after ``slot.step``; values the step cannot change are kept without calling it,
    and when none changes, ``base`` itself is returned (no allocation)."""
    apply = slot.apply
    unchanged = slot.unchanged
    if unchanged is None:
        on_empty = slot.on_empty
        return values_of((tuple([(n, apply(v) if v else on_empty) for n, v in base.values]), base.forced))
    triggers, ascii_only = slot.triggers  # type: ignore[misc]  # set whenever ``unchanged`` is
    out: list[tuple[str, str]] | None = None
    values = base.values
    for i, pair in enumerate(values):
        value = pair[1]
        # Also every "" (no guarded step turns "" into something else).
        if (
            (triggers.isdisjoint(value) and (not ascii_only or value.isascii()))
            if len(value) <= SHORT
            else unchanged(value)
        ):
            if out is not None:
                out.append(pair)
            continue
        if out is None:
            out = list(values[:i])
        out.append((pair[0], apply(value)))
    if out is None:
        return base
    return values_of((tuple(out), base.forced))
