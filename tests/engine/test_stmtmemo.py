"""Statement memos (``engine.stmtmemo``): which rules are wrapped, same decisions, bounded."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.aclkit import compile_with, rule, tt, web_acl
from wafproxy.engine import WafRequest, evaluate
from wafproxy.engine import memo as memo_module
from wafproxy.engine.stmtmemo import MemoMatch

UA = {"SingleHeader": {"Name": "user-agent"}}


def _size(field: dict, size: int, op: str = "GT") -> dict:
    return {
        "SizeConstraintStatement": {
            "FieldToMatch": field, "ComparisonOperator": op, "Size": size, "TextTransformations": tt(),
        }
    }  # fmt: skip


def _regex(field: dict, regex: str) -> dict:
    return {"RegexMatchStatement": {"RegexString": regex, "FieldToMatch": field, "TextTransformations": tt()}}


def _acl():
    return compile_with(
        web_acl(
            rule("no-ua", 0, {"NotStatement": {"Statement": _size(UA, 0)}}, "Count", labels=("l:no-ua",)),
            rule("long-path", 1, _size({"UriPath": {}}, 4), "Count", labels=("l:long",)),
            rule("args", 2, _size({"AllQueryArguments": {}}, 3), "Count"),
            rule("mixed", 3, {"OrStatement": {"Statements": [_size(UA, 5), _regex({"UriPath": {}}, "z")]}},
                 "Count"),
            rule("labelled", 4, {"LabelMatchStatement": {"Scope": "LABEL", "Key": "l:long"}}, "Count"),
            rule("ua-evil", 5, _regex(UA, "(?i)evil"), "Block"),
        )
    )


ACL = _acl()


def _statements(acl) -> dict[str, object]:
    return {r.name: r.statement for r in acl.rules}


def test_rules_reading_one_request_attribute_are_wrapped() -> None:
    found = _statements(ACL)
    assert isinstance(found["no-ua"], MemoMatch) and found["no-ua"].attr == "headers"
    assert isinstance(found["long-path"], MemoMatch) and found["long-path"].attr == "uri_path"
    assert isinstance(found["args"], MemoMatch) and found["args"].attr == "query_string"
    assert not isinstance(found["mixed"], MemoMatch)  # headers and path: no single key
    assert not isinstance(found["labelled"], MemoMatch)  # labels come from earlier rules


_TEXT = st.text(st.sampled_from("aZz=&/%+ évil"), max_size=8)


@st.composite
def requests(draw) -> WafRequest:
    headers = draw(st.lists(st.tuples(st.sampled_from(["User-Agent", "X-A"]), _TEXT), max_size=3))
    return WafRequest(
        client_ip="203.0.113.7",
        method="GET",
        uri_path="/" + draw(_TEXT),
        query_string=draw(_TEXT),
        headers=tuple(headers),
    )


def _clear(acl) -> None:
    for stmt in _statements(acl).values():
        if isinstance(stmt, MemoMatch):
            stmt.memo.clear()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=requests(), second=requests())
def test_warm_statement_memos_decide_as_cold_ones(first: WafRequest, second: WafRequest) -> None:
    _clear(ACL)
    cold = [evaluate(ACL, first), evaluate(ACL, second)]
    warm = [evaluate(ACL, first), evaluate(ACL, second)]  # replayed: verdicts and evidence
    assert cold == warm


def test_evidence_is_replayed_and_memos_are_bounded(monkeypatch) -> None:
    _clear(ACL)
    request = WafRequest(client_ip="203.0.113.7", method="GET", uri_path="/longer", query_string="a=1234")
    cold = evaluate(ACL, request)
    assert {m.rule_name for m in cold.matches} >= {"no-ua", "long-path", "args"}
    assert evaluate(ACL, request) == cold
    monkeypatch.setattr(memo_module, "MAX_ENTRIES", 2)
    monkeypatch.setattr(memo_module, "MAX_CHARS", 8)
    path_memo = _statements(ACL)["long-path"].memo  # type: ignore[union-attr]
    for i in range(6):
        evaluate(ACL, WafRequest(client_ip="203.0.113.7", method="GET", uri_path=f"/p{i}"))
        assert len(path_memo) <= 2
    evaluate(ACL, WafRequest(client_ip="203.0.113.7", method="GET", uri_path="/" + "x" * 9))
    assert "/" + "x" * 9 not in path_memo  # over MAX_CHARS
    listed = WafRequest(client_ip="203.0.113.7", method="GET", uri_path="/", headers=[["User-Agent", "evil"]])  # type: ignore[arg-type]
    assert evaluate(ACL, listed).terminating_rule_id == "ua-evil"  # unhashable headers: decided all the same


def test_default_acl_wraps_its_ungated_rules() -> None:
    from tests.rules.test_managed_rules import DEFAULT_ACL
    from wafproxy.aclfiles import load_web_acl

    acl = load_web_acl(DEFAULT_ACL)
    wrapped = {r.name: r.statement.attr for r in acl.rules if isinstance(r.statement, MemoMatch)}
    assert wrapped.get("CountMissingUserAgent") == "headers"
    assert wrapped.get("BlockedIPs") == "client_ip"


def _posted(body: str) -> WafRequest:
    data = body.encode()
    return WafRequest(client_ip="203.0.113.7", method="POST", uri_path="/", body=data, body_size=len(data))


def test_pattern_evidence_is_kept_for_short_hits_only_and_bounded(monkeypatch) -> None:
    from wafproxy.engine import nodes

    # a body field: no MemoMatch around it, so the node itself answers every request
    acl = compile_with(web_acl(rule("a", 0, _regex({"Body": {}}, "a"), "Count")))
    node = acl.rules[0].statement
    assert isinstance(node, nodes.PatternMatch)
    first = evaluate(acl, _posted("a=1"))
    assert len(node.details) == 1 and evaluate(acl, _posted("a=1")) == first  # replayed, same evidence
    evaluate(acl, _posted("a" * 129))
    assert len(node.details) == 1  # over DETAIL_CHARS: not kept
    monkeypatch.setattr(nodes, "DETAIL_ENTRIES", 3)
    for i in range(10):
        evaluate(acl, _posted(f"a={i}"))
        assert len(node.details) <= 3
