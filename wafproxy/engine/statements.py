"""Statement compilers, one per AWS statement type, in a small registry.

``compile_statement(node, cc)`` turns a ``Statement`` object into a compiled node (see ``nodes``),
validating every field with its JSON path. Group references and rate-based statements are only
valid at the top of a rule; ``rules`` handles them and calls back here for scope-downs.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from wafproxy.engine.doc import Node
from wafproxy.engine.fields import FieldSpec, parse_field
from wafproxy.engine.geo import GeoDatabase
from wafproxy.engine.ipsets import IpTrie
from wafproxy.engine.nodes import (
    AndMatch,
    IPSetMatch,
    LabelMatch,
    NotMatch,
    OrMatch,
    PatternMatch,
    Stmt,
)
from wafproxy.engine.patterngroups import Chain, PatternGroupBuilder
from wafproxy.engine.resolve import EMPTY, Resolver
from wafproxy.engine.slots import SlotTable
from wafproxy.engine.sourceip import parse_forwarded
from wafproxy.engine.views import VIEW_KINDS

LABEL_PREFIX = "awswaf:"
MANAGED_TEXT_MAX = 8192
MAX_DEPTH = 20  # nesting of And/Or/Not; AWS has no documented limit, ours keeps recursion bounded
POSITIONS = {
    "EXACTLY": "exactly",
    "STARTS_WITH": "starts_with",
    "ENDS_WITH": "ends_with",
    "CONTAINS": "contains",
    "CONTAINS_WORD": "contains_word",
}
TOP_LEVEL_ONLY = ("RateBasedStatement", "RuleGroupReferenceStatement", "ManagedRuleGroupStatement")
ALL_STATEMENTS = (
    "ByteMatchStatement",
    "SqliMatchStatement",
    "XssMatchStatement",
    "SizeConstraintStatement",
    "GeoMatchStatement",
    "RuleGroupReferenceStatement",
    "IPSetReferenceStatement",
    "RegexPatternSetReferenceStatement",
    "RateBasedStatement",
    "AndStatement",
    "OrStatement",
    "NotStatement",
    "ManagedRuleGroupStatement",
    "LabelMatchStatement",
    "RegexMatchStatement",
    "AsnMatchStatement",
)


@dataclass(slots=True)
class CompileContext:
    """What statement compilers share: references, pattern groups, databases, capacity."""

    resolver: Resolver = field(default_factory=lambda: EMPTY)
    patterns: PatternGroupBuilder = field(default_factory=PatternGroupBuilder)
    slots: SlotTable = field(default_factory=SlotTable)
    geo: GeoDatabase | None = None
    asn: GeoDatabase | None = None
    ip_tries: dict[str, IpTrie] = field(default_factory=dict)
    depth: int = 0
    fingerprints: bool = True  # JA3/JA4 are only known when the TLS handshake is ours
    # Compiling a shipped managed group (rules/managed/): AWS's size limits on *user* documents
    # (512-character regexes, 200-byte search strings) do not bind the vendor's own rules.
    managed: bool = False
    valid_regexes: set[str] = field(default_factory=set)
    namespace: str = ""  # label namespace of the rules being compiled (web ACL or rule group)

    def limit(self, user: int) -> int:
        return MANAGED_TEXT_MAX if self.managed else user


Compiler = Callable[[Node, CompileContext], tuple[Stmt, int]]  # (node, capacity units)
STATEMENTS: dict[str, Compiler] = {}


def statement(name: str) -> Callable[[Compiler], Compiler]:
    def register(func: Compiler) -> Compiler:
        STATEMENTS[name] = func
        return func

    return register


def compile_statement(node: Node, cc: CompileContext) -> tuple[Stmt, int]:
    """A nested statement (not a group reference, not rate-based)."""
    kind, inner = node.one_of(ALL_STATEMENTS)
    if kind in TOP_LEVEL_ONLY:
        inner.fail(f"{kind} is only allowed as the top-level statement of a rule")
    if cc.depth >= MAX_DEPTH:
        inner.fail(f"statements nested deeper than {MAX_DEPTH}")
    cc.depth += 1
    try:
        return STATEMENTS[kind](inner, cc)
    finally:
        cc.depth -= 1


def field_and_chain(node: Node, cc: CompileContext, *, views: bool = False) -> tuple[FieldSpec, Chain]:
    """``FieldToMatch`` and ``TextTransformations`` of a statement.

    ``views``: the statement can only gain matches from more values (a pattern or detector
    match), so a shipped managed group's statement of a carrier field (``views.VIEW_KINDS``)
    inspects the field's carrier views too. User documents keep AWS semantics exactly."""
    spec = parse_field(node.at("FieldToMatch"))
    if views and cc.managed and spec.kind in VIEW_KINDS:
        spec = replace(spec, views=True)
    if spec.kind in ("JA3Fingerprint", "JA4Fingerprint") and not cc.fingerprints:
        node.at("FieldToMatch").at(spec.kind).fail(
            f"{spec.kind} needs the TLS handshake, which this deployment does not terminate"
        )
    return spec, parse_chain(node.at("TextTransformations"))


def parse_chain(node: Node) -> Chain:
    """``TextTransformations``: unique priorities, applied lowest first; NONE is the identity."""
    from wafproxy.engine.transforms import TRANSFORMS, UNSUPPORTED

    seen: dict[int, str] = {}
    for item in node.items(min_len=1, max_len=10):
        item.obj(required=("Priority", "Type"))
        prio = item.at("Priority").int_(0)
        type_node = item.at("Type")
        name = type_node.str_()
        if name in UNSUPPORTED:
            type_node.fail(f"text transformation {name} is not supported: {UNSUPPORTED[name]}")
        if name not in TRANSFORMS:
            type_node.enum(sorted(TRANSFORMS))
        if prio in seen:
            item.at("Priority").fail(f"duplicate transformation priority {prio}")
        seen[prio] = name
    return tuple(seen[p] for p in sorted(seen) if seen[p] != "NONE")


def _transform_cost(chain: Chain) -> int:
    return 10 * len(chain)


@statement("ByteMatchStatement")
def _byte_match(node: Node, cc: CompileContext) -> tuple[Stmt, int]:
    node.obj(
        required=("FieldToMatch", "TextTransformations", "PositionalConstraint"),
        optional=("SearchString", "SearchStringBase64"),
    )
    spec, chain = field_and_chain(node, cc)
    position = node.at("PositionalConstraint").enum(tuple(POSITIONS))
    has_plain, b64 = node.opt("SearchString"), node.opt("SearchStringBase64")
    if (has_plain is None) == (b64 is None):
        node.fail("exactly one of SearchString (plain text) or SearchStringBase64 is required")
    if has_plain is not None:
        text = has_plain.str_(1, cc.limit(200))
    else:
        assert b64 is not None
        try:
            text = base64.b64decode(b64.str_(1, cc.limit(200) * 2), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            b64.fail("not valid base64 of UTF-8 text")
        if not text or len(text) > cc.limit(200):
            b64.fail(f"the decoded search string must be 1 to {cc.limit(200)} characters")
    gidx, pid = cc.patterns.add(cc.slots.get(spec, chain), POSITIONS[position], text)
    cost = 2 if position in ("EXACTLY", "STARTS_WITH", "ENDS_WITH") else 3
    return PatternMatch(gidx, frozenset({pid}), "BYTE_MATCH", text), cost + _transform_cost(chain)


@statement("AndStatement")
def _and(node: Node, cc: CompileContext) -> tuple[Stmt, int]:
    node.obj(required=("Statements",))
    parts = [compile_statement(n, cc) for n in node.at("Statements").items(min_len=2)]
    return AndMatch(tuple(s for s, _ in parts)), 1 + sum(c for _, c in parts)


@statement("OrStatement")
def _or(node: Node, cc: CompileContext) -> tuple[Stmt, int]:
    node.obj(required=("Statements",))
    parts = [compile_statement(n, cc) for n in node.at("Statements").items(min_len=2)]
    return OrMatch(tuple(s for s, _ in parts)), 1 + sum(c for _, c in parts)


@statement("NotStatement")
def _not(node: Node, cc: CompileContext) -> tuple[Stmt, int]:
    node.obj(required=("Statement",))
    child, cost = compile_statement(node.at("Statement"), cc)
    return NotMatch(child), 1 + cost


@statement("IPSetReferenceStatement")
def _ip_set(node: Node, cc: CompileContext) -> tuple[Stmt, int]:
    node.obj(required=("ARN",), optional=("IPSetForwardedIPConfig",))
    ref_node = node.at("ARN")
    ref = ref_node.str_(1, 2048)
    ip_set = cc.resolver.ip_set(ref)
    if ip_set is None:
        ref_node.fail(f"no IPSet named or with ARN {ref!r} was found")
    trie = cc.ip_tries.get(ip_set.name)
    if trie is None:
        trie = cc.ip_tries[ip_set.name] = IpTrie(ip_set.addresses)
    fwd_node = node.opt("IPSetForwardedIPConfig")
    fwd = parse_forwarded(fwd_node, with_position=True) if fwd_node else None
    return IPSetMatch(trie, ip_set.name, fwd), 1 if fwd is None else 2


@statement("LabelMatchStatement")
def _label(node: Node, cc: CompileContext) -> tuple[Stmt, int]:
    node.obj(required=("Scope", "Key"))
    scope = node.at("Scope").enum(("LABEL", "NAMESPACE"))
    key_node = node.at("Key")
    key = key_node.str_(1, 1024)
    if not all(c.isalnum() or c in "_-:" for c in key) or not key.isascii():
        key_node.fail(f"{key!r} is not a valid label key ([0-9A-Za-z_-:])")
    if scope == "NAMESPACE" and not key.endswith(":"):
        key_node.fail(f"a NAMESPACE key must end with ':', got {key!r}")
    if scope == "LABEL" and key.endswith(":"):
        key_node.fail(f"a LABEL key must not end with ':', got {key!r}")
    # AWS: a key that is not fully qualified searches the labels added in the same context (the
    # web ACL's or the rule group's namespace) as the statement; ``awswaf:…`` keys are absolute.
    if not key.startswith(LABEL_PREFIX):
        key = cc.namespace + key
    return LabelMatch(scope, key), 1


# The other statement families register from their own modules (text matching, geography).
from wafproxy.engine import statements_geo as _geo  # noqa: E402,F401
from wafproxy.engine import statements_text as _text  # noqa: E402,F401
