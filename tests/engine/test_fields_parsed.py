"""Fields that need parsing (query arguments, cookies, JSON body) and the SQLi / XSS detectors."""

from __future__ import annotations

import json

import pytest

from tests.engine.aclkit import byte_match, compile_with, req, rule, tt, web_acl
from wafproxy.engine import Action, evaluate


def _blocks(statement, request) -> bool:
    return evaluate(compile_with(web_acl(rule("r", 0, statement))), request).action is Action.BLOCK


ARG = {"SingleQueryArgument": {"Name": "User"}}
ALL_ARGS = {"AllQueryArguments": {}}


def cookies(pattern, scope="VALUE", over="CONTINUE"):
    return {"Cookies": {"MatchPattern": pattern, "MatchScope": scope, "OversizeHandling": over}}


@pytest.mark.parametrize(
    ("statement", "request_", "expected"),
    [
        (byte_match("admin", ARG, "EXACTLY"), req(query="x=1&user=admin"), True),
        (byte_match("admin", ARG, "EXACTLY"), req(query="x=admin&user=bob"), False),
        (byte_match("admin", ARG, "EXACTLY"), req(query="user=bob&USER=admin"), True),  # every value
        (byte_match("admin", ARG, "EXACTLY", ("URL_DECODE",)), req(query="user=%61dmin"), True),
        (byte_match("admin", ARG, "EXACTLY"), req(query="user=%61dmin"), False),  # raw, not decoded
        (byte_match("evil", ALL_ARGS), req(query="a=1&b=evil"), True),
        (byte_match("evil", ALL_ARGS), req(query="evil=1"), False),  # values only
        (byte_match("abc", cookies({"All": {}})), req(headers=(("Cookie", "a=1; s=abc"),)), True),
        (byte_match("abc", cookies({"All": {}}, "KEY")), req(headers=(("Cookie", "a=1; s=abc"),)), False),
        (
            byte_match("s", cookies({"All": {}}, "KEY"), "EXACTLY"),
            req(headers=(("Cookie", "a=1; s=abc"),)),
            True,
        ),
        (byte_match("abc", cookies({"IncludedCookies": ["a"]})), req(headers=(("Cookie", "s=abc"),)), False),
        (
            byte_match("abc", cookies({"ExcludedCookies": ["a"]})),
            req(headers=(("Cookie", "a=abc; b=abc"),)),
            True,
        ),
        (byte_match("abc", cookies({"ExcludedCookies": ["a"]})), req(headers=(("Cookie", "a=abc"),)), False),
    ],
)
def test_query_and_cookie_fields(statement, request_, expected):
    assert _blocks(statement, request_) is expected


def json_field(scope="VALUE", pattern=None, fallback=None, over=None):
    body = {"MatchPattern": pattern or {"All": {}}, "MatchScope": scope}
    if fallback:
        body["InvalidFallbackBehavior"] = fallback
    if over:
        body["OversizeHandling"] = over
    return {"JsonBody": body}


DOC = json.dumps({"user": {"name": "alice", "role": "admin"}, "tags": ["x", "evil"]}).encode()


@pytest.mark.parametrize(
    ("field", "search", "body", "expected"),
    [
        (json_field("VALUE"), "alice", DOC, True),
        (json_field("VALUE"), "role", DOC, False),
        (json_field("KEY"), "role", DOC, True),
        (json_field("KEY"), "alice", DOC, False),
        (json_field("ALL"), "role", DOC, True),
        (json_field("VALUE", {"IncludedPaths": ["/user/role"]}), "admin", DOC, True),
        (json_field("VALUE", {"IncludedPaths": ["/user/name"]}), "admin", DOC, False),
        (json_field("VALUE", {"IncludedPaths": ["/user"]}), "admin", DOC, True),  # below the path
        (json_field("VALUE", {"IncludedPaths": ["/tags/1"]}), "evil", DOC, True),
        (json_field("VALUE", fallback="MATCH"), "zzz", b'{"a": ', True),
        (json_field("VALUE", fallback="NO_MATCH"), "evil", b'{"a": "evil", ', False),
        (json_field("VALUE", fallback="EVALUATE_AS_STRING"), '"a"', b'{"a": 1,,}', True),
        (json_field("VALUE"), "evil", b'{"a": "evil", ', True),  # no fallback: what parsed before the error
    ],
)
def test_json_body(field, search, body, expected):
    assert (
        _blocks(
            byte_match(search, field, "EXACTLY" if search != '"a"' else "CONTAINS"),
            req(method="POST", body=body),
        )
        is expected
    )


def test_json_body_oversize_handling():
    body = b'{"a": "benign", "b": "evil"}'
    for over, expected in (("MATCH", True), ("NO_MATCH", False), ("CONTINUE", False)):
        field = json_field("VALUE", over=over)
        # 10 bytes inspected out of a larger body: the part inspected holds no "evil"
        assert (
            _blocks(byte_match("evil", field), req(method="POST", body=body[:10], body_size=len(body)))
            is expected
        )


def test_json_parsed_once_for_several_fields():
    acl = compile_with(
        web_acl(
            rule("k", 0, byte_match("role", json_field("KEY"), "EXACTLY"), "Count"),
            rule("v", 1, byte_match("admin", json_field("VALUE"), "EXACTLY")),
        )
    )
    d = evaluate(acl, req(method="POST", body=DOC))
    assert d.action is Action.BLOCK and [m.rule_name for m in d.matches] == ["k", "v"]
    assert d.terminating_details[0].field_name == "/user/role"


def SQLI(field, level="LOW", chain=("URL_DECODE",)):  # noqa: N802
    return {
        "SqliMatchStatement": {
            "FieldToMatch": field,
            "TextTransformations": tt(*chain),
            "SensitivityLevel": level,
        }
    }


def XSS(field, chain=("URL_DECODE", "HTML_ENTITY_DECODE")):  # noqa: N802
    return {"XssMatchStatement": {"FieldToMatch": field, "TextTransformations": tt(*chain)}}


@pytest.mark.parametrize(
    ("statement", "request_", "expected"),
    [
        (SQLI(ALL_ARGS), req(query="id=1%27%20OR%20%271%27%3D%271"), True),
        (SQLI(ALL_ARGS), req(query="id=42&name=o%27brien"), False),
        (
            SQLI({"QueryString": {}}, chain=("NONE",)),
            req(query="id=1' UNION SELECT password FROM users--"),
            True,
        ),
        (SQLI({"Body": {}}), req(method="POST", body=b"q=1;DROP TABLE users--"), True),
        (SQLI({"Body": {}}), req(method="POST", body=b"q=hello world"), False),
        (XSS(ALL_ARGS), req(query="q=%3Cscript%3Ealert(1)%3C/script%3E"), True),
        (XSS(ALL_ARGS), req(query="q=a%20%3C%20b"), False),
        (XSS({"Body": {}}), req(method="POST", body=b'c=<img src=x onerror="alert(1)">'), True),
    ],
)
def test_sqli_xss(statement, request_, expected):
    assert _blocks(statement, request_) is expected


def test_sqli_evidence_names_the_argument():
    acl = compile_with(web_acl(rule("r", 0, SQLI(ALL_ARGS))))
    d = evaluate(acl, req(query="ok=1&id=1%27%20OR%201%3D1--"))
    (detail,) = d.terminating_details
    assert (detail.condition_type, detail.location, detail.field_name) == (
        "SQL_INJECTION",
        "ALL_QUERY_ARGS",
        "id",
    )
    assert detail.matched_data[0].startswith("1' OR 1=1")


@pytest.mark.parametrize(("level", "expected"), [("LOW", False), ("HIGH", True)])
def test_sqli_sensitivity_levels_differ(level, expected):
    statement = SQLI(ALL_ARGS, level=level)
    assert _blocks(statement, req(query="q=select%20name%20from%20users")) is expected


@pytest.mark.parametrize(("handling", "expected"), [("CONTINUE", True), ("MATCH", True), ("NO_MATCH", False)])
def test_cookies_oversize_handling(handling, expected):
    jar = "; ".join(f"c{i}=v" for i in range(250)) + "; c0=abc"
    statement = byte_match("abc", cookies({"All": {}}, over=handling))
    # CONTINUE inspects the first 200 cookies only: put the match among them
    jar = "c0=abc; " + jar if handling == "CONTINUE" else jar
    assert _blocks(statement, req(headers=(("Cookie", jar),))) is expected


@pytest.mark.parametrize(
    ("fallback", "body", "expected"),
    [
        # cut by the inspection limit only: inspect what parsed, whatever the fallback
        ("MATCH", b'{"a": "benign", "b": "tail-cut-her', False),
        ("NO_MATCH", b'{"a": "evil", "b": [1, 2', True),
        ("MATCH", b'{"a": "benign", "b": [1, 2', False),
        # invalid before the cut: the fallback applies
        ("MATCH", b'{"a": "benign",, "b": 1', True),
        ("NO_MATCH", b'{"a": "evil",, "b": 1', False),
        # EVALUATE_AS_STRING keeps the text
        ("EVALUATE_AS_STRING", b'{"a": "benign", "b": "evil-cut-her', True),
    ],
)
def test_json_cut_at_the_inspection_limit(fallback, body, expected):
    field = json_field("VALUE", fallback=fallback, over="CONTINUE")
    stmt = byte_match("evil", field)
    assert _blocks(stmt, req(method="POST", body=body, body_size=len(body) + 5000)) is expected
