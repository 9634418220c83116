"""Non-ASCII bytes reach the rules as the characters they encode: a rule written for `’` in a cookie
or `①` in a query string refuses the request through the proxy server exactly as the same request
evaluated in-process is refused (the gap CRS 942420 / 934120 showed between ``serve`` and the
engine: latin-1 decoding handed the rules mojibake)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.bodystream.upstream import RecordingUpstream, recording_upstream
from tests.server.harness import RunningProxy, exchange, proxy_in_thread, statuses
from wafproxy.asgi.wafrequests import wire_text

_VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
_NONE = [{"Priority": 0, "Type": "NONE"}]


def _rule(name: str, priority: int, field: dict[str, object], pattern: str) -> dict[str, object]:
    return {"Name": name, "Priority": priority, "Action": {"Block": {}}, "VisibilityConfig": _VIS,
            "Statement": {"RegexMatchStatement": {"RegexString": pattern, "FieldToMatch": field,
                                                  "TextTransformations": _NONE}}}


ACL = {
    "Name": "chars", "DefaultAction": {"Allow": {}}, "VisibilityConfig": _VIS,
    "Rules": [
        _rule("QuoteInCookie", 0, {"SingleHeader": {"Name": "cookie"}}, "\u2019 OR"),
        _rule("CircledDigitInQuery", 1, {"QueryString": {}}, "\u2460\u2465"),
        _rule("UmlautInPath", 2, {"UriPath": {}}, "^/wiki/Z\u00fcrich/admin$"),
    ],
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with recording_upstream() as up:
        yield up


@pytest.fixture(scope="module")
def proxy(upstream: RecordingUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProxy]:
    path = tmp_path_factory.mktemp("acl") / "acl.json"
    path.write_text(json.dumps(ACL))
    with proxy_in_thread(upstream.url, path) as running:
        yield running


def _get(target: bytes, extra: bytes = b"") -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n" + extra + b"Connection: close\r\n\r\n"


REFUSED = [
    ("utf8-cookie", _get(b"/p", "Cookie: id=\u2019 OR \u20191\u2019=\u2019x\r\n".encode())),
    ("utf8-query", _get("/get?ssrf=imap://\u2460\u2465\u2468.\u2461".encode())),
    ("utf8-path", _get("/wiki/Z\u00fcrich/admin".encode())),
]
PASSED = [
    ("ascii-cookie", _get(b"/p", b"Cookie: id=' OR x\r\n")),
    ("latin1-cookie", _get(b"/p", b"Cookie: q=\x92 OR\r\n")),  # windows-1252 quote: not UTF-8, kept as a byte
    ("utf8-path-other", _get("/wiki/Z\u00fcrich".encode())),
]


@pytest.mark.parametrize("raw", [pytest.param(r, id=i) for i, r in REFUSED])
def test_rules_see_utf8_as_characters(proxy: RunningProxy, upstream: RecordingUpstream, raw: bytes) -> None:
    before = len(upstream.done())
    assert statuses(exchange(proxy.port, raw)) == [403]
    assert upstream.done()[before:] == []


@pytest.mark.parametrize("raw", [pytest.param(r, id=i) for i, r in PASSED])
def test_other_bytes_pass_untouched(proxy: RunningProxy, upstream: RecordingUpstream, raw: bytes) -> None:
    assert statuses(exchange(proxy.port, raw)) == [200]
    assert upstream.done()[-1].head.split(b"\r\n", 1)[0] == raw.split(b"\r\n", 1)[0]


def test_wire_text() -> None:
    assert wire_text(b"plain") == "plain"
    assert wire_text("Z\u00fcrich \u2019".encode()) == "Z\u00fcrich \u2019"
    assert wire_text(b"caf\xe9") == "caf\u00e9"  # not UTF-8: one character per byte, as before
