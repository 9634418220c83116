"""Evaluating a compiled web ACL against one request.

AWS semantics (WAF developer guide, "How AWS WAF processes a web ACL"): rules in priority order;
a matching Count rule adds its labels and continues; the first terminating action (Allow, Block,
Captcha, Challenge) ends evaluation; else the default action. Labels from earlier rules are
visible to later rules. A rule group is evaluated in place; OverrideAction Count turns the group's
terminating result into a Count.

``evaluate_steps`` is a generator so the same pure code serves a sync driver (``evaluate``, an
in-memory ``RateStore``) and an async one (awaiting Redis between steps): it yields a
``RateCheck`` for each rate-based rule whose scope-down matches and expects ``True`` back when the
key is over its limit. ``evaluate_plain`` is the same walk as a plain function, for an ACL
without rate-based rules (``CompiledWebACL.rate_free``, the default ACL): nothing to yield, and
no ``StopIteration`` to catch for the decision.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from collections.abc import Set as AbstractSet

from wafproxy.engine.actions import RuleAction
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.engine.context import NOTHING, EvalContext
from wafproxy.engine.decision import DEFAULT_ACTION_RULE_ID, Action, Decision, RuleMatch, RuleType
from wafproxy.engine.plan import PatternBlock, Step
from wafproxy.engine.ratebased import rate_key
from wafproxy.engine.ratecheck import RateCheck
from wafproxy.engine.request import WafRequest
from wafproxy.engine.rules import CompiledRule
from wafproxy.ports import RateStore

Steps = Generator[RateCheck, bool, Decision]


class _Trail:
    __slots__ = ("matches", "counted", "headers")

    def __init__(self) -> None:
        self.matches: list[RuleMatch] = []
        self.counted: list[RuleMatch] = []
        self.headers: list[tuple[str, str]] = []


def evaluate_steps(compiled: CompiledWebACL, request: WafRequest) -> Steps:
    ctx = EvalContext(request, compiled.groups, compiled.field_plans)
    # Every pattern group first, field by field (one keyed lookup per request attribute): a
    # benign request needs them all. Scans are pure, so scanning a group a blocking rule would
    # never have reached changes no decision. When none hit (the benign case) the quiet steps
    # leave out every PatternBlock and every all-gated rule group (``plan.quiet_steps``).
    ctx.scan_all(compiled.scan_order)
    quiet = not ctx.loud
    trail = _Trail()
    for step in compiled.quiet_steps if quiet else compiled.steps:
        # A plain loop with a PatternBlock expanded in place (``_fired``), not a generator:
        # one resumption per top-level rule was a measurable share of a benign request.
        if step.__class__ is PatternBlock:
            todo: tuple[CompiledRule, ...] = _fired(step, ctx)  # type: ignore[arg-type]
            if not todo:
                continue
        else:
            todo = (step,)  # type: ignore[assignment]
        for rule in todo:
            if rule.group is None:
                if rule.rate is None:
                    if not rule.statement.match(ctx):  # type: ignore[union-attr]
                        ctx.details.clear()  # ``_record``'s no-match case, without the call
                        continue
                    hit = _record(rule, ctx, trail, None, True)
                else:
                    hit = yield from _rate_rule(rule, ctx, trail, None)
                if hit is not None:
                    return _rule_decision(compiled, ctx, trail, rule, hit)
                continue
            group = rule.group
            if group.scope_down is not None:
                in_scope = group.scope_down.match(ctx)
                ctx.details.clear()  # the scope-down's evidence explains no rule
                if not in_scope:
                    continue
            if group.gates is not None and ctx.loud.isdisjoint(group.gate_set):
                continue  # every rule is gated on a pattern and no pattern hit: nothing can match
            # Blocks fire only on their own groups' hits: when none of those hit (a GET's
            # method hit gates only the protocol group's blocks) the group walks its quiet steps,
            # which are the steps ``_walk`` would yield (every ``_fired`` empty). Every group was
            # scanned before the first rule (``scan_all``), so ``loud`` no longer changes.
            if quiet or ctx.loud.isdisjoint(group.block_set):
                inners: Iterable[CompiledRule] = group.quiet_steps
            else:
                inners = _walk(group.steps, ctx)
            for inner in inners:
                if inner.rate is None:
                    if not inner.statement.match(ctx):  # type: ignore[union-attr]
                        ctx.details.clear()
                        continue
                    hit = _record(inner, ctx, trail, group.name, True)
                else:
                    hit = yield from _rate_rule(inner, ctx, trail, group.name)
                if hit is None:
                    continue
                decision = _group_decision(compiled, ctx, trail, rule, inner, hit)
                if decision is None:
                    break  # the group's Count override: its first match ends the group
                return decision
    return _default_decision(compiled, ctx, trail)


def evaluate_plain(compiled: CompiledWebACL, request: WafRequest) -> Decision:
    """``evaluate_steps`` for an ACL without rate-based rules (``compiled.rate_free``), as a plain
    function: the same walk, the same ``Decision``, without a generator whose result arrives as a
    ``StopIteration`` (a traceback entry and a catch per request, ~3.9 k instructions compiled).

    It is ``evaluate_steps``' loop without the two rate-rule branches; a rate-based rule here is
    an error (``AssertionError``), never a silently unlimited rule.
    """
    assert compiled.rate_free, "evaluate_plain: the ACL has rate-based rules (use evaluate_steps)"
    ctx = EvalContext(request, compiled.groups, compiled.field_plans)
    ctx.scan_all(compiled.scan_order)
    quiet = not ctx.loud
    trail = _Trail()
    for step in compiled.quiet_steps if quiet else compiled.steps:
        if step.__class__ is PatternBlock:
            todo: tuple[CompiledRule, ...] = _fired(step, ctx)  # type: ignore[arg-type]
            if not todo:
                continue
        else:
            todo = (step,)  # type: ignore[assignment]
        for rule in todo:
            if rule.group is None:
                if not rule.statement.match(ctx):  # type: ignore[union-attr]
                    ctx.details.clear()
                    continue
                hit = _record(rule, ctx, trail, None, True)
                if hit is not None:
                    return _rule_decision(compiled, ctx, trail, rule, hit)
                continue
            group = rule.group
            if group.scope_down is not None:
                in_scope = group.scope_down.match(ctx)
                ctx.details.clear()
                if not in_scope:
                    continue
            if group.gates is not None and ctx.loud.isdisjoint(group.gate_set):
                continue
            if quiet or ctx.loud.isdisjoint(group.block_set):
                inners: Iterable[CompiledRule] = group.quiet_steps
            else:
                inners = _walk(group.steps, ctx)
            for inner in inners:
                if not inner.statement.match(ctx):  # type: ignore[union-attr]
                    ctx.details.clear()
                    continue
                hit = _record(inner, ctx, trail, group.name, True)
                if hit is None:
                    continue
                decision = _group_decision(compiled, ctx, trail, rule, inner, hit)
                if decision is None:
                    break
                return decision
    return _default_decision(compiled, ctx, trail)


def _rule_decision(
    compiled: CompiledWebACL, ctx: EvalContext, trail: _Trail, rule: CompiledRule, hit: RuleMatch
) -> Decision:
    """The decision of a top-level rule's terminating match."""
    return _decide(ctx, trail, hit.action, rule.name, rule.rule_type, None, hit, rule.action,
                   _immunity(compiled, rule, hit.action))


def _group_decision(
    compiled: CompiledWebACL, ctx: EvalContext, trail: _Trail, rule: CompiledRule,
    inner: CompiledRule, hit: RuleMatch,
) -> Decision | None:
    """The decision of a group's rule's terminating match, or None under the group's Count
    override (the match is recorded as the group rule's Count and the walk goes on)."""
    group = rule.group
    assert group is not None
    if group.count_override:
        counted = RuleMatch(rule.name, Action.COUNT, group.name, group.rule_type, hit.details)
        trail.matches.append(counted)
        trail.counted.append(counted)
        return None
    return _decide(ctx, trail, hit.action, rule.name, group.rule_type, group.name, hit,
                   inner.action, _immunity(compiled, inner, hit.action))


def _default_decision(compiled: CompiledWebACL, ctx: EvalContext, trail: _Trail) -> Decision:
    """No rule terminated: the ACL's default action (prebuilt when nothing matched or labelled)."""
    request = ctx.request
    if not trail.matches and not ctx.labels:
        return compiled.default_decisions[request.body_size > len(request.body)]
    default = compiled.default_action
    trail.headers.extend(default.inserted_headers)
    return _decide(ctx, trail, default.action, DEFAULT_ACTION_RULE_ID, RuleType.REGULAR, None, None, default)


def _walk(steps: tuple[Step, ...], ctx: EvalContext) -> Iterator[CompiledRule]:
    """The rules to evaluate, in order; a ``PatternBlock`` yields only the rules its scans gate in."""
    for step in steps:
        if step.__class__ is not PatternBlock:
            yield step  # type: ignore[misc]
        else:
            yield from _fired(step, ctx)  # type: ignore[arg-type]


_NO_RULES: tuple[CompiledRule, ...] = ()


def _fired(block: PatternBlock, ctx: EvalContext) -> tuple[CompiledRule, ...]:
    """The rules of ``block`` whose gate fired on this request, in order.

    When none of the block's groups is loud (the benign case) that is one set test.
    """
    if _all_quiet(block.group_set, ctx):
        return _NO_RULES
    scans = ctx.scans
    positions: set[int] = set()
    by_hit = block.by_hit
    for gidx, gated in block.group_items:
        result = scans[gidx]
        if result is NOTHING:
            continue
        if result.forced is None:
            for pid in result.hits:
                positions.update(by_hit.get((gidx, pid), ()))
        elif result.forced:
            positions.update(gated)
    if not positions:
        return _NO_RULES
    rules = block.rules
    also = block.also
    if also and not also.keys().isdisjoint(positions):
        positions = {pos for pos in positions if pos not in also or _all_fired(also[pos], ctx)}
    return tuple([rules[pos] for pos in sorted(positions)])


def _all_fired(gates: tuple[tuple[tuple[int, frozenset[int]], ...], ...], ctx: EvalContext) -> bool:
    """Every gate (an ``And``'s other gated children) had a pattern hit, or a forced MATCH."""
    scans = ctx.scans
    for gate in gates:
        for gidx, pids in gate:
            result = scans.get(gidx) or ctx.scan(gidx)
            if result.forced if result.forced is not None else not pids.isdisjoint(result.hits):
                break
        else:
            return False
    return True


def _all_quiet(gates: AbstractSet[int], ctx: EvalContext) -> bool:
    """True when none of the pattern groups ``gates`` hit (or forced a verdict) on this request
    (every group was scanned first: ``EvalContext.scan_all``)."""
    loud = ctx.loud
    return not loud or loud.isdisjoint(gates)


def _rate_rule(
    rule: CompiledRule, ctx: EvalContext, trail: _Trail, group: str | None
) -> Generator[RateCheck, bool, RuleMatch | None]:
    """A rate-based rule: scope-down, aggregate key, then ask the driver whether it is over."""
    spec = rule.rate
    assert spec is not None
    matched = False
    if spec.scope_down is None or spec.scope_down.match(ctx):
        key = rate_key(spec, ctx)
        if isinstance(key, str):
            matched = bool((yield RateCheck(rule.rate_id, key, spec.limit, spec.window_seconds)))
        else:
            matched = key
    return _record(rule, ctx, trail, group, matched)


def _record(
    rule: CompiledRule, ctx: EvalContext, trail: _Trail, group: str | None, matched: bool
) -> RuleMatch | None:
    """After a rule ran: keep its evidence and labels if it matched. A terminating match is
    returned; a Count match is recorded on the trail and None returned.

    Evidence is what leaves appended to ``ctx.details`` while the rule ran (the list is empty
    between rules), so it is taken whole and cleared.
    """
    if not matched:
        ctx.details.clear()
        return None
    details = tuple(ctx.details)
    ctx.details.clear()
    for label in rule.labels:
        ctx.add_label(label)
    hit = RuleMatch(rule.name, rule.action.action, group, rule.rule_type, details)
    trail.matches.append(hit)
    if rule.action.terminates:
        return hit
    trail.counted.append(hit)
    trail.headers.extend(rule.action.inserted_headers)
    return None


def _immunity(compiled: CompiledWebACL, rule: CompiledRule, action: Action) -> int | None:
    if action is Action.CAPTCHA:
        return rule.captcha_immunity or compiled.captcha_immunity_seconds
    if action is Action.CHALLENGE:
        return rule.challenge_immunity or compiled.challenge_immunity_seconds
    return None


def _decide(
    ctx: EvalContext,
    trail: _Trail,
    action: Action,
    rule_id: str,
    rule_type: RuleType,
    group: str | None,
    hit: RuleMatch | None,
    rule_action: RuleAction,
    immunity: int | None = None,
) -> Decision:
    headers: tuple[tuple[str, str], ...] = ()
    if action is not Action.BLOCK:
        extra = rule_action.inserted_headers if hit is not None else ()
        headers = tuple(trail.headers) + tuple(extra)
    return Decision(
        action=action,
        terminating_rule_id=rule_id,
        terminating_rule_type=rule_type,
        terminating_rule_group=group,
        terminating_group_rule_id=hit.rule_name if (hit is not None and group is not None) else None,
        terminating_details=hit.details if hit is not None else (),
        labels=tuple(ctx.labels),
        non_terminating=tuple(trail.counted),
        matches=tuple(trail.matches),
        custom_response=rule_action.custom_response if action is Action.BLOCK else None,
        inserted_headers=headers,
        oversize=ctx.request.body_truncated,
        token_immunity_seconds=immunity,
    )


def evaluate(
    compiled: CompiledWebACL, request: WafRequest, rate_store: RateStore | None = None, now: float = 0.0
) -> Decision:
    """Drive ``evaluate_steps`` synchronously. Without a store, no key is ever over its limit."""
    if compiled.rate_free:
        return evaluate_plain(compiled, request)
    steps = evaluate_steps(compiled, request)
    try:
        check = next(steps)
        while True:
            over = rate_store.hit(check, now) if rate_store is not None else False
            check = steps.send(over)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
