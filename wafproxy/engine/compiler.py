"""``compile_web_acl``: a WebACL document in, an immutable ``CompiledWebACL`` out.

Compile once, evaluate many (STYLE principle 2): validation, reference resolution, IP tries and
pattern groups all happen here, so ``evaluate`` only walks prepared nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wafproxy.engine.actions import ResponseBody, RuleAction, parse_action, parse_bodies, parse_immunity
from wafproxy.engine.decision import DEFAULT_ACTION_RULE_ID, Action, Decision, RuleType
from wafproxy.engine.doc import Node
from wafproxy.engine.errors import WebAclError
from wafproxy.engine.fieldplan import FieldPlan, KeyedPlans, field_plans, keyed_plans
from wafproxy.engine.geo import GeoDatabase
from wafproxy.engine.model import classify
from wafproxy.engine.patterngroups import PatternGroup, PatternSetCache
from wafproxy.engine.plan import Step, plan, quiet_steps
from wafproxy.engine.resolve import EMPTY, Resolver
from wafproxy.engine.rules import CompiledRule, RuleScope, _visibility, compile_rules
from wafproxy.engine.statements import CompileContext
from wafproxy.engine.stmtmemo import memoize_rules

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_BODY_LIMIT = 16 * 1024  # AWS default for CloudFront, API Gateway, Cognito, App Runner, ...
_SIZE_LIMITS = {
    "KB_8": 8 * 1024,
    "KB_16": 16 * 1024,
    "KB_32": 32 * 1024,
    "KB_48": 48 * 1024,
    "KB_64": 64 * 1024,
}
_RESOURCE_TYPES = (
    "CLOUDFRONT",
    "API_GATEWAY",
    "COGNITO_USER_POOL",
    "APP_RUNNER_SERVICE",
    "VERIFIED_ACCESS_INSTANCE",
    "AGENTCORE_GATEWAY",
    "APPLICATION_LOAD_BALANCER",
)
AWS_MAX_CAPACITY = 5000  # AWS's maximum web ACL capacity (WCUs); pass it as ``max_capacity`` to enforce
_WEBACL_KEYS = (
    "Id",
    "ARN",
    "Description",
    "Rules",
    "Capacity",
    "PreProcessFirewallManagerRuleGroups",
    "PostProcessFirewallManagerRuleGroups",
    "ManagedByFirewallManager",
    "LabelNamespace",
    "CustomResponseBodies",
    "CaptchaConfig",
    "ChallengeConfig",
    "TokenDomains",
    "AssociationConfig",
    "RetrofittedByFirewallManager",
    "Scope",
    "Tags",
)


@dataclass(frozen=True, slots=True)
class CompiledWebACL:
    """An immutable evaluation plan. Swap the whole object on reload."""

    name: str
    default_action: RuleAction
    rules: tuple[CompiledRule, ...]
    steps: tuple[Step, ...]  # the rules as the evaluator walks them (see ``plan``)
    groups: tuple[PatternGroup, ...]
    body_inspection_limit: int
    capacity: int
    label_namespace: str
    token_domains: tuple[str, ...] = ()
    source: str = ""
    _ip_set_sizes: tuple[tuple[str, int], ...] = ()
    response_bodies: tuple[tuple[str, ResponseBody], ...] = ()
    captcha_immunity_seconds: int = 300  # CaptchaConfig / ChallengeConfig (for the adapter's tokens)
    challenge_immunity_seconds: int = 300
    # The decision of a request no rule matched and nothing labelled, indexed by ``oversize``:
    # the common case, built once here instead of once per request (``Decision`` is immutable).
    default_decisions: tuple[Decision, Decision] = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    # Per pattern group, the plan of the field it inspects (``fieldplan``), built once here.
    field_plans: tuple[FieldPlan, ...] = field(default=None, repr=False, compare=False)  # type: ignore[arg-type]
    # Every field plan once, keyed ones as their shared memo (``EvalContext.scan_all``).
    scan_order: tuple[FieldPlan | KeyedPlans, ...] = field(default=(), repr=False, compare=False)
    # ``steps`` for a request on which no pattern group hit (``quiet_steps``).
    quiet_steps: tuple[Step, ...] = field(default=(), repr=False, compare=False)
    # No rate-based rule anywhere (groups included): ``evaluation.evaluate_plain`` may decide.
    rate_free: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        default = self.default_action
        action = default.action
        blocks = action is Action.BLOCK
        made = tuple(
            Decision(
                action=action,
                terminating_rule_id=DEFAULT_ACTION_RULE_ID,
                terminating_rule_type=RuleType.REGULAR,
                custom_response=default.custom_response if blocks else None,
                inserted_headers=() if blocks else tuple(default.inserted_headers),
                oversize=oversize,
            )
            for oversize in (False, True)
        )
        object.__setattr__(self, "default_decisions", made)
        plans = field_plans(self.groups)
        object.__setattr__(self, "field_plans", plans)
        keyed = keyed_plans(plans)
        order = tuple(dict.fromkeys(plan for plan in plans if plan.keyed is None and not plan.field.is_body))
        object.__setattr__(self, "scan_order", keyed + order)
        object.__setattr__(self, "quiet_steps", quiet_steps(self.steps))
        object.__setattr__(self, "rate_free", not _has_rate_rule(self.rules))
        # The rules no pattern gates, which every request runs: remembered per request attribute.
        memoize_rules(self.steps, self.groups)
        for step in self.steps:
            group = getattr(step, "group", None)
            if group is not None:
                memoize_rules(group.quiet_steps, self.groups)

    @property
    def rule_names(self) -> list[str]:
        return [r.name for r in self.rules]

    def ip_set_sizes(self) -> dict[str, int]:
        return dict(self._ip_set_sizes)


def _has_rate_rule(rules: tuple[CompiledRule, ...]) -> bool:
    """Whether a rule of ``rules`` or of the groups they reference is rate-based."""
    stack = list(rules)
    while stack:
        rule = stack.pop()
        if rule.rate is not None:
            return True
        if rule.group is not None:
            stack.extend(rule.group.rules)
    return False


def compile_web_acl(
    document: object,
    *,
    resolver: Resolver | None = None,
    source: str = "",
    account: str = DEFAULT_ACCOUNT,
    geo: GeoDatabase | None = None,
    asn: GeoDatabase | None = None,
    ipv6_rate_prefix: int = 64,
    max_capacity: int | None = None,
    tls_fingerprints: bool = True,
    pattern_cache: PatternSetCache | None = None,
) -> CompiledWebACL:
    """Validate and compile a ``WebACL`` (bare or wrapped as ``get-web-acl`` prints it).

    The capacity (an estimate of AWS WCUs) is always computed and reported; it is only a limit
    when ``max_capacity`` is given (``AWS_MAX_CAPACITY`` to refuse what AWS would refuse): the
    engine's cost does not grow with WCUs the way AWS prices them. ``tls_fingerprints=False``
    (TLS terminated in front of us) makes JA3/JA4 fields a compile error instead of a fallback.
    ``pattern_cache`` (kept by the caller across reloads) reuses compiled pattern databases.
    Labels are namespaced by the document's ``LabelNamespace`` when it has one (exports do), else
    ``awswaf:<account>:webacl:<name>:``.
    """
    try:
        cc = CompileContext(resolver=resolver or EMPTY, geo=geo, asn=asn, fingerprints=tls_fingerprints)
        return _compile(document, cc, account, ipv6_rate_prefix, source, max_capacity, pattern_cache)
    except WebAclError as exc:
        raise exc.with_source(source) from None


def _compile(
    document: object,
    cc: CompileContext,
    account: str,
    ipv6_prefix: int,
    source: str,
    max_capacity: int | None,
    pattern_cache: PatternSetCache | None,
) -> CompiledWebACL:
    kind, node = classify(document)
    if kind != "WebACL":
        node.fail(f"expected a WebACL document, found a {kind}")
    node.obj(required=("Name", "DefaultAction", "VisibilityConfig"), optional=_WEBACL_KEYS)
    name = node.at("Name").name()
    _visibility(node.at("VisibilityConfig"))
    for key in ("PreProcessFirewallManagerRuleGroups", "PostProcessFirewallManagerRuleGroups"):
        fm = node.opt(key)
        if fm is not None and fm.items():
            fm.fail("Firewall Manager rule groups are not supported")
    for key in ("ManagedByFirewallManager", "RetrofittedByFirewallManager"):
        if (flag := node.opt(key)) is not None:
            flag.bool_()
    captcha = parse_immunity(node.opt("CaptchaConfig"))
    challenge = parse_immunity(node.opt("ChallengeConfig"))
    bodies = parse_bodies(node.opt("CustomResponseBodies"))
    default = parse_action(node.at("DefaultAction"), bodies, default=True)
    ns_node = node.opt("LabelNamespace")
    namespace = ns_node.str_(1, 1024) if ns_node else f"awswaf:{account}:webacl:{name}:"
    if not namespace.endswith(":"):
        namespace += ":"
    scope = RuleScope(namespace, bodies, f"{name}/", account, ipv6_prefix)
    rules_node = node.opt("Rules") or Node([], f"{node.path}.Rules")
    rules = compile_rules(rules_node, cc, scope)
    capacity = sum(r.capacity for r in rules)
    if max_capacity is not None and capacity > max_capacity:
        rules_node.fail(f"estimated capacity {capacity} WCUs exceeds the maximum of {max_capacity}")
    domains_node = node.opt("TokenDomains")
    domains = tuple(d.str_(1, 253) for d in domains_node.items()) if domains_node else ()
    return CompiledWebACL(
        name=name,
        default_action=default,
        rules=rules,
        steps=_link(cc, plan(rules)),
        groups=cc.patterns.build(pattern_cache),
        body_inspection_limit=_body_limit(node.opt("AssociationConfig")),
        capacity=capacity,
        label_namespace=namespace,
        token_domains=domains,
        source=source,
        _ip_set_sizes=tuple(sorted((k, len(v)) for k, v in cc.ip_tries.items())),
        response_bodies=tuple(sorted(bodies.items())),
        captcha_immunity_seconds=captcha,
        challenge_immunity_seconds=challenge,
    )


def _link(cc: CompileContext, steps: tuple[Step, ...]) -> tuple[Step, ...]:
    cc.slots.link()  # every statement is compiled: share chain prefixes between slots
    return steps


def _body_limit(node: Node | None) -> int:
    """``AssociationConfig.RequestBody``: we are one resource, so the largest limit given applies."""
    if node is None:
        return DEFAULT_BODY_LIMIT
    node.obj(optional=("RequestBody", "ChallengeJavascriptSdkInjection"))
    body = node.opt("RequestBody")
    if node.opt("ChallengeJavascriptSdkInjection") is not None:
        node.at("ChallengeJavascriptSdkInjection").fail("not supported")
    if body is None:
        return DEFAULT_BODY_LIMIT
    limits = []
    for rtype in body.obj(optional=_RESOURCE_TYPES):
        cfg = body.at(rtype)
        cfg.obj(required=("DefaultSizeInspectionLimit",))
        limits.append(_SIZE_LIMITS[cfg.at("DefaultSizeInspectionLimit").enum(tuple(_SIZE_LIMITS))])
    return max(limits, default=DEFAULT_BODY_LIMIT)
