"""Shortcuts of the per-request fast path against the plain computation they replace.

* ``transforms.compile_chain`` (functions looked up once, an emptied value ends the run) equals
  ``apply_chain`` for every registered transformation.
* ``SizeMatch.bound`` (a GT/GE size constraint decided from the raw query string or Cookie
  header, without parsing them) never changes a decision.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.aclkit import compile_with, rule, tt, web_acl
from wafproxy.engine import WafRequest, evaluate
from wafproxy.engine.nodes import NotMatch, OrMatch, SizeMatch
from wafproxy.engine.stmtmemo import MemoMatch
from wafproxy.engine.transforms import TRANSFORMS, apply_chain, compile_chain

_PIECES = st.sampled_from(
    list("aZ09 /.=%+&;#\\xu\x00\t\n\xa0éＡﬁ<>'\",^(")
    + ["%41", "%2541", "&lt;", "&#60", "\\u0041", "%u0041", "JHtqbmRpOmxkYXA6Ly94fQ==", "\udcff", "ﷺ"]
)
VALUES = st.one_of(st.lists(_PIECES, max_size=16).map("".join), st.text(max_size=20))
CHAINS = st.lists(st.sampled_from(sorted(TRANSFORMS)), max_size=6).map(tuple)


@settings(max_examples=1500, deadline=None)
@given(chain=CHAINS, value=VALUES)
def test_compiled_chain_equals_apply_chain(chain: tuple[str, ...], value: str) -> None:
    assert compile_chain(chain)(value) == apply_chain(chain, value)


def test_compiled_chain_caps_every_step(monkeypatch) -> None:
    import wafproxy.engine.transforms as transforms

    monkeypatch.setattr(transforms, "MAX_VALUE_CHARS", 5)
    for chain in (("NONE",), ("NFKC_NORMALIZE", "LOWERCASE"), ("URL_DECODE", "NFKC_NORMALIZE", "LOWERCASE")):
        assert compile_chain(chain)("ﷺabc%41") == apply_chain(chain, "ﷺabc%41")


def _size_acl():
    fields = [
        {"AllQueryArguments": {}},
        {"SingleQueryArgument": {"Name": "a"}},
        {"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}},
        {
            "Cookies": {
                "MatchPattern": {"IncludedCookies": ["s"]},
                "MatchScope": "KEY",
                "OversizeHandling": "CONTINUE",
            }
        },
        {"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": "MATCH"}},
    ]
    rules = []
    for field in fields:
        for op in ("GT", "GE", "EQ", "LT"):
            for size in (0, 1, 3, 7, 12):
                stmt = {
                    "SizeConstraintStatement": {
                        "FieldToMatch": field,
                        "ComparisonOperator": op,
                        "Size": size,
                        "TextTransformations": tt(),
                    }
                }
                rules.append(rule(f"z{len(rules)}", len(rules), stmt, "Count", labels=(f"z:{len(rules)}",)))
    return compile_with(web_acl(*rules))


SIZE_ACL = _size_acl()
_TEXT = st.lists(
    st.sampled_from(["a", "s", "=", "&", ";", " ", "é", "\udcff", "\ud800", "ab=cd", "xyz"]), max_size=14
)


@st.composite
def size_requests(draw):
    cookies = draw(st.lists(_TEXT.map("".join), max_size=3))
    return WafRequest(
        client_ip="203.0.113.7",
        method="GET",
        uri_path="/",
        query_string="".join(draw(_TEXT)),
        headers=tuple(("Cookie", c) for c in cookies),
    )


def _size_nodes(acl):
    for compiled in acl.rules:
        stack = [compiled.statement]
        while stack:
            node = stack.pop()
            if isinstance(node, SizeMatch):
                yield node
            elif isinstance(node, OrMatch):
                stack.extend(node.children)
            elif isinstance(node, (NotMatch, MemoMatch)):  # MemoMatch: ``engine.stmtmemo``
                stack.append(node.child)


def test_size_bounds_are_set_where_they_apply() -> None:
    nodes = list(_size_nodes(SIZE_ACL))
    with_bound = [n for n in nodes if n.bound is not None]
    assert with_bound and all(n.op in ("GT", "GE") for n in with_bound)
    assert all(n.slot.field.oversize == "CONTINUE" for n in with_bound)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size_requests())
def test_size_bounds_never_change_a_decision(request: WafRequest) -> None:
    fast = evaluate(SIZE_ACL, request)
    nodes = [n for n in _size_nodes(SIZE_ACL) if n.bound is not None]
    saved = [n.bound for n in nodes]
    try:
        for n in nodes:
            object.__setattr__(n, "bound", None)
        slow = evaluate(SIZE_ACL, request)
    finally:
        for n, b in zip(nodes, saved, strict=True):
            object.__setattr__(n, "bound", b)
    assert fast == slow
