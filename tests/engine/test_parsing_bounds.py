"""``content_bound``: each bound at, just under and just over its limit; the parsers' own caps are
the highest a bound may be set (else the tail past a cap would reach the engine unparsed)."""

from __future__ import annotations

import json

import pytest

from wafproxy.engine.parsing import (
    MAX_ARGS,
    ContentLimits,
    JsonDocument,
    content_bound,
    parse_cookies,
    parse_json,
    parse_multipart,
    parse_query,
)

L = ContentLimits(max_query_args=3, max_cookies=3, max_json_depth=3, max_json_members=6,
                  max_multipart_parts=2, max_multipart_header_bytes=100)
MP = "multipart/form-data; boundary=b"


def parts(n: int, header: bytes = b"") -> bytes:
    return b"".join(b'--b\r\nContent-Disposition: form-data; name="p"\r\n%s\r\nv\r\n' % header
                    for _ in range(n)) + b"--b--"


@pytest.mark.parametrize(("query", "cookies", "body", "ctype", "bound"), [
    ("a=1&b=2&c=3", (), b"", None, None),
    ("a=1&b=2&c=3&d", (), b"", None, "too_many_query_args"),
    ("a=1&&&&&&&b=2&c=3", (), b"", None, None),  # empty segments are not arguments (parse_query)
    ("", ("a=1; b=2", "c=3"), b"", None, None),
    ("", ("a=1; b=2", "c=3; d=4"), b"", None, "too_many_cookies"),  # counted across headers
    ("", ("a=1;;; ;b=2;c=3",), b"", None, None),
    ("", (), b"[[[1]]]", None, None),
    ("", (), b"  [[[[1]]]]", None, "json_too_deep"),
    ("", (), b'{"a":"[[[[[[[["}', None, None),  # brackets in a string: the exact parse says no
    ("", (), b'{"a":1,"b":2,"c":3}', None, None),  # 3 keys + 3 values
    ("", (), b'{"a":1,"b":2,"c":3,"d":4}', None, "json_too_many_members"),
    ("", (), b'[1,2,3,4,5,6,7', None, "json_too_many_members"),  # cut or invalid: still counted
    ("", (), parts(2), MP, None),
    ("", (), parts(3), MP, "multipart_too_many_parts"),
    ("", (), parts(1, b"X: " + b"x" * 40 + b"\r\n"), MP, None),
    ("", (), parts(1, b"X: " + b"x" * 100 + b"\r\n"), MP, "multipart_part_header_too_large"),
    ("", (), parts(1, b"X: 1\r\n" * 70), "multipart/form-data; boundary=b",
     "multipart_part_header_too_large"),  # more lines than the parser reads, whatever their size
    ("", (), parts(3), "text/plain", None),  # not multipart: no parts counted
])
def test_bounds(query: str, cookies: tuple[str, ...], body: bytes, ctype: str | None,
                bound: str | None) -> None:
    limits = L
    if bound == "multipart_part_header_too_large" and b"X: 1" in body:
        limits = ContentLimits(max_multipart_header_bytes=8192)
    assert content_bound(limits, query, cookies, body, ctype) == bound


def test_defaults_are_the_parsers_caps_and_cannot_exceed_them() -> None:
    d = ContentLimits()
    assert (d.max_query_args, d.max_cookies) == (MAX_ARGS, MAX_ARGS)
    # at the default bound everything is parsed: the parsers return all of it
    assert len(parse_query("&".join(["a=1"] * d.max_query_args))) == d.max_query_args
    assert len(parse_cookies(["; ".join(["c=1"] * d.max_cookies)])) == d.max_cookies
    doc = parse_json(json.dumps(list(range(d.max_json_members))).encode())
    assert isinstance(doc, JsonDocument) and not doc.truncated
    assert len(parse_multipart(parts(d.max_multipart_parts), "b")) == d.max_multipart_parts
    capped = ("max_query_args", "max_cookies", "max_json_depth", "max_json_members", "max_multipart_parts")
    for name in capped:
        with pytest.raises(ValueError, match=name):
            ContentLimits(**{name: getattr(d, name) + 1})
    with pytest.raises(ValueError, match="max_multipart_header_bytes"):
        ContentLimits(max_multipart_header_bytes=0)
