"""Cross-request memos of whole statements that read one request attribute.

A benign request skips every pattern-gated rule (``plan``), so what it still runs are the few
rules no pattern gates: the default ACL's ``CountMissingUserAgent`` (a size of one header, whose
match records evidence that its ``Not`` then drops), the common group's size limits on the path,
the query arguments and the cookies, the blocked-IP sets. Each extracts its field, compares and
builds evidence on every request, ~10-30 k instructions apiece, though the answer is a function
of one request attribute a client repeats (its headers, its path, its address).

``memoize_rules`` wraps such a rule's statement in a ``MemoMatch`` keyed by that attribute: the
verdict and the evidence it recorded (immutable ``MatchDetail``s) are replayed on a repeat. Only
statements whose every leaf reads the same attribute, and reads nothing else (no label, no
geo lookup, which adds labels, no forwarded-IP header), are wrapped (``request_attr``); their
match is then a pure function of that attribute, so the memo cannot change a decision
(``tests/engine/test_stmtmemo.py``). Bounds as ``engine.memo``: ``MAX_ENTRIES`` keys, emptied
when full, keys up to ``MAX_CHARS`` characters; a reload starts empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any

from wafproxy.engine import memo as _bounds
from wafproxy.engine.context import EvalContext
from wafproxy.engine.decision import MatchDetail
from wafproxy.engine.fieldplan import HEADER_KINDS, REQUEST_STRING_KINDS
from wafproxy.engine.nodes import (
    AndMatch,
    DetectorMatch,
    IPSetMatch,
    NotMatch,
    OrMatch,
    PatternMatch,
    SizeMatch,
    Stmt,
)
from wafproxy.engine.patterngroups import PatternGroup
from wafproxy.engine.rules import CompiledRule

#: Field kinds whose values are a function of one ``WafRequest`` attribute.
_KIND_ATTR = {
    **dict.fromkeys(HEADER_KINDS, "headers"),
    **REQUEST_STRING_KINDS,
    "AllQueryArguments": "query_string",
    "SingleQueryArgument": "query_string",
}


class MemoMatch(Stmt):
    """``child``'s verdict and evidence, remembered per value of ``request.<attr>``."""

    __slots__ = ("child", "attr", "memo")

    def __init__(self, child: Stmt, attr: str) -> None:
        self.child = child
        self.attr = attr
        self.memo: dict[object, tuple[bool, tuple[MatchDetail, ...]]] = {}

    def match(self, ctx: EvalContext) -> bool:
        key: Any = getattr(ctx.request, self.attr)
        try:
            known = self.memo.get(key)
        except TypeError:  # headers a caller built of lists (unhashable): not remembered
            return self.child.match(ctx)
        if known is not None:
            if known[1]:
                ctx.details.extend(known[1])
            return known[0]
        details = ctx.details
        mark = len(details)
        matched = self.child.match(ctx)
        if _small(key):
            memo = self.memo
            if len(memo) >= _bounds.MAX_ENTRIES:
                memo.clear()
            memo[key] = (matched, tuple(details[mark:]))
        return matched

    def __repr__(self) -> str:
        return f"MemoMatch({self.child!r}, {self.attr})"


def _small(key: Any) -> bool:
    """A key worth keeping: a string, or headers' names and values, up to ``MAX_CHARS``."""
    if isinstance(key, str):
        return len(key) <= _bounds.MAX_CHARS
    pairs: tuple[tuple[str, str], ...] = key
    return sum(map(len, chain.from_iterable(pairs))) <= _bounds.MAX_CHARS


def request_attr(stmt: Stmt, groups: tuple[PatternGroup, ...]) -> str | None:
    """The one ``WafRequest`` attribute ``stmt``'s match is a function of, or None."""
    if isinstance(stmt, PatternMatch):
        return _KIND_ATTR.get(groups[stmt.group].slot.field.kind)
    if isinstance(stmt, (SizeMatch, DetectorMatch)):
        return _KIND_ATTR.get(stmt.slot.field.kind)
    if isinstance(stmt, IPSetMatch):
        return "client_ip" if stmt.forwarded is None else None
    if isinstance(stmt, NotMatch):
        return request_attr(stmt.child, groups)
    if isinstance(stmt, (AndMatch, OrMatch)):
        found = {request_attr(child, groups) for child in stmt.children}
        return found.pop() if len(found) == 1 else None
    return None  # labels, geo lookups (they add labels), anything not listed


def memoize_rules(rules: Iterable[Any], groups: tuple[PatternGroup, ...]) -> None:
    """Wrap the statement of each plain rule of ``rules`` (a rule, not a group reference, a
    rate-based rule or a ``PatternBlock``) that reads one request attribute in a ``MemoMatch``."""
    for rule in rules:
        if rule.__class__ is not CompiledRule or rule.group is not None or rule.rate is not None:
            continue
        stmt = rule.statement
        if stmt is None or isinstance(stmt, MemoMatch):
            continue
        attr = request_attr(stmt, groups)
        if attr is not None:
            object.__setattr__(rule, "statement", MemoMatch(stmt, attr))
