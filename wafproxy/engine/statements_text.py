"""Statements over text fields: regex, regex pattern sets, SQLi, XSS, size constraints."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Literal

from wafproxy.engine.doc import Node
from wafproxy.engine.matchers import PatternError, validate_regex
from wafproxy.engine.nodes import DetectorMatch, PatternMatch, SizeMatch, Stmt
from wafproxy.engine.statements import CompileContext, field_and_chain, statement

MAX_SIZE = 21_474_836_480


def _regex(node: Node, text: str, cc: CompileContext) -> None:
    """Refuse what a linear-time engine cannot run (backreferences, lookaround), as AWS does.

    Each distinct regex is validated once per compile. Shipped managed groups are not validated one
    by one here: their own tests do that, the group's ``PatternSet`` build still refuses a bad one,
    and per-regex engine compiles of a few hundred large managed regexes cost minutes.
    """
    if cc.managed or text in cc.valid_regexes:
        return
    try:
        validate_regex(text)
    except PatternError as exc:
        node.fail(f"regex {text!r} is not supported: {exc.reason}")
    cc.valid_regexes.add(text)


@statement("RegexMatchStatement")
def _regex_match(node: Node, cc: CompileContext) -> tuple[Stmt, int]:
    node.obj(required=("RegexString", "FieldToMatch", "TextTransformations"))
    text_node = node.at("RegexString")
    text = text_node.str_(1, cc.limit(512))
    _regex(text_node, text, cc)
    spec, chain = field_and_chain(node, cc, views=True)
    gidx, pid = cc.patterns.add(cc.slots.get(spec, chain), "regex", text)
    return PatternMatch(gidx, frozenset({pid}), "REGEX", text), 3 + 10 * len(chain)


@statement("RegexPatternSetReferenceStatement")
def _regex_set(node: Node, cc: CompileContext) -> tuple[Stmt, int]:
    node.obj(required=("ARN", "FieldToMatch", "TextTransformations"))
    ref_node = node.at("ARN")
    ref = ref_node.str_(1, 2048)
    regex_set = cc.resolver.regex_pattern_set(ref)
    if regex_set is None:
        ref_node.fail(f"no RegexPatternSet named or with ARN {ref!r} was found")
    spec, chain = field_and_chain(node, cc, views=True)
    ids = set()
    for text in regex_set.patterns:
        _regex(ref_node, text, cc)
        ids.add(cc.patterns.add(cc.slots.get(spec, chain), "regex", text)[1])
    gidx = cc.patterns.add(cc.slots.get(spec, chain), "regex", regex_set.patterns[0])[0]
    return PatternMatch(gidx, frozenset(ids), "REGEX_PATTERN_SET", regex_set.name), 25 + 10 * len(chain)


@statement("SqliMatchStatement")
def _sqli(node: Node, cc: CompileContext) -> tuple[Stmt, int]:
    from wafproxy.engine.detectors import is_sqli, sqli_never

    node.obj(required=("FieldToMatch", "TextTransformations"), optional=("SensitivityLevel",))
    level_node = node.opt("SensitivityLevel")
    level: Literal["LOW", "HIGH"] = (
        "HIGH" if level_node and level_node.enum(("LOW", "HIGH")) == "HIGH" else "LOW"
    )
    spec, chain = field_and_chain(node, cc, views=True)
    detect: Callable[[str], bool] = partial(is_sqli, sensitivity=level)
    cost = (20 if level == "LOW" else 30) + 10 * len(chain)
    negative = sqli_never if level == "LOW" else None
    return DetectorMatch("SQL_INJECTION", cc.slots.get(spec, chain), detect, level, negative), cost


@statement("XssMatchStatement")
def _xss(node: Node, cc: CompileContext) -> tuple[Stmt, int]:
    from wafproxy.engine.detectors import is_xss

    node.obj(required=("FieldToMatch", "TextTransformations"))
    spec, chain = field_and_chain(node, cc, views=True)
    return DetectorMatch("XSS", cc.slots.get(spec, chain), is_xss), 40 + 10 * len(chain)


@statement("SizeConstraintStatement")
def _size(node: Node, cc: CompileContext) -> tuple[Stmt, int]:
    node.obj(required=("FieldToMatch", "ComparisonOperator", "Size", "TextTransformations"))
    op = node.at("ComparisonOperator").enum(("EQ", "NE", "LE", "LT", "GE", "GT"))
    # No view is longer than its field's whole value, so GT / GE cannot gain a match from views;
    # sharing the field's views spec keeps one extraction of the field per request.
    spec, chain = field_and_chain(node, cc, views=op in ("GT", "GE"))
    size = node.at("Size").int_(0, MAX_SIZE)
    return SizeMatch(cc.slots.get(spec, chain), op, size), 1 + 10 * len(chain)
