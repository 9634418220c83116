"""What the connection reads from a request line instead of asking llhttp, and the Host it does
not check twice: the same answers as llhttp's own reading (``framing.line_version``; the Host
memo of ``framing.framing_error``)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import httptools
import pytest

from tests.server.conftest import Recorder
from tests.server.harness import RunningProxy, exchange, proxy_in_thread, responses, statuses
from tests.support.servers import RunningServer
from wafproxy.server.framing import escape_spaces, line_version, stand_in_method

_PIECES = [b" ", b"/", b"H", b"T", b"P", b"1", b".", b"0", b"*", b"G", b"x", b":", b"\t", b"?", b"%", b"\r",
           b"\n", b"9", b"h", b"t", b"p"]
_STARTS = [b"GET ", b"GET", b"POST ", b"", b"G", b"OPTIONS ", b"CONNECT ", b"FOO "]
_ENDS = [b" HTTP/1.1\r\n", b" HTTP/1.0\r\n", b"HTTP/1.1\r\n", b" HTTP/1.1\n", b" HTTP/1.2\r\n"]


class _Head:
    def __init__(self) -> None:
        self.parser = httptools.HttpRequestParser(self)
        self.version: str | None = None

    def on_headers_complete(self) -> None:
        if self.version is None:
            self.version = self.parser.get_http_version()


def _llhttp_version(data: bytes) -> str | None:
    head = _Head()
    try:
        head.parser.feed_data(data + b"Host: a\r\n\r\n")
    except httptools.HttpParserUpgrade:
        pass
    except httptools.HttpParserError:
        return None
    return head.version


def test_the_version_read_from_a_line_is_the_one_llhttp_reads() -> None:
    """Request lines made of the pieces that could mislead a reading of the line's end (spaces,
    targets that are not origin-form, a version inside the target, CONNECT's authority, HTTP/0.9
    shapes), prepared as the connection prepares them; wherever llhttp parses the head and the
    line gives a version, it is llhttp's."""
    rng = random.Random(11)
    read = 0
    for _ in range(40_000):
        line = (rng.choice(_STARTS) + b"".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 12)))
                + rng.choice(_ENDS))
        data, _ = stand_in_method(line)
        data = escape_spaces(data)
        version = line_version(data, data.find(b"\n"))
        if version is not None:
            read += 1
            assert _llhttp_version(data) in (version, None), data
    assert read > 500  # the common shapes were among them


@pytest.mark.parametrize(("line", "version"), [
    (b"GET /a HTTP/1.1\r\n", "1.1"),
    (b"GET /a HTTP/1.0\r\n", "1.0"),
    (b"GET /a%20HTTP/1.0 HTTP/1.1\r\n", "1.1"),
    (b"CONNECT HTTP/1.1\r\n", None),  # llhttp: HTTP/0.9 with target "HTTP/1.1"
    (b"CONNECT  HTTP/1.1\r\n", None),
    (b"OPTIONS * HTTP/1.1\r\n", None),  # not origin-form: llhttp is asked
    (b"GET /a HTTP/2.0\r\n", None),
    (b"GET /a HTTP/1.1\n", None),
])
def test_line_version(line: bytes, version: str | None) -> None:
    assert line_version(line, line.find(b"\n")) == version


@pytest.fixture(scope="module")
def proxy(upstream: tuple[RunningServer, Recorder], acl_path: Path) -> Iterator[RunningProxy]:
    server, _ = upstream
    with proxy_in_thread(server.url, acl_path) as running:
        yield running


def test_a_host_that_changes_on_a_kept_alive_connection_is_checked_again(proxy: RunningProxy) -> None:
    answer = exchange(proxy.port, b"GET /a HTTP/1.1\r\nHost: a.example\r\n\r\n"
                                  b"GET /b HTTP/1.1\r\nHost: a.example\r\n\r\n"
                                  b"GET /c HTTP/1.1\r\nHost: a@b.example\r\n\r\n")
    assert statuses(answer) == [200, 200, 400]


def test_each_request_of_a_connection_is_answered_in_its_own_version(proxy: RunningProxy) -> None:
    """HTTP/1.0 with keep-alive, then 1.1, then 1.0 without it, pipelined: each answer follows its
    own request's version (1.0 keep-alive is said, 1.0 without it closes)."""
    reqs = [b"GET /a HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
            b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /c HTTP/1.0\r\nHost: x\r\n\r\n"]
    heads = [head.lower() for _, head, _ in responses(exchange(proxy.port, b"".join(reqs)))]
    assert len(heads) == 3
    assert b"connection: keep-alive" in heads[0]
    assert b"connection:" not in heads[1]
    assert b"connection: close" in heads[2]
