"""Compiled statements: immutable nodes whose ``match(ctx)`` decides one request.

Leaf nodes record evidence (``ctx.evidence``) when they match; the rule evaluator keeps the
evidence of a matching rule and drops the rest (``Not`` drops its child's evidence).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field

from wafproxy.engine.context import EvalContext, detail_of
from wafproxy.engine.decision import MatchDetail
from wafproxy.engine.extract import size_bound
from wafproxy.engine.ipsets import IpTrie
from wafproxy.engine.request import WafRequest
from wafproxy.engine.slots import Slot
from wafproxy.engine.sourceip import ForwardedIP, source_ips
from wafproxy.engine.transforms import to_bytes


class Stmt:
    """Base of compiled statements."""

    __slots__ = ()

    def match(self, ctx: EvalContext) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError


DETAIL_CHARS = 128  # the longest hit value whose evidence a PatternMatch keeps
DETAIL_ENTRIES = 256  # hits kept per PatternMatch


@dataclass(frozen=True, slots=True)
class PatternMatch(Stmt):
    """ByteMatch, RegexMatch and RegexPatternSetReference: ids in one pattern group."""

    group: int
    ids: frozenset[int]
    condition: str  # BYTE_MATCH / REGEX / REGEX_PATTERN_SET
    source: str  # what the rule names: the search string or regex, or the regex pattern set
    # (pattern id, (field name, value)) -> the evidence: the same header or method hits on every
    # request of a client (the protocol group's ``Content-Length`` and method tests, ``And``-ed,
    # record it on each POST), and building a ``MatchDetail`` costs ~15 k instructions. Short
    # values only (``DETAIL_CHARS``), ``DETAIL_ENTRIES`` per node, emptied when full: a few
    # hundred nodes stay within a few MB whatever a client sends.
    details: dict[tuple[int, tuple[str, str]], MatchDetail] = field(
        default_factory=dict, compare=False, repr=False
    )

    def match(self, ctx: EvalContext) -> bool:
        result = ctx.scan(self.group)
        if result.forced is not None:
            return result.forced
        for pid in self.ids:
            hit = result.hits.get(pid)
            if hit is not None:
                key = (pid, hit)
                details = self.details
                found = details.get(key)
                if found is None:
                    group = ctx.groups[self.group]
                    found = detail_of(self.condition, group.slot, hit[0], hit[1], group.patterns[pid].text)
                    if len(hit[1]) <= DETAIL_CHARS:
                        if len(details) >= DETAIL_ENTRIES:
                            details.clear()
                        details[key] = found
                ctx.details.append(found)
                return True
        return False


@dataclass(frozen=True, slots=True)
class DetectorMatch(Stmt):
    """SqliMatch / XssMatch over every value of the field."""

    condition: str  # SQL_INJECTION / XSS
    slot: Slot
    detect: Callable[[str], bool]
    level: str = ""
    # Not None for values ``detect`` is known to say False for (``detectors.sqli_never``): skipped.
    negative: Callable[[str], object] | None = None

    def match(self, ctx: EvalContext) -> bool:
        fv = ctx.values(self.slot)
        if fv.forced is not None:
            return fv.forced

        def run() -> tuple[str, str] | None:
            # ``ctx.detected`` inlined: this loop runs once per JSON key and value.
            cache = ctx.detected_cache
            key = (self.condition, self.level)
            detect = self.detect
            negative = self.negative
            for pair in fv.values:
                if negative is not None and negative(pair[1]) is not None:
                    continue
                k = (key, pair[1])
                found = cache.get(k)
                if found is None:
                    found = cache[k] = detect(pair[1])
                if found:
                    return pair
            return None

        hit = ctx.memo((self.condition, self.level, self.slot), run)
        if hit is None:
            return False
        ctx.evidence(self.condition, self.slot, hit[0], hit[1])
        return True


_OPS: dict[str, Callable[[int, int], bool]] = {
    "EQ": operator.eq,
    "NE": operator.ne,
    "LE": operator.le,
    "LT": operator.lt,
    "GE": operator.ge,
    "GT": operator.gt,
}


@dataclass(frozen=True, slots=True)
class SizeMatch(Stmt):
    """SizeConstraint: the length (bytes, as AWS counts) of any value compared with ``size``."""

    slot: Slot
    op: str
    size: int
    # An upper bound on every value's size, from the raw request (``extract.size_bound``): a
    # GT/GE that the bound cannot pass is False without extracting the field (query arguments
    # and cookies are parsed only when a rule needs their values).
    bound: Callable[[WafRequest], int] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op in ("GT", "GE") and not self.slot.chain:
            object.__setattr__(self, "bound", size_bound(self.slot.field))

    def match(self, ctx: EvalContext) -> bool:
        bound = self.bound
        if bound is not None:
            limit = bound(ctx.request)
            if limit <= self.size if self.op == "GT" else limit < self.size:
                return False
        fv = ctx.values(self.slot)
        if fv.forced is not None:
            return fv.forced
        compare = _OPS[self.op]
        for name, value in fv.values:
            n = len(value) if value.isascii() else len(to_bytes(value))  # ASCII: one byte a char
            if compare(n, self.size):
                ctx.evidence("SIZE_CONSTRAINT", self.slot, name, str(n))
                return True
        return False


@dataclass(frozen=True, slots=True)
class IPSetMatch(Stmt):
    trie: IpTrie
    name: str
    forwarded: ForwardedIP | None = None

    def match(self, ctx: EvalContext) -> bool:
        ips = source_ips(ctx.request, self.forwarded)
        if isinstance(ips, bool):
            return ips
        for ip in ips:
            if self.trie.contains(ip):
                ctx.details.append(_ip_detail("IP_SET", ip, self.name))
                return True
        return False


def _ip_detail(condition: str, ip: str, what: str) -> MatchDetail:
    return MatchDetail(condition, "IP", (ip,), what)


@dataclass(frozen=True, slots=True)
class LookupMatch(Stmt):
    """GeoMatch / AsnMatch: the source IP looked up in a MaxMind-format database."""

    condition: str  # GEO / ASN
    lookup: Callable[[str], str | None]
    wanted: frozenset[str]
    forwarded: ForwardedIP | None = None
    label_prefix: str = ""  # awswaf:clientip:geo:country: (AWS adds it on evaluation)

    def match(self, ctx: EvalContext) -> bool:
        ips = source_ips(ctx.request, self.forwarded)
        if isinstance(ips, bool):
            return ips
        for ip in ips:
            found = self.lookup(ip)
            if found is None:
                continue
            if self.label_prefix:
                ctx.add_label(self.label_prefix + found)
            if found in self.wanted:
                ctx.details.append(_ip_detail(self.condition, ip, found))
                return True
        return False


@dataclass(frozen=True, slots=True)
class LabelMatch(Stmt):
    """``key`` is fully qualified at compile time (see ``statements._label``).

    LABEL: a label equal to the key. NAMESPACE: a label inside the namespace the key names (the
    key ends with ``:``, so a prefix test respects segment boundaries).
    """

    scope: str
    key: str

    def match(self, ctx: EvalContext) -> bool:
        key = self.key
        if self.scope == "LABEL":
            return ctx.has_label(key)
        return any(label.startswith(key) for label in ctx.labels)


@dataclass(frozen=True, slots=True)
class AndMatch(Stmt):
    children: tuple[Stmt, ...]

    def match(self, ctx: EvalContext) -> bool:
        for child in self.children:  # a loop, not all(genexpr): no generator per call
            if not child.match(ctx):
                return False
        return True


@dataclass(frozen=True, slots=True)
class OrMatch(Stmt):
    children: tuple[Stmt, ...]

    def match(self, ctx: EvalContext) -> bool:
        for child in self.children:
            if child.match(ctx):
                return True
        return False


@dataclass(frozen=True, slots=True)
class NotMatch(Stmt):
    child: Stmt

    def match(self, ctx: EvalContext) -> bool:
        mark = len(ctx.details)
        matched = self.child.match(ctx)
        del ctx.details[mark:]
        return not matched
