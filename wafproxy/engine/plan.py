"""Evaluation plans: runs of pattern-gated rules are skipped in bulk.

A rule whose statement can only match if some pattern of some group hit (a ``PatternMatch``, an
``Or`` of them, an ``And`` containing one) is "gated" by those (group, pattern id) pairs. A run of
consecutive gated rules becomes one ``PatternBlock``: the evaluator scans the run's groups (each
once per request, as it would anyway), collects the rules whose gate fired, and evaluates only
those, in priority order. So a benign request costs one scan per group, not one Python call per
rule: 1,000 ByteMatch rules cost little more than 10. Pattern scans do not depend on labels, so
skipping a rule whose gate did not fire can never change a decision.

An ``And`` with several gated children needs *every* child's gate: the block indexes the rule
under its smallest gate and keeps the others (``also``); a candidate whose other gates did not
fire is skipped without running its statement (the protocol group's "content-length and method
GET" rules fire on the method of every GET otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wafproxy.engine.nodes import AndMatch, OrMatch, PatternMatch, Stmt
from wafproxy.engine.rules import CompiledRule

Gate = frozenset[tuple[int, int]]
MIN_BLOCK = 2


@dataclass(frozen=True, slots=True)
class PatternBlock:
    rules: tuple[CompiledRule, ...]
    by_hit: dict[tuple[int, int], tuple[int, ...]]  # (group, pattern id) -> rule positions
    by_group: dict[int, tuple[int, ...]]  # group -> positions gated on it (forced MATCH fields)
    group_items: tuple[tuple[int, tuple[int, ...]], ...] = ()  # by_group's items, for the hot loop
    group_set: frozenset[int] = frozenset()  # by_group's keys: "did any of them hit" is one set test
    # position -> the rule's other required gates, each as ((group, pattern ids), ...) (``And``)
    also: dict[int, tuple[tuple[tuple[int, frozenset[int]], ...], ...]] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        object.__setattr__(self, "group_items", tuple(self.by_group.items()))
        object.__setattr__(self, "group_set", frozenset(self.by_group))
        if self.also is None:
            object.__setattr__(self, "also", {})


Step = CompiledRule | PatternBlock


def quiet_steps(steps: Sequence[Step]) -> tuple[Step, ...]:
    """``steps`` as a request on which no pattern group hit (nor a field forced a verdict) walks
    them: a ``PatternBlock`` cannot fire, nor can a rule group whose every step is one (``gates``);
    the evaluator skips them without a test each (``evaluation.evaluate_steps``)."""
    return tuple(
        step
        for step in steps
        if step.__class__ is not PatternBlock
        and (step.group is None or step.group.gates is None)  # type: ignore[union-attr]
    )


def gate(stmt: Stmt | None) -> Gate | None:
    """A set of (group, id) pairs one of which must hit for ``stmt`` to match; None if unknown."""
    gates = all_gates(stmt)
    return None if gates is None else gates[0]


def all_gates(stmt: Stmt | None) -> tuple[Gate, ...] | None:
    """Gates that must *all* fire for ``stmt`` to match, smallest first; None if none is known."""
    if isinstance(stmt, AndMatch):
        found = [g for g in (all_gates(child) for child in stmt.children) if g is not None]
        if not found:
            return None
        unique = list(dict.fromkeys(g for gates in found for g in gates))
        return tuple(sorted(unique, key=len))  # stable: equal sizes keep statement order
    single = _any_gate(stmt)
    return None if single is None else (single,)


def _any_gate(stmt: Stmt | None) -> Gate | None:
    if isinstance(stmt, PatternMatch):
        return frozenset((stmt.group, pid) for pid in stmt.ids)
    if isinstance(stmt, OrMatch):
        parts = [gate(child) for child in stmt.children]
        if any(p is None for p in parts):
            return None
        return frozenset().union(*parts)  # type: ignore[arg-type]
    return None


def plan(rules: Sequence[CompiledRule]) -> tuple[Step, ...]:
    steps: list[Step] = []
    run: list[tuple[CompiledRule, tuple[Gate, ...]]] = []

    def flush() -> None:
        if len(run) >= MIN_BLOCK:
            steps.append(_block(run))
        else:
            steps.extend(r for r, _ in run)
        run.clear()

    for rule in rules:
        g = all_gates(rule.statement) if rule.group is None and rule.rate is None else None
        if g is None:
            flush()
            steps.append(rule)
        else:
            run.append((rule, g))
    flush()
    return tuple(steps)


def _by_group(g: Gate) -> tuple[tuple[int, frozenset[int]], ...]:
    groups: dict[int, set[int]] = {}
    for gidx, pid in sorted(g):
        groups.setdefault(gidx, set()).add(pid)
    return tuple((gidx, frozenset(pids)) for gidx, pids in groups.items())


def _block(run: list[tuple[CompiledRule, tuple[Gate, ...]]]) -> PatternBlock:
    by_hit: dict[tuple[int, int], list[int]] = {}
    by_group: dict[int, list[int]] = {}
    also = {pos: tuple(map(_by_group, gates[1:])) for pos, (_, gates) in enumerate(run) if len(gates) > 1}
    for pos, (_, gates) in enumerate(run):
        g = gates[0]
        for key in g:
            by_hit.setdefault(key, []).append(pos)
            positions = by_group.setdefault(key[0], [])
            if not positions or positions[-1] != pos:
                positions.append(pos)
    return PatternBlock(
        tuple(r for r, _ in run),
        {k: tuple(v) for k, v in by_hit.items()},
        {k: tuple(v) for k, v in by_group.items()},
        also=also,
    )
