"""Pattern groups of one chain sharing a pool (``matchers._pooled``): same hits, fewer databases."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.aclkit import compile_with, rule, tt, web_acl
from wafproxy.engine import WafRequest, evaluate
from wafproxy.engine.fields import FieldSpec
from wafproxy.engine.matchers import PatternSet, PooledSet
from wafproxy.engine.patterngroups import POOL_MIN_PATTERNS, PatternGroupBuilder
from wafproxy.engine.slots import SlotTable

CHAIN = ("URL_DECODE", "LOWERCASE")
WORDS = [f"w{i:02d}x" for i in range(POOL_MIN_PATTERNS + 10)]


def _groups(first: list[str], second: list[str], chain: tuple[str, ...] = CHAIN):
    slots = SlotTable()
    builder = PatternGroupBuilder()
    for field, words in ((FieldSpec("QueryString"), first), (FieldSpec("UriPath"), second)):
        for word in words:
            builder.add(slots.get(field, chain), "regex", word + "[0-9]?")
    return builder.build()


def test_nearly_equal_groups_of_one_chain_share_a_pool() -> None:
    a, b = _groups(WORDS[:-2], WORDS[2:])
    assert isinstance(a.pattern_set, PooledSet) and isinstance(b.pattern_set, PooledSet)
    assert a.pattern_set.pool is b.pattern_set.pool
    assert len(a.pattern_set.pool.patterns) == len(WORDS)
    assert a.pattern_set.engine == a.pattern_set.pool.engine
    # the pool's hits of the other group's patterns are dropped, ids are the group's own
    value = "w00x w01x w41x w20x9"
    assert a.pattern_set.scan(value) == PatternSet.build(a.patterns).scan(value) == {0, 1, 20}
    assert b.pattern_set.scan(value) == PatternSet.build(b.patterns).scan(value) == {18, 39}
    assert a.pattern_set.scan("nothing here") == frozenset()
    assert a.empty_hits == b.empty_hits == frozenset()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*WORDS, "9", " ", "W05X", "%41"]), max_size=8).map("".join))
def test_pooled_scans_equal_own_sets(value: str) -> None:
    for group in _POOLED:
        assert group.pattern_set.scan(value) == _OWN[group.slot].scan(value)


_POOLED = _groups(WORDS[:-2], WORDS[2:])
_OWN = {g.slot: PatternSet.build(g.patterns) for g in _POOLED}


def test_groups_that_differ_too_much_or_are_small_or_differ_in_chain_keep_their_own_sets() -> None:
    other = [w.replace("w", "v") for w in WORDS]
    assert not any(isinstance(g.pattern_set, PooledSet) for g in _groups(WORDS, other))
    small = WORDS[: POOL_MIN_PATTERNS - 1]
    assert not any(isinstance(g.pattern_set, PooledSet) for g in _groups(small, small[1:]))
    slots = SlotTable()
    builder = PatternGroupBuilder()
    for field, chain in ((FieldSpec("QueryString"), CHAIN), (FieldSpec("UriPath"), ("LOWERCASE",))):
        for word in WORDS:
            builder.add(slots.get(field, chain), "regex", word)
    assert not any(isinstance(g.pattern_set, PooledSet) for g in builder.build())


def _rules(field: dict[str, object], words: list[str], start: int) -> list[dict[str, object]]:
    return [
        rule(
            f"r{start + i}",
            start + i,
            {
                "RegexMatchStatement": {
                    "RegexString": w,
                    "FieldToMatch": field,
                    "TextTransformations": tt(*CHAIN),
                }
            },
            "Count",
            labels=(f"l:{start + i}",),
        )
        for i, w in enumerate(words)
    ]


def test_decisions_with_pooled_groups_name_each_groups_own_pattern() -> None:
    rules = _rules({"QueryString": {}}, WORDS[:-2], 0) + _rules({"UriPath": {}}, WORDS[2:], 100)
    acl = compile_with(web_acl(*rules))
    assert all(isinstance(g.pattern_set, PooledSet) for g in acl.groups)
    request = WafRequest(client_ip="192.0.2.1", method="GET", uri_path="/W41X/w00x", query_string="a=w41x")
    decision = evaluate(acl, request)
    # w41x is only a path pattern (rule r139) and w00x only a query-string one: the pool reports
    # both for both fields, each group keeps its own
    found = [(m.rule_name, d.location, d.pattern) for m in decision.matches for d in m.details]
    assert found == [(f"r{100 + len(WORDS) - 3}", "URI", "w41x")]


def test_default_acl_pools_its_large_groups() -> None:
    from tests.rules.test_managed_rules import DEFAULT_ACL
    from wafproxy.aclfiles import load_web_acl

    acl = load_web_acl(DEFAULT_ACL)
    pools = {id(g.pattern_set.pool) for g in acl.groups if isinstance(g.pattern_set, PooledSet)}
    pooled = [g for g in acl.groups if isinstance(g.pattern_set, PooledSet)]
    assert len(pooled) >= 4 and len(pools) < len(pooled)
