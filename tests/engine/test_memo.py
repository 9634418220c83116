"""Cross-request memos of header values (``engine.memo``): same decisions, bounded size."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.aclkit import compile_with, rule, tt, web_acl
from wafproxy.engine import WafRequest, evaluate, fieldplan
from wafproxy.engine import memo as memo_module
from wafproxy.engine.memo import memoized

HEADERS = {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}
COOKIES = {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}


def _acl():
    stmts = []
    for field in ({"Headers": HEADERS}, {"Cookies": COOKIES}, {"SingleHeader": {"Name": "user-agent"}}):
        for chain in ((), ("URL_DECODE", "LOWERCASE"), ("BASE64_DECODE_EMBEDDED",), ("CMD_LINE",)):
            stmts.append(
                {
                    "RegexMatchStatement": {
                        "RegexString": "(?i)sel.{0,3}ect|<scr|jndi|^x$",
                        "FieldToMatch": field,
                        "TextTransformations": tt(*chain),
                    }
                }
            )
    rules = [rule(f"r{i}", i, s, "Count", labels=(f"l:{i}",)) for i, s in enumerate(stmts)]
    return compile_with(web_acl(*rules))


def _memos(acl):
    for plan in acl.field_plans:
        yield plan.memo
        if plan.keyed is not None:
            yield plan.keyed.memo
    for group in acl.groups:
        if group.memo is not None:
            yield group.memo
        slot = group.slot
        while slot is not None:
            if slot.memo is not None:
                yield slot.memo
            slot = slot.parent


_VALUE = st.lists(
    st.sampled_from(
        ["a", "SEL", "ect", "%3Cscr", "x", "<scr", "JHtqbmRpOmxkYXA6Ly94fQ==", ";", " ", "é", "\udcff"]
    ),
    max_size=6,
).map("".join)


@st.composite
def requests(draw):
    names = st.sampled_from(["User-Agent", "Cookie", "X-A", "Host"])
    return WafRequest(
        client_ip="203.0.113.7",
        method="GET",
        uri_path="/",
        headers=tuple(draw(st.lists(st.tuples(names, _VALUE), max_size=5))),
    )


ACL = _acl()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=requests(), second=requests())
def test_warm_memos_decide_as_cold_ones(first: WafRequest, second: WafRequest) -> None:
    for memo in _memos(ACL):
        memo.clear()
    cold = [evaluate(ACL, first), evaluate(ACL, second)]
    warm = [evaluate(ACL, first), evaluate(ACL, second)]  # now answered from the memos
    assert cold == warm
    assert cold[0] == evaluate(ACL, first)


def test_header_fields_are_memoised_and_others_are_not() -> None:
    kinds = {g.slot.field.kind: g.memo is not None for g in ACL.groups}
    assert kinds == {"Headers": True, "Cookies": True, "SingleHeader": True}
    acl = compile_with(
        web_acl(
            rule(
                "q",
                0,
                {
                    "RegexMatchStatement": {
                        "RegexString": "a",
                        "FieldToMatch": {"QueryString": {}},
                        "TextTransformations": tt(),
                    }
                },
            )
        )
    )
    assert all(g.memo is None and g.slot.memo is None for g in acl.groups)


def test_memo_is_bounded(monkeypatch) -> None:
    monkeypatch.setattr(memo_module, "MAX_ENTRIES", 4)
    monkeypatch.setattr(memo_module, "MAX_CHARS", 8)
    store: dict[str, str] = {}
    calls: list[str] = []

    def upper(value: str) -> str:
        calls.append(value)
        return value.upper()

    f = memoized(upper, store)
    for i in range(20):
        assert f(f"v{i}") == f"V{i}"
        assert len(store) <= 4
    assert f("v19") == "V19" and calls.count("v19") == 1  # still memoised
    assert f("x" * 9) == "X" * 9 and "x" * 9 not in store  # too long to keep
    assert f("x" * 9) == "X" * 9 and calls.count("x" * 9) == 2


def _plan(acl, kind):
    return next(p for p in acl.field_plans if p.field.kind == kind)


def test_field_plans_remember_header_fields_and_empty_values_only(monkeypatch) -> None:
    acl = compile_with(
        web_acl(
            *[
                rule(
                    f"r{i}",
                    i,
                    {
                        "RegexMatchStatement": {
                            "RegexString": "^$|sel.{0,3}ect",
                            "FieldToMatch": field,
                            "TextTransformations": tt("URL_DECODE"),
                        }
                    },
                    "Count",
                    labels=(f"l:{i}",),
                )
                for i, field in enumerate(({"SingleHeader": {"Name": "x-a"}}, {"QueryString": {}}))
            ]
        )
    )
    # plans keyed by one request attribute share its memo (``fieldplan.KeyedPlans``)
    header, query = _plan(acl, "SingleHeader").keyed, _plan(acl, "QueryString").keyed
    empty = WafRequest(client_ip="203.0.113.7", method="GET", uri_path="/", headers=(("X-A", "sel%45ect"),))
    first = evaluate(acl, empty)
    assert [m.rule_name for m in first.matches] == ["r0", "r1"]  # "" matches ^$
    # a header field is remembered by the request's headers, the query string by itself
    assert set(header.memo) == {(("X-A", "sel%45ect"),)} and set(query.memo) == {""}
    assert evaluate(acl, empty) == first  # answered from both memos
    asked = WafRequest(client_ip="203.0.113.7", method="GET", uri_path="/", query_string="q=select")
    assert [m.rule_name for m in evaluate(acl, asked).matches] == ["r1"]
    assert query.memo["q=select"] != ()  # kept with its hit: a repeat is answered from it
    assert [m.rule_name for m in evaluate(acl, asked).matches] == ["r1"]
    assert _plan(acl, "SingleHeader").memo == {} and _plan(acl, "QueryString").memo == {}
    monkeypatch.setattr(fieldplan, "MAX_ENTRIES", 2)
    monkeypatch.setattr(fieldplan, "MAX_CHARS", 12)
    header.memo.clear()
    for i in range(5):
        evaluate(
            acl, WafRequest(client_ip="203.0.113.7", method="GET", uri_path="/", headers=(("X-A", f"v{i}"),))
        )
        assert len(header.memo) <= 2
        evaluate(acl, WafRequest(client_ip="203.0.113.7", method="GET", uri_path="/", query_string=f"q={i}"))
        assert len(query.memo) <= 2
    long_query = "q=" + "v" * 11
    evaluate(acl, WafRequest(client_ip="203.0.113.7", method="GET", uri_path="/", query_string=long_query))
    assert long_query not in query.memo  # over MAX_CHARS
    evaluate(
        acl, WafRequest(client_ip="203.0.113.7", method="GET", uri_path="/", headers=(("X-A", "v" * 12),))
    )
    assert (("X-A", "v" * 12),) not in header.memo  # name + value over MAX_CHARS
    # headers built of lists (not the declared tuples) cannot key a memo: decided all the same
    listed = WafRequest(client_ip="203.0.113.7", method="GET", uri_path="/", headers=[["X-A", "sel%45ect"]])  # type: ignore[arg-type]
    assert evaluate(acl, listed).matches == first.matches


_TEXT = st.text(st.sampled_from("aZ=&;%+/.{}\"' \u00e9"), max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headers=st.lists(
        st.tuples(st.sampled_from(["Cookie", "Content-Type", "Accept", "Range", "X-A"]), _TEXT), max_size=5
    ),
    others=st.lists(st.tuples(st.sampled_from(["GET", "POST"]), _TEXT, _TEXT, _TEXT), min_size=2, max_size=2),
)
def test_header_plans_read_only_the_headers(headers, others) -> None:
    """``FieldPlan.by_headers`` memos are keyed by ``request.headers``: that is sound only if
    those fields' values (their carrier views included) depend on nothing else."""
    from tests.rules.test_managed_rules import DEFAULT_ACL
    from wafproxy.engine.context import EvalContext

    plans = [p for p in dict.fromkeys(_default_acl(DEFAULT_ACL).field_plans) if p.by_headers]
    assert {p.field.kind for p in plans} >= {"Headers", "HeaderOrder", "SingleHeader"}
    assert any(p.field.views for p in plans)  # the Headers field with cookie views
    seen = []
    for method, path, query, body in others:
        request = WafRequest(
            client_ip="203.0.113.7",
            method=method,
            uri_path="/" + path,
            query_string=query,
            headers=tuple(headers),
            body=body.encode(),
            body_size=len(body.encode()),
        )
        ctx = EvalContext(request, (), ())
        seen.append([ctx._raw_values(p) for p in plans])
    assert seen[0] == seen[1]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=_TEXT,
    query=_TEXT,
    others=st.lists(st.tuples(st.sampled_from(["GET", "POST"]), _TEXT, _TEXT), min_size=2, max_size=2),
)
def test_request_string_plans_read_only_their_string(path, query, others) -> None:
    """``FieldPlan.by_request`` memos are keyed by ``uri_path`` / ``query_string``: sound only
    if the path's and the query string's values (carrier views included) depend on nothing else."""
    from tests.rules.test_managed_rules import DEFAULT_ACL
    from wafproxy.engine.context import EvalContext

    every = dict.fromkeys(_default_acl(DEFAULT_ACL).field_plans)
    # the method's plan is keyed by the method (its one value), which ``others`` varies
    assert {p.field.kind for p in every if p.by_request == "method"} == {"Method"}
    plans = [p for p in every if p.by_request in ("uri_path", "query_string")]
    assert {p.field.kind for p in plans} == {"UriPath", "QueryString"}
    assert any(p.field.views for p in plans)
    seen = []
    for method, header, body in others:
        request = WafRequest(
            client_ip="203.0.113.7",
            method=method,
            uri_path="/" + path,
            query_string=query,
            headers=(("X-A", header), ("Cookie", header)),
            body=body.encode(),
            body_size=len(body.encode()),
        )
        ctx = EvalContext(request, (), ())
        seen.append([ctx._raw_values(p) for p in plans])
    assert seen[0] == seen[1]


_ACLS: dict[object, object] = {}


def _default_acl(path):
    if path not in _ACLS:
        from wafproxy.aclfiles import load_web_acl

        _ACLS[path] = load_web_acl(path)
    return _ACLS[path]
