"""Request-part parsers: raw query/cookie/form pairs, JSON flattening and invalid-JSON reporting,
multipart parts and boundaries. Tables first; then agreement of the two JSON parsers on random
valid documents, and "never raises" on hostile bytes.
"""

from __future__ import annotations

import json
import random

import pytest

from wafproxy.engine.parsing import (
    InvalidJson,
    JsonDocument,
    JsonKey,
    JsonLeaf,
    multipart_boundary,
    parse_cookies,
    parse_form,
    parse_json,
    parse_multipart,
    parse_query,
)
from wafproxy.engine.parsing._json import _parse_slow

QUERY = [
    ("", []),
    ("a=1", [("a", "1")]),
    ("a=1&b=%41+x&c&=v", [("a", "1"), ("b", "%41+x"), ("c", ""), ("", "v")]),  # raw: not decoded
    ("a=1&&a=2&", [("a", "1"), ("a", "2")]),  # duplicates kept, empty segments dropped
    ("a=b=c", [("a", "b=c")]),
    ("a=1;b=2", [("a", "1;b=2")]),  # only & separates
    ("x=%ZZ&y=\udcff", [("x", "%ZZ"), ("y", "\udcff")]),
]


@pytest.mark.parametrize(("qs", "expected"), QUERY)
def test_parse_query(qs: str, expected: list[tuple[str, str]]) -> None:
    assert parse_query(qs) == expected


def test_padding_cannot_hide_an_argument() -> None:
    assert parse_query("&" * 5000 + "a=<x>") == [("a", "<x>")]
    assert parse_cookies([";" * 5000 + "a=<x>"]) == [("a", "<x>")]


def test_parse_query_is_bounded() -> None:
    assert len(parse_query("a=1&" * 5000)) == 1000
    assert len(parse_query("a=1&" * 50, max_items=10)) == 10


COOKIES = [
    ([], []),
    (["a=1; b=2"], [("a", "1"), ("b", "2")]),
    (["a=1;b=2;  c"], [("a", "1"), ("b", "2"), ("c", "")]),
    (['s="x y"; t=%3C'], [("s", '"x y"'), ("t", "%3C")]),  # raw: quotes and escapes kept
    (["a=1", "b=2; a=3"], [("a", "1"), ("b", "2"), ("a", "3")]),  # several headers, in order
    (["; ;a=1;"], [("a", "1")]),
]


@pytest.mark.parametrize(("headers", "expected"), COOKIES)
def test_parse_cookies(headers: list[str], expected: list[tuple[str, str]]) -> None:
    assert parse_cookies(headers) == expected


def test_parse_cookies_is_bounded_across_headers() -> None:
    assert len(parse_cookies(["a=1;" * 600, "b=2;" * 600])) == 1000


def test_parse_form() -> None:
    assert parse_form(b"user=a%20b&x=1+2&bad=\xff\r\n") == [
        ("user", "a%20b"),
        ("x", "1+2"),
        ("bad", "\udcff"),
    ]
    assert parse_form(b"") == []


# --- JSON ---------------------------------------------------------------------------------------


def test_json_flattens_keys_and_leaves_in_document_order() -> None:
    doc = parse_json(b'{"a":[1,"x",{"b/c~":null}],"a":true,"n":1.50e3,"e":{},"s":"\\u003cscript"}')
    assert isinstance(doc, JsonDocument)
    assert doc.keys == (
        JsonKey("/a", "a"),
        JsonKey("/a/2/b~1c~0", "b/c~"),
        JsonKey("/a", "a"),  # a duplicate member is kept
        JsonKey("/n", "n"),
        JsonKey("/e", "e"),
        JsonKey("/s", "s"),
    )
    assert doc.leaves == (
        JsonLeaf("/a/0", None, "1"),
        JsonLeaf("/a/1", None, "x"),
        JsonLeaf("/a/2/b~1c~0", "b/c~", "null"),
        JsonLeaf("/a", "a", "true"),
        JsonLeaf("/n", "n", "1.50e3"),  # numbers exactly as written
        JsonLeaf("/s", "s", "<script"),  # strings decoded
    )
    assert not doc.truncated


@pytest.mark.parametrize(
    ("body", "offset", "reason"),
    [
        (b"", 0, "unexpected end"),
        (b'{"a":1,"b":[1,2', 15, "unexpected end"),
        (b"[1,2]x", 5, "extra data"),
        (b'{"k" 1}', 5, "expected ':'"),
        (b'{"a":NaN}', 5, "expected a value"),
        (b'{"a":1,}', 7, "member name"),
        (b"[1 2]", 3, "expected ','"),
        (b'{"a":"\x01"}', 5, "invalid string"),
        (b"\xef\xbb\xbf[1,]", 6, "expected a value"),  # offsets count the BOM's bytes
        ('{"é":x}'.encode(), 6, "expected a value"),  # byte offsets, not characters
    ],
)
def test_invalid_json_reports_byte_offset_and_reason(body: bytes, offset: int, reason: str) -> None:
    result = parse_json(body)
    assert isinstance(result, InvalidJson)
    assert result.offset == offset
    assert reason in result.reason


def test_truncated_json_keeps_the_leading_leaves() -> None:
    result = parse_json(b'{"user":"bob","roles":["admin","x"],"bio":"<scr')
    assert isinstance(result, InvalidJson)
    assert [leaf.value for leaf in result.partial.leaves] == ["bob", "admin", "x"]
    assert [k.key for k in result.partial.keys] == ["user", "roles", "bio"]


def test_json_depth_limit_is_an_invalid_document() -> None:
    assert isinstance(parse_json(b"[[[1]]]", max_depth=3), JsonDocument)
    deep = parse_json(b'{"a":[[[1]]]}', max_depth=3)
    assert isinstance(deep, InvalidJson) and deep.offset == 7 and "nesting" in deep.reason
    # C-parser recursion limit territory: still an answer, not an exception
    huge = parse_json(b"[" * 200_000)
    assert isinstance(huge, InvalidJson) and huge.offset == 64


def test_json_item_limit_truncates() -> None:
    doc = parse_json(json.dumps({f"k{i}": i for i in range(100)}).encode(), max_items=11)
    assert isinstance(doc, JsonDocument) and doc.truncated
    assert len(doc.keys) + len(doc.leaves) == 11


def _random_json(rnd: random.Random, depth: int = 0) -> object:
    roll = rnd.random()
    if depth < 4 and roll < 0.25:
        return {
            rnd.choice(["a", "b/c", "~", "é", ""]): _random_json(rnd, depth + 1)
            for _ in range(rnd.randint(0, 3))
        }
    if depth < 4 and roll < 0.45:
        return [_random_json(rnd, depth + 1) for _ in range(rnd.randint(0, 3))]
    return rnd.choice([None, True, False, 0, -12, 3.25, "x", '<s"cr\\ipt>', "\u2028", "\U0001f600"])


def test_fast_and_validating_parsers_agree_on_valid_documents() -> None:
    rnd = random.Random(7)
    for _ in range(300):
        text = json.dumps(_random_json(rnd), ensure_ascii=rnd.random() < 0.5)
        fast = parse_json(text.encode())
        assert isinstance(fast, JsonDocument)
        assert _parse_slow(text, text.encode(), 64, 10000) == fast, text


def test_json_never_raises_on_hostile_bytes() -> None:
    rnd = random.Random(3)
    alphabet = b'{}[]:,"\\ 0123456789.eE+-truefalsnl\xff\x00u'
    for _ in range(2000):
        body = bytes(rnd.choices(alphabet, k=rnd.randint(0, 30)))
        assert isinstance(parse_json(body, max_depth=5, max_items=20), (JsonDocument, InvalidJson))


# --- multipart ----------------------------------------------------------------------------------

BODY = (
    b"preamble\r\n--XyZ\r\n"
    b'Content-Disposition: form-data; name="a"\r\n\r\n1\r\n'
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="f"; filename="x;y.php"\r\n'
    b"Content-Type: application/x-php\r\n\r\n<?php system($_GET[c]); ?>\r\n"
    b"--XyZ\r\n"
    b"Content-Disposition: form-data; name=\"u\"; filename*=UTF-8''%E2%82%AC.txt\r\n\r\n"
    b"line1\r\nline2 --XyZ not a delimiter\r\n"
    b"--XyZ--\r\nepilogue"
)


def test_multipart_parts() -> None:
    parts = parse_multipart(BODY, "XyZ")
    assert [(p.name, p.filename, p.content_type, p.value, p.complete) for p in parts] == [
        ("a", None, None, "1", True),
        ("f", "x;y.php", "application/x-php", "<?php system($_GET[c]); ?>", True),
        ("u", "€.txt", None, "line1\r\nline2 --XyZ not a delimiter", True),
    ]
    assert parts[1].headers[1] == ("Content-Type", "application/x-php")


def test_multipart_truncated_body_returns_the_partial_last_part() -> None:
    cut = BODY[: BODY.index(b"system")]
    parts = parse_multipart(cut, "XyZ")
    assert [(p.name, p.complete) for p in parts] == [("a", True), ("f", False)]
    assert parts[1].value == "<?php "


def test_multipart_bare_lf_and_limits() -> None:
    body = b'--b\nContent-Disposition: form-data; name="x"\n\nv\n--b\n\nno headers\n--b--'
    parts = parse_multipart(body, "b")
    assert [(p.name, p.value) for p in parts] == [("x", "v"), (None, "no headers")]
    many = (
        b"".join(b'--b\r\nContent-Disposition: form-data; name="p"\r\n\r\nv\r\n' for _ in range(50))
        + b"--b--"
    )
    assert len(parse_multipart(many, "b", max_parts=10)) == 10
    assert parse_multipart(b"no delimiter here", "b") == []
    assert parse_multipart(BODY, "") == []


def test_multipart_never_raises_on_hostile_bytes() -> None:
    rnd = random.Random(5)
    alphabet = b'-b\r\n:;="\\ Content-Disposition form-data name filename*\xff'
    for _ in range(1000):
        body = bytes(rnd.choices(alphabet, k=rnd.randint(0, 80)))
        for part in parse_multipart(body, "b", max_parts=20):
            assert isinstance(part.value, str)


@pytest.mark.parametrize(
    ("content_type", "boundary"),
    [
        ("multipart/form-data; boundary=----WebKitFormBoundary7MA4", "----WebKitFormBoundary7MA4"),
        ('multipart/form-data; boundary="a b:c"', "a b:c"),
        ("Multipart/Form-Data; charset=utf-8; BOUNDARY=xyz", "xyz"),
        ("multipart/mixed;boundary=q", "q"),
        ("multipart/form-data", None),
        ("multipart/form-data; boundary=", None),
        ("text/plain; boundary=x", None),
        ("application/x-www-form-urlencoded", None),
        ("multipart/form-data; xboundary=x", None),
    ],
)
def test_multipart_boundary(content_type: str, boundary: str | None) -> None:
    assert multipart_boundary(content_type) == boundary
