"""Compiling ``Rule`` lists: plain rules, rate-based rules, and rule group references.

Rule group references (``RuleGroupReferenceStatement``, ``ManagedRuleGroupStatement``) are
compiled per reference, so ``ExcludedRules`` and ``RuleActionOverrides`` are folded into the
group's rule actions once, and labels get the namespace AWS gives them:
``awswaf:<account>:webacl:<acl>:`` for the web ACL's own rules, the group's ``LabelNamespace``
(or ``awswaf:<account>:rulegroup:<group>:``) for a rule group, and
``awswaf:managed:<vendor>:<group>:`` for a managed group without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from wafproxy.engine.actions import (
    COUNT,
    ResponseBody,
    RuleAction,
    parse_action,
    parse_bodies,
    parse_immunity,
    parse_override,
)
from wafproxy.engine.decision import RuleType
from wafproxy.engine.doc import Node
from wafproxy.engine.errors import WebAclError
from wafproxy.engine.model import RuleGroup
from wafproxy.engine.nodes import Stmt
from wafproxy.engine.ratebased import RateSpec, parse_rate_based
from wafproxy.engine.statements import ALL_STATEMENTS, STATEMENTS, CompileContext, compile_statement

MAX_RULES = 1500
_RULE_KEYS = ("Name", "Priority", "Statement", "VisibilityConfig")
_RULE_OPTIONAL = ("Action", "OverrideAction", "RuleLabels", "CaptchaConfig", "ChallengeConfig")


@dataclass(frozen=True, slots=True)
class GroupRef:
    name: str
    rule_type: RuleType  # GROUP or MANAGED_RULE_GROUP
    scope_down: Stmt | None
    rules: tuple[CompiledRule, ...]
    count_override: bool  # OverrideAction Count: the group's terminating result becomes Count
    steps: tuple[
        Any, ...
    ] = ()  # ``plan.plan(rules)`` (CompiledRule | PatternBlock): what the evaluator walks
    # When every step is a PatternBlock: all pattern groups gating its rules. A request on which
    # none of them hit skips the whole group at once (the managed groups, on benign traffic).
    gates: tuple[int, ...] | None = None
    gate_set: frozenset[int] = frozenset()  # ``gates`` as a set (the evaluator's set tests)
    # ``steps`` without their PatternBlocks: what a request no pattern group hit walks.
    quiet_steps: tuple[Any, ...] = ()
    # Every pattern group gating a rule of one of ``steps``' PatternBlocks: a request on which
    # none of these hit walks ``quiet_steps`` (its blocks cannot fire), whatever else hit.
    block_set: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        items = [getattr(step, "group_items", None) for step in self.steps]
        quiet = tuple(s for s, i in zip(self.steps, items, strict=True) if i is None)
        object.__setattr__(self, "quiet_steps", quiet)
        blocks = frozenset(gidx for block in items if block is not None for gidx, _ in block)
        object.__setattr__(self, "block_set", blocks)
        if items and all(i is not None for i in items):
            gates = sorted({gidx for block in items for gidx, _ in block})  # type: ignore[union-attr]
            object.__setattr__(self, "gates", tuple(gates))
            object.__setattr__(self, "gate_set", frozenset(gates))


@dataclass(frozen=True, slots=True)
class CompiledRule:
    name: str
    priority: int
    action: RuleAction  # for a group reference: what its terminating rule did is used instead
    labels: tuple[str, ...]
    statement: Stmt | None = None
    rate: RateSpec | None = None
    group: GroupRef | None = None
    rate_id: str = ""
    capacity: int = 0
    # The rule's own CaptchaConfig / ChallengeConfig immunity time, when it sets one.
    captcha_immunity: int | None = None
    challenge_immunity: int | None = None

    @property
    def rule_type(self) -> RuleType:
        if self.group is not None:
            return self.group.rule_type
        return RuleType.RATE_BASED if self.rate is not None else RuleType.REGULAR


@dataclass(slots=True)
class RuleScope:
    """Where a rule list lives: its label namespace, its response bodies, its id prefix."""

    namespace: str
    bodies: Mapping[str, ResponseBody]
    rate_prefix: str
    account: str
    ipv6_prefix: int
    in_group: bool = False


def compile_rules(node: Node, cc: CompileContext, scope: RuleScope) -> tuple[CompiledRule, ...]:
    outer = cc.namespace
    cc.namespace = scope.namespace
    try:
        return _compile_rules(node, cc, scope)
    finally:
        cc.namespace = outer


def _compile_rules(node: Node, cc: CompileContext, scope: RuleScope) -> tuple[CompiledRule, ...]:
    names: dict[str, str] = {}
    priorities: dict[int, str] = {}
    rules = []
    for item in node.items(max_len=MAX_RULES):
        item.obj(required=_RULE_KEYS, optional=_RULE_OPTIONAL)
        name = item.at("Name").name()
        if name in names:
            item.at("Name").fail(f"duplicate rule name {name!r} (also at {names[name]})")
        names[name] = item.path
        prio = item.at("Priority").int_(0)
        if prio in priorities:
            item.at("Priority").fail(f"duplicate priority {prio} (also rule {priorities[prio]!r})")
        priorities[prio] = name
        _visibility(item.at("VisibilityConfig"))
        rules.append(_compile_rule(item, name, prio, cc, scope))
    return tuple(sorted(rules, key=lambda r: r.priority))


def _compile_rule(item: Node, name: str, prio: int, cc: CompileContext, scope: RuleScope) -> CompiledRule:
    labels = _labels(item.opt("RuleLabels"), scope.namespace)
    captcha_node, challenge_node = item.opt("CaptchaConfig"), item.opt("ChallengeConfig")
    captcha = parse_immunity(captcha_node) if captcha_node else None
    challenge = parse_immunity(challenge_node) if challenge_node else None
    kind, inner = item.at("Statement").one_of(ALL_STATEMENTS)
    is_group = kind in ("RuleGroupReferenceStatement", "ManagedRuleGroupStatement")
    if is_group:
        if scope.in_group:
            inner.fail("a rule group cannot reference another rule group")
        if item.has("Action"):
            item.at("Action").fail("a rule group reference takes OverrideAction, not Action")
        if labels:
            item.at("RuleLabels").fail(
                "not supported on a rule group reference: the group's rules add labels"
            )
        override_node = item.opt("OverrideAction")
        if override_node is None:
            item.fail("a rule group reference requires OverrideAction (None or Count)")
        group, cost = _group_ref(kind, inner, cc, scope, name, parse_override(override_node))
        return CompiledRule(name, prio, COUNT, labels, group=group, capacity=cost)
    if item.has("OverrideAction"):
        item.at("OverrideAction").fail("OverrideAction is only valid on rule group references; use Action")
    action = parse_action(item.at("Action"), scope.bodies)
    if kind == "RateBasedStatement":
        rate, cost = parse_rate_based(inner, cc, scope.ipv6_prefix)
        return CompiledRule(
            name,
            prio,
            action,
            labels,
            rate=rate,
            rate_id=scope.rate_prefix + name,
            capacity=cost,
            captcha_immunity=captcha,
            challenge_immunity=challenge,
        )
    stmt, cost = compile_statement(item.at("Statement"), cc)
    return CompiledRule(
        name,
        prio,
        action,
        labels,
        statement=stmt,
        capacity=cost,
        captcha_immunity=captcha,
        challenge_immunity=challenge,
    )


def _group_ref(
    kind: str, node: Node, cc: CompileContext, scope: RuleScope, rule_name: str, count_override: bool
) -> tuple[GroupRef, int]:
    if kind == "RuleGroupReferenceStatement":
        node.obj(required=("ARN",), optional=("ExcludedRules", "RuleActionOverrides"))
        ref_node = node.at("ARN")
        ref = ref_node.str_(1, 2048)
        group = cc.resolver.rule_group(ref)
        if group is None:
            ref_node.fail(f"no RuleGroup named or with ARN {ref!r} was found")
        rule_type = RuleType.GROUP
        namespace = group.label_namespace or f"awswaf:{scope.account}:rulegroup:{group.name}:"
        scope_down = None
    else:
        node.obj(
            required=("VendorName", "Name"),
            optional=(
                "Version",
                "ExcludedRules",
                "ScopeDownStatement",
                "RuleActionOverrides",
                "ManagedRuleGroupConfigs",
            ),
        )
        vendor = node.at("VendorName").str_(1, 128)
        gname = node.at("Name").name()
        version_node = node.opt("Version")
        version = version_node.str_(1, 64) if version_node else ""
        found = cc.resolver.managed_rule_group(vendor, gname, version)
        if found is None:
            node.at("Name").fail(f"managed rule group {vendor}/{gname} is not available (rules/managed/)")
        if version and found.version and version != found.version:
            assert version_node is not None
            version_node.fail(
                f"version {version!r} is not available; the shipped version is {found.version!r}"
            )
        group = found
        configs = node.opt("ManagedRuleGroupConfigs")
        if configs is not None and configs.items():
            configs.fail("ManagedRuleGroupConfigs is not supported by the shipped managed groups")
        rule_type = RuleType.MANAGED_RULE_GROUP
        namespace = group.label_namespace or f"awswaf:managed:{vendor.lower()}:{group.name}:"
        sd = node.opt("ScopeDownStatement")
        scope_down = compile_statement(sd, cc)[0] if sd else None
    was_managed = cc.managed
    cc.managed = rule_type is RuleType.MANAGED_RULE_GROUP
    try:
        return _compile_group(
            group, node, cc, scope, rule_name, namespace, rule_type, scope_down, count_override
        )
    finally:
        cc.managed = was_managed


def _compile_group(
    group: RuleGroup,
    node: Node,
    cc: CompileContext,
    scope: RuleScope,
    rule_name: str,
    namespace: str,
    rule_type: RuleType,
    scope_down: Stmt | None,
    count_override: bool,
) -> tuple[GroupRef, int]:
    bodies = parse_bodies(group.custom_response_bodies)
    inner_scope = RuleScope(
        namespace, bodies, f"{scope.rate_prefix}{rule_name}/", scope.account, scope.ipv6_prefix, in_group=True
    )
    try:
        rules = compile_rules(group.rules, cc, inner_scope)
    except WebAclError as exc:
        reason = f"in rule group {group.name} (referenced by rule {rule_name}): {exc.reason}"
        raise WebAclError(exc.path, reason, exc.source or group.source) from None
    by_name = {r.name: r for r in rules}
    overrides: dict[str, RuleAction] = {}
    excluded = node.opt("ExcludedRules")
    for item in excluded.items(max_len=100) if excluded else ():
        item.obj(required=("Name",))
        overrides[_known(item.at("Name"), by_name, group.name)] = COUNT
    ovr = node.opt("RuleActionOverrides")
    for item in ovr.items(max_len=100) if ovr else ():
        item.obj(required=("Name", "ActionToUse"))
        overrides[_known(item.at("Name"), by_name, group.name)] = parse_action(
            item.at("ActionToUse"), scope.bodies
        )
    rules = tuple(replace(r, action=overrides[r.name]) if r.name in overrides else r for r in rules)
    cost = group.capacity if group.capacity is not None else sum(r.capacity for r in rules)
    from wafproxy.engine.plan import plan

    return GroupRef(group.name, rule_type, scope_down, rules, count_override, plan(rules)), cost


def _known(node: Node, by_name: Mapping[str, CompiledRule], group: str) -> str:
    name = node.name()
    if name not in by_name:
        node.fail(f"rule group {group} has no rule named {name!r}")
    return name


def _labels(node: Node | None, namespace: str) -> tuple[str, ...]:
    if node is None:
        return ()
    out = []
    for item in node.items(max_len=100):
        item.obj(required=("Name",))
        label = item.at("Name").str_(1, 1024)
        if not label.isascii() or not all(c.isalnum() or c in "_-:" for c in label):
            item.at("Name").fail(f"{label!r} is not a valid label name ([0-9A-Za-z_-:])")
        out.append(namespace + label)
    return tuple(out)


def _visibility(node: Node) -> None:
    node.obj(required=("SampledRequestsEnabled", "CloudWatchMetricsEnabled", "MetricName"))
    node.at("SampledRequestsEnabled").bool_()
    node.at("CloudWatchMetricsEnabled").bool_()
    node.at("MetricName").str_(1, 255)


__all__ = ["CompiledRule", "GroupRef", "RuleScope", "compile_rules", "STATEMENTS"]
