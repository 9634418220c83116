"""Malformed requests over raw sockets: each is answered 400 (431 for an oversized head, 505 for
HTTP/2 on this port) and the upstream sees nothing of it. One row per framing ambiguity the issue
names, and then some."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.conftest import Recorder
from tests.server.harness import RunningProxy, exchange, proxy_in_thread, responses, statuses
from tests.support.servers import RunningServer

H = b"Host: x\r\n"
POST_T = b"POST /t HTTP/1.1\r\n" + H
POST_L = b"POST /l HTTP/1.1\r\n" + H
CHUNKED = b"POST /c HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"

MALFORMED: list[tuple[str, bytes, int]] = [
    # Content-Length + Transfer-Encoding (request smuggling, CL.TE / TE.CL)
    ("cl-and-te", b"POST /s HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("te-and-cl", b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
     b"0\r\n\r\n", 400),
    # Obfuscated or repeated Transfer-Encoding
    ("te-xchunked", POST_T + b"Transfer-Encoding: xchunked\r\n\r\n", 400),
    ("te-chunked-twice-in-one", POST_T + b"Transfer-Encoding: chunked, chunked\r\n\r\n"
     b"0\r\n\r\n", 400),
    ("te-gzip-chunked", POST_T + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    ("te-identity", POST_T + b"Transfer-Encoding: identity\r\n\r\n", 400),
    ("te-repeated", POST_T + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\n", 400),
    ("te-space-before-colon", POST_T + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
    ("te-vertical-tab", POST_T + b"Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n", 400),
    ("te-in-http10", b"POST /t HTTP/1.0\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    # Conflicting or malformed Content-Length
    ("cl-differing", POST_L + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
    ("cl-duplicate-equal", POST_L + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
    ("cl-list", POST_L + b"Content-Length: 5, 5\r\n\r\nhello", 400),
    ("cl-negative", POST_L + b"Content-Length: -1\r\n\r\n", 400),
    ("cl-plus", POST_L + b"Content-Length: +5\r\n\r\nhello", 400),
    ("cl-hex", POST_L + b"Content-Length: 0x5\r\n\r\nhello", 400),
    # Bad chunk sizes
    ("chunk-size-not-hex", CHUNKED + b"zz\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk-size-overflow", CHUNKED + b"ffffffffffffffffff\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk-size-bare-lf", CHUNKED + b"5\nhello\r\n0\r\n\r\n", 400),
    ("chunk-data-no-crlf", CHUNKED + b"5\r\nhelloXX0\r\n\r\n", 400),
    ("chunk-size-negative", CHUNKED + b"-5\r\nhello\r\n0\r\n\r\n", 400),
    # obs-fold, bare LF
    ("obs-fold", b"GET /f HTTP/1.1\r\n" + H + b"X-A: a\r\n b\r\n\r\n", 400),
    ("obs-fold-tab", b"GET /f HTTP/1.1\r\n" + H + b"X-A: a\r\n\tb\r\n\r\n", 400),
    ("bare-lf-request-line", b"GET /n HTTP/1.1\nHost: x\r\n\r\n", 400),
    ("bare-lf-header", b"GET /n HTTP/1.1\r\nHost: x\nX-A: y\r\n\r\n", 400),
    ("bare-cr-in-value", b"GET /n HTTP/1.1\r\n" + H + b"X-A: a\rb\r\n\r\n", 400),
    # Control bytes in headers and the request line
    ("nul-in-value", b"GET /v HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\n\r\n", 400),
    ("ctl-in-value", b"GET /v HTTP/1.1\r\n" + H + b"X-A: a\x01b\r\n\r\n", 400),
    ("del-in-value", b"GET /v HTTP/1.1\r\n" + H + b"X-A: a\x7fb\r\n\r\n", 400),
    ("ctl-in-name", b"GET /v HTTP/1.1\r\n" + H + b"Bad\x01Name: v\r\n\r\n", 400),
    ("space-before-colon", b"GET /v HTTP/1.1\r\n" + H + b"X-A : v\r\n\r\n", 400),
    ("leading-space-header", b"GET /v HTTP/1.1\r\n Host: x\r\n\r\n", 400),
    ("nul-in-target", b"GET /a\x00b HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("tab-in-target", b"GET /a\tb HTTP/1.1\r\n" + H + b"\r\n", 400),
    # Host and version
    ("no-host-http11", b"GET /h HTTP/1.1\r\nX-A: v\r\n\r\n", 400),
    ("two-hosts", b"GET /h HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("http09", b"GET /h\r\n\r\n", 400),
    ("http2-version", b"GET /h HTTP/2.0\r\n" + H + b"\r\n", 505),
    ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 tls to a plain port\r\n\r\n", 400),
    # Sizes the server refuses before any limit of the Shield
    ("head-over-64k", b"GET /big HTTP/1.1\r\n" + H + b"X-Big: " + b"a" * 100_000 + b"\r\n\r\n", 431),
    ("over-256-headers", b"GET /many HTTP/1.1\r\n" + H + b"".join(b"X-%d: v\r\n" % i for i in range(300))
     + b"\r\n", 431),
    # A pipelined request behind a good one: the good one is answered, the bad one refused
    ("pipelined-smuggle", b"GET /ok HTTP/1.1\r\n" + H + b"\r\n" + b"POST /s HTTP/1.1\r\n" + H
     + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
]


@pytest.fixture(scope="module")
def proxy(upstream: tuple[RunningServer, Recorder], acl_path: Path) -> Iterator[RunningProxy]:
    server, _ = upstream
    with proxy_in_thread(server.url, acl_path) as running:
        yield running


@pytest.mark.parametrize(("request_bytes", "status"), [pytest.param(r, s, id=i) for i, r, s in MALFORMED])
def test_malformed_is_refused_and_never_reaches_the_upstream(
    proxy: RunningProxy, upstream: tuple[RunningServer, Recorder], request_bytes: bytes, status: int
) -> None:
    _, recorder = upstream
    before = len(recorder.paths)
    answer = exchange(proxy.port, request_bytes)
    got = statuses(answer)
    assert got and got[-1] == status, answer[:200]
    last_head = responses(answer)[-1][1]
    assert b"connection: close" in last_head.lower()
    reached = recorder.paths[before:]
    assert reached in ([], [b"/ok"]), reached  # only the good request of the pipelined row
    if reached:
        assert got == [200, status]


def test_a_well_formed_chunked_body_with_extensions_and_trailers_passes(
    proxy: RunningProxy, upstream: tuple[RunningServer, Recorder]
) -> None:
    _, recorder = upstream
    answer = exchange(proxy.port, CHUNKED.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
                      + b"5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n")
    assert statuses(answer) == [200]
    assert answer.endswith(b"upstream:5")
    assert recorder.paths[-1] == b"/c" and recorder.bodies[-1] == 5
    assert "x-trailer" not in recorder.headers[-1]
