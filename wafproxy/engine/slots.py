"""Interned (field, transformation chain) slots: the unit of the per-request value cache.

Compilation interns each distinct ``FieldSpec`` and each distinct (field, chain) once; nodes hold
the interned objects, so the evaluator's caches key on object identity (a pointer hash) instead
of re-hashing a seven-field spec on every lookup.
"""

from __future__ import annotations

from wafproxy.engine.fields import FieldSpec

Chain = tuple[str, ...]


class RawSlot:
    """One distinct ``FieldSpec``: its untransformed values are extracted once per request."""

    __slots__ = ("field",)

    def __init__(self, field: FieldSpec) -> None:
        self.field = field

    def __repr__(self) -> str:
        return f"RawSlot({self.field.describe()})"


class Slot:
    """One distinct (field, chain): its transformed values are computed once per request."""

    __slots__ = ("field", "chain", "raw")

    def __init__(self, field: FieldSpec, chain: Chain, raw: RawSlot) -> None:
        self.field = field
        self.chain = chain
        self.raw = raw

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

    def __len__(self) -> int:
        return len(self._slots)
