"""Table-driven: every statement type, positive and negative."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.engine.aclkit import byte_match, compile_with, req, rule, tt, web_acl
from wafproxy.engine import Action, WafRequest, evaluate

REGEX_SET = {
    "Name": "bad-agents",
    "ARN": "arn:aws:wafv2:us-east-1:1:regional/regexpatternset/bad-agents/x",
    "RegularExpressionList": [{"RegexString": "^sqlmap/"}, {"RegexString": "nikto|nessus"}],
}
IPSET_V4 = {"Name": "v4", "IPAddressVersion": "IPV4", "Addresses": ["10.0.0.0/8"]}
IPSET_V6 = {"Name": "v6", "IPAddressVersion": "IPV6", "Addresses": ["2001:db8::/32"]}
UA = {"SingleHeader": {"Name": "User-Agent"}}


def _matches(statement: dict[str, Any], request: WafRequest) -> bool:
    acl = compile_with(web_acl(rule("r", 0, statement)), REGEX_SET, IPSET_V4, IPSET_V6)
    return evaluate(acl, request).action is Action.BLOCK


def _ua(value: str) -> WafRequest:
    return req(headers=(("User-Agent", value),))


CASES: list[tuple[str, dict[str, Any], WafRequest, bool]] = [
    # ByteMatch: the five positional constraints
    ("exactly+", byte_match("/a", position="EXACTLY"), req("/a"), True),
    ("exactly-", byte_match("/a", position="EXACTLY"), req("/ab"), False),
    ("starts+", byte_match("/api", position="STARTS_WITH"), req("/api/v1"), True),
    ("starts-", byte_match("/api", position="STARTS_WITH"), req("/v1/api"), False),
    ("ends+", byte_match(".php", position="ENDS_WITH"), req("/index.php"), True),
    ("ends-", byte_match(".php", position="ENDS_WITH"), req("/index.php/x"), False),
    ("contains+", byte_match("etc/passwd"), req("/x/../etc/passwd"), True),
    ("contains-", byte_match("etc/passwd"), req("/etc/shadow"), False),
    ("word+", byte_match("admin", position="CONTAINS_WORD"), req("/x/admin/y"), True),
    ("word+end", byte_match("admin", position="CONTAINS_WORD"), req("admin"), True),
    ("word-", byte_match("admin", position="CONTAINS_WORD"), req("/administrator"), False),
    ("word-underscore", byte_match("admin", position="CONTAINS_WORD"), req("/_admin"), False),
    ("case-sensitive", byte_match("/Admin"), req("/admin"), False),
    ("lowercase", byte_match("/admin", transforms=("LOWERCASE",)), req("/ADMIN"), True),
    ("chain-order", byte_match("/admin", transforms=("URL_DECODE", "LOWERCASE")), req("/%41DMIN"), True),
    (
        "b64",
        {
            "ByteMatchStatement": {
                "SearchStringBase64": base64.b64encode(b"/secret").decode(),
                "FieldToMatch": {"UriPath": {}},
                "TextTransformations": tt(),
                "PositionalConstraint": "CONTAINS",
            }
        },
        req("/secret"),
        True,
    ),
    # RegexMatch / RegexPatternSetReference
    (
        "regex+",
        {
            "RegexMatchStatement": {
                "RegexString": r"^/user/\d+$",
                "FieldToMatch": {"UriPath": {}},
                "TextTransformations": tt(),
            }
        },
        req("/user/42"),
        True,
    ),
    (
        "regex-",
        {
            "RegexMatchStatement": {
                "RegexString": r"^/user/\d+$",
                "FieldToMatch": {"UriPath": {}},
                "TextTransformations": tt(),
            }
        },
        req("/user/x"),
        False,
    ),
    (
        "regexset+1",
        {
            "RegexPatternSetReferenceStatement": {
                "ARN": REGEX_SET["ARN"],
                "FieldToMatch": UA,
                "TextTransformations": tt(),
            }
        },
        _ua("sqlmap/1.0"),
        True,
    ),
    (
        "regexset+2",
        {
            "RegexPatternSetReferenceStatement": {
                "ARN": "bad-agents",
                "FieldToMatch": UA,
                "TextTransformations": tt(),
            }
        },
        _ua("x nikto"),
        True,
    ),
    (
        "regexset-",
        {
            "RegexPatternSetReferenceStatement": {
                "ARN": "bad-agents",
                "FieldToMatch": UA,
                "TextTransformations": tt(),
            }
        },
        _ua("curl/8"),
        False,
    ),
    (
        "regexset-missing-header",
        {
            "RegexPatternSetReferenceStatement": {
                "ARN": "bad-agents",
                "FieldToMatch": UA,
                "TextTransformations": tt(),
            }
        },
        req(),
        False,
    ),
    # SizeConstraint
    (
        "size-gt+",
        {
            "SizeConstraintStatement": {
                "FieldToMatch": {"UriPath": {}},
                "ComparisonOperator": "GT",
                "Size": 5,
                "TextTransformations": tt(),
            }
        },
        req("/123456"),
        True,
    ),
    (
        "size-gt-",
        {
            "SizeConstraintStatement": {
                "FieldToMatch": {"UriPath": {}},
                "ComparisonOperator": "GT",
                "Size": 5,
                "TextTransformations": tt(),
            }
        },
        req("/1234"),
        False,
    ),
    (
        "size-eq-bytes",
        {
            "SizeConstraintStatement": {
                "FieldToMatch": {"UriPath": {}},
                "ComparisonOperator": "EQ",
                "Size": 3,
                "TextTransformations": tt(),
            }
        },
        req("/é"),
        True,
    ),
    (
        "size-after-transform",
        {
            "SizeConstraintStatement": {
                "FieldToMatch": {"UriPath": {}},
                "ComparisonOperator": "LE",
                "Size": 2,
                "TextTransformations": tt("URL_DECODE"),
            }
        },
        req("/%41"),
        True,
    ),
    # IPSetReference with forwarded IP configuration
    ("ip6+", {"IPSetReferenceStatement": {"ARN": "v6"}}, req(ip="2001:db8::9"), True),
    ("ip6-", {"IPSetReferenceStatement": {"ARN": "v6"}}, req(ip="2001:db9::9"), False),
    (
        "xff-first+",
        {
            "IPSetReferenceStatement": {
                "ARN": "v4",
                "IPSetForwardedIPConfig": {
                    "HeaderName": "X-Forwarded-For",
                    "FallbackBehavior": "NO_MATCH",
                    "Position": "FIRST",
                },
            }
        },
        req(headers=(("X-Forwarded-For", "10.1.1.1, 8.8.8.8"),)),
        True,
    ),
    (
        "xff-last-",
        {
            "IPSetReferenceStatement": {
                "ARN": "v4",
                "IPSetForwardedIPConfig": {
                    "HeaderName": "X-Forwarded-For",
                    "FallbackBehavior": "NO_MATCH",
                    "Position": "LAST",
                },
            }
        },
        req(headers=(("X-Forwarded-For", "10.1.1.1, 8.8.8.8"),)),
        False,
    ),
    (
        "xff-any+",
        {
            "IPSetReferenceStatement": {
                "ARN": "v4",
                "IPSetForwardedIPConfig": {
                    "HeaderName": "X-Forwarded-For",
                    "FallbackBehavior": "NO_MATCH",
                    "Position": "ANY",
                },
            }
        },
        req(headers=(("X-Forwarded-For", "8.8.8.8, 10.1.1.1, 9.9.9.9"),)),
        True,
    ),
    (
        "xff-missing-fallback-match",
        {
            "IPSetReferenceStatement": {
                "ARN": "v4",
                "IPSetForwardedIPConfig": {
                    "HeaderName": "X-Forwarded-For",
                    "FallbackBehavior": "MATCH",
                    "Position": "FIRST",
                },
            }
        },
        req(),
        True,
    ),
    (
        "xff-invalid-fallback-nomatch",
        {
            "IPSetReferenceStatement": {
                "ARN": "v4",
                "IPSetForwardedIPConfig": {
                    "HeaderName": "X-Forwarded-For",
                    "FallbackBehavior": "NO_MATCH",
                    "Position": "FIRST",
                },
            }
        },
        req(ip="10.0.0.1", headers=(("X-Forwarded-For", "garbage"),)),
        False,
    ),
    # And / Or / Not, nested
    ("and+", {"AndStatement": {"Statements": [byte_match("/a"), byte_match("b")]}}, req("/ab"), True),
    ("and-", {"AndStatement": {"Statements": [byte_match("/a"), byte_match("c")]}}, req("/ab"), False),
    ("or+", {"OrStatement": {"Statements": [byte_match("x"), byte_match("b")]}}, req("/ab"), True),
    ("or-", {"OrStatement": {"Statements": [byte_match("x"), byte_match("y")]}}, req("/ab"), False),
    ("not+", {"NotStatement": {"Statement": byte_match("x")}}, req("/ab"), True),
    ("not-", {"NotStatement": {"Statement": byte_match("a")}}, req("/ab"), False),
    (
        "nested",
        {
            "AndStatement": {
                "Statements": [
                    {
                        "NotStatement": {
                            "Statement": {"OrStatement": {"Statements": [byte_match("x"), byte_match("y")]}}
                        }
                    },
                    {"NotStatement": {"Statement": {"NotStatement": {"Statement": byte_match("/a")}}}},
                ]
            }
        },
        req("/ab"),
        True,
    ),
    # Method, QueryString, SingleHeader, UriFragment, HeaderOrder, JA3
    ("method+", byte_match("DELETE", {"Method": {}}, "EXACTLY"), req(method="DELETE"), True),
    ("method-", byte_match("DELETE", {"Method": {}}, "EXACTLY"), req(method="GET"), False),
    ("query+", byte_match("debug=1", {"QueryString": {}}), req(query="a=2&debug=1"), True),
    ("query-", byte_match("debug=1", {"QueryString": {}}), req(query="debug=0"), False),
    ("header-case-insensitive-name", byte_match("evil", UA), _ua("very evil bot"), True),
    ("fragment+", byte_match("token", {"UriFragment": {}}), req(uri_fragment="token=1"), True),
    ("fragment-fallback", byte_match("token", {"UriFragment": {"FallbackBehavior": "MATCH"}}), req(), True),
    (
        "header-order+",
        byte_match("host:user-agent:accept", {"HeaderOrder": {"OversizeHandling": "CONTINUE"}}, "EXACTLY"),
        req(headers=(("Host", "a"), ("User-Agent", "b"), ("Accept", "c"))),
        True,
    ),
    (
        "header-order-",
        byte_match("host:user-agent:accept", {"HeaderOrder": {"OversizeHandling": "CONTINUE"}}, "EXACTLY"),
        req(headers=(("User-Agent", "b"), ("Host", "a"), ("Accept", "c"))),
        False,
    ),
    (
        "ja3+",
        byte_match("abc123", {"JA3Fingerprint": {"FallbackBehavior": "NO_MATCH"}}, "EXACTLY"),
        req(ja3_fingerprint="abc123"),
        True,
    ),
    (
        "ja3-absent-fallback",
        byte_match("abc123", {"JA3Fingerprint": {"FallbackBehavior": "MATCH"}}),
        req(),
        True,
    ),
    (
        "ja4-absent-nomatch",
        byte_match("t13d", {"JA4Fingerprint": {"FallbackBehavior": "NO_MATCH"}}),
        req(),
        False,
    ),
]


@pytest.mark.parametrize(
    ("statement", "request_", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_statement(statement, request_, expected):
    assert _matches(statement, request_) is expected


HEADERS_CASES = [
    ("all-value+", {"All": {}}, "VALUE", (("X-A", "evil"),), True),
    ("all-value-key-only", {"All": {}}, "VALUE", (("evil", "ok"),), False),
    ("all-key+", {"All": {}}, "KEY", (("evil", "ok"),), True),
    ("all-all+", {"All": {}}, "ALL", (("evil", "ok"),), True),
    ("included+", {"IncludedHeaders": ["X-A"]}, "VALUE", (("x-a", "evil"),), True),
    ("included-", {"IncludedHeaders": ["X-A"]}, "VALUE", (("X-B", "evil"),), False),
    ("excluded-", {"ExcludedHeaders": ["X-A"]}, "VALUE", (("X-A", "evil"),), False),
    ("excluded+", {"ExcludedHeaders": ["X-A"]}, "VALUE", (("X-A", "ok"), ("X-B", "evil")), True),
]


@pytest.mark.parametrize(
    ("pattern", "scope", "headers", "expected"),
    [c[1:] for c in HEADERS_CASES],
    ids=[c[0] for c in HEADERS_CASES],
)
def test_headers_field(pattern, scope, headers, expected):
    field = {"Headers": {"MatchPattern": pattern, "MatchScope": scope, "OversizeHandling": "CONTINUE"}}
    assert _matches(byte_match("evil", field), req(headers=headers)) is expected


@pytest.mark.parametrize(
    ("handling", "expected"), [("CONTINUE", False), ("MATCH", True), ("NO_MATCH", False)]
)
def test_headers_oversize_handling(handling, expected):
    many = tuple((f"X-{i}", "v") for i in range(250))
    field = {"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": handling}}
    assert _matches(byte_match("nothing-here", field), req(headers=many)) is expected


@pytest.mark.parametrize(
    ("handling", "body", "size", "expected"),
    [
        ("CONTINUE", b"abc evil", 8, True),
        ("CONTINUE", b"abc evil", 100_000, True),  # inspects what is there
        ("CONTINUE", b"abc good", 100_000, False),
        ("MATCH", b"abc good", 100_000, True),
        ("NO_MATCH", b"abc evil", 100_000, False),
        ("NO_MATCH", b"abc evil", 8, True),  # not oversize: inspected normally
    ],
)
def test_body_oversize_handling(handling, body, size, expected):
    field = {"Body": {"OversizeHandling": handling}}
    assert _matches(byte_match("evil", field), req(method="POST", body=body, body_size=size)) is expected


def test_body_bytes_are_matched_exactly():
    stmt = {
        "ByteMatchStatement": {
            "SearchString": "café",
            "FieldToMatch": {"Body": {}},
            "TextTransformations": tt(),
            "PositionalConstraint": "CONTAINS",
        }
    }
    assert _matches(stmt, req(method="POST", body="un café".encode()))
    assert not _matches(stmt, req(method="POST", body=b"un caf\xe9"))  # latin-1 bytes are not UTF-8 é
