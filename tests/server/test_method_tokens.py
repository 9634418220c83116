"""Any method token is a method: a well-framed request with a method llhttp does not know (``FOO``,
``TRACK``, ``|GET``) reaches the web ACL with its method as sent, and the ACL decides (a 403 with
its log record, or the upstream with the method and body intact). What is not a token, or not a
request line, stays a 400 that reaches nothing (``wafproxy/server/framing.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bodystream.upstream import RecordingUpstream, recording_upstream
from tests.server.harness import RunningProxy, exchange, proxy_in_thread, responses, statuses
from wafproxy.server.framing import MAX_METHOD, STAND_IN, stand_in_method

_VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}


def _acl(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Name": "methods", "DefaultAction": {"Allow": {}}, "VisibilityConfig": _VIS, "Rules": rules}


# Blocks any method outside a short allow-list, as the managed protocol group does.
_ONLY_KNOWN = {
    "Name": "OnlyKnownMethods",
    "Priority": 0,
    "Action": {"Block": {}},
    "VisibilityConfig": _VIS,
    "Statement": {
        "RegexMatchStatement": {
            "RegexString": "^(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|PROPFIND)$",
            "FieldToMatch": {"Method": {}},
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    },
}
_BLOCK_UNKNOWN = {**_ONLY_KNOWN, "Statement": {"NotStatement": {"Statement": _ONLY_KNOWN["Statement"]}}}


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with recording_upstream() as up:
        yield up


def _proxy(up: RecordingUpstream, tmp: Path, rules: list[dict[str, Any]]) -> Any:
    path = tmp / "acl.json"
    path.write_text(json.dumps(_acl(rules)))
    return proxy_in_thread(up.url, path)


@pytest.fixture(scope="module")
def guarded(upstream: RecordingUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProxy]:
    with _proxy(upstream, tmp_path_factory.mktemp("guarded"), [_BLOCK_UNKNOWN]) as running:
        yield running


@pytest.fixture(scope="module")
def open_proxy(
    upstream: RecordingUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningProxy]:
    with _proxy(upstream, tmp_path_factory.mktemp("open"), []) as running:
        yield running


UNKNOWN = [b"FOO", b"TRACK", b"REALLYLONGUNREALMETHOD", b"|GET", b"get", b"PURGE", b"M-SEARCH", b"X_1.2~!"]


@pytest.mark.parametrize("method", UNKNOWN, ids=lambda m: m.decode())
def test_an_unknown_method_token_is_the_acls_to_decide(
    guarded: RunningProxy, upstream: RecordingUpstream, method: bytes
) -> None:
    before = len(upstream.done())
    answer = exchange(guarded.port, method + b" /m HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert statuses(answer) == [403], answer[:200]
    assert upstream.done()[before:] == []


def test_a_known_method_still_passes_the_same_acl(guarded: RunningProxy, upstream: RecordingUpstream) -> None:
    answer = exchange(guarded.port, b"PROPFIND /dav HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert statuses(answer) == [200]
    assert upstream.done()[-1].head.startswith(b"PROPFIND /dav HTTP/1.1\r\n")


def test_an_allowed_unknown_method_reaches_the_upstream_as_sent_with_its_body(
    open_proxy: RunningProxy, upstream: RecordingUpstream
) -> None:
    before = len(upstream.done())
    answer = exchange(open_proxy.port, b"REPORTX /r?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                      b"Connection: close\r\n\r\nhello")
    assert statuses(answer) == [200]
    (got,) = upstream.done()[before:]
    assert got.head.startswith(b"REPORTX /r?q=1 HTTP/1.1\r\n")
    assert got.body == b"hello"


def test_pipelined_behind_a_body_the_next_request_is_framed_by_content_length(
    open_proxy: RunningProxy, upstream: RecordingUpstream
) -> None:
    """The body ends where Content-Length says, whatever the method: the bytes after it are a
    request of their own, inspected on its own (here: a known method on the same connection)."""
    before = len(upstream.done())
    answer = exchange(open_proxy.port, b"FOO /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                      b"GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert statuses(answer) == [200, 200]
    heads = [r.head.split(b"\r\n", 1)[0] for r in upstream.done()[before:]]
    assert heads == [b"FOO /a HTTP/1.1", b"GET /b HTTP/1.1"]


MALFORMED = [
    ("ctl-in-method", b"FO\x01O /m HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("tab-after-method", b"FOO\t/m HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("method-too-long", b"F" * (MAX_METHOD + 1) + b" /m HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("no-version", b"FOO /m\r\nHost: x\r\n\r\n"),
    ("method-only", b"FOO\r\nHost: x\r\n\r\n"),
    # A space inside the target is read as nginx reads it (test_proxy_server); without a version
    # at the end the line is no request line at all.
    ("space-in-target-no-version", b"FOO /m x\r\nHost: x\r\n\r\n"),
    ("cl-and-te", b"FOO /m HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\n"),
    ("bare-lf", b"FOO /m HTTP/1.1\nHost: x\r\n\r\n"),
    ("http2-version", b"FOO /m HTTP/2.0\r\nHost: x\r\n\r\n"),
]


@pytest.mark.parametrize("request_bytes", [pytest.param(r, id=i) for i, r in MALFORMED])
def test_what_is_not_a_well_framed_request_stays_a_400(
    open_proxy: RunningProxy, upstream: RecordingUpstream, request_bytes: bytes
) -> None:
    before = len(upstream.done())
    answer = exchange(open_proxy.port, request_bytes)
    got = statuses(answer)
    assert got and got[-1] in (400, 505), answer[:200]
    assert b"connection: close" in responses(answer)[-1][1].lower()
    assert upstream.done()[before:] == []


def test_stand_in_leaves_known_and_special_methods_alone() -> None:
    for line in (b"GET / HTTP/1.1\r\n", b"CONNECT h:443 HTTP/1.1\r\n", b"PRI * HTTP/2.0\r\n", b"\r\nGET /"):
        assert stand_in_method(line) == (line, None)
    assert stand_in_method(b"FOO / HTTP/1.1\r\n") == (STAND_IN + b" / HTTP/1.1\r\n", b"FOO")
