"""A response head ``upstream_head`` read reaches the client as ``write_whole`` writes any other:
names lower-cased, hop-by-hop fields dropped, the upstream's Content-Length kept, our own end of
the head (keep-alive, ``connection: close``, HTTP/1.0's ``connection: keep-alive``).

Against the real server and the raw upstream: the first request of a run opens its upstream
connection and is answered by the task lane (``respond``), the ones after it reuse the connection
in the fast lane, whose answer comes from the head's memoised client lines (``write_relayed``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server.harness import RunningProxy
from tests.server.probe_sweep import send
from tests.server.probekit import H
from tests.support.recording_upstream import SCRIPTS
from tests.support.wait import DEADLINE

ANSWER = (b"HTTP/1.1 200 OK\r\nServer: up\r\nKeep-Alive: timeout=5\r\nContent-Type: text/plain\r\n"
          b"Connection: keep-alive\r\nContent-Length: 5\r\nX-Mixed-Case: v\r\n\r\nhello")
HEAD = (b"HTTP/1.1 200 OK\r\nserver: up\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n"
        b"x-mixed-case: v\r\n")


@pytest.fixture(scope="module")
def scripted() -> Iterator[None]:
    SCRIPTS[b"/relay/mixed"] = ANSWER  # answered on a connection kept alive
    yield
    SCRIPTS.pop(b"/relay/mixed", None)


def test_relayed_heads_are_written_as_any_other(proxy_to_raw_upstream: RunningProxy, scripted: None) -> None:
    get = b"GET /relay/mixed HTTP/1.1\r\n" + H
    answer, closed = send(proxy_to_raw_upstream.port, get + b"\r\n" + get + b"\r\n" + get
                          + b"Connection: close\r\n\r\n", DEADLINE)
    assert closed
    assert answer == (HEAD + b"\r\nhello") * 2 + HEAD + b"connection: close\r\n\r\nhello"
    old = b"GET /relay/mixed HTTP/1.0\r\n" + H
    answer, closed = send(proxy_to_raw_upstream.port, old + b"Connection: keep-alive\r\n\r\n" + old + b"\r\n",
                          DEADLINE)
    assert closed
    assert answer == HEAD + b"connection: keep-alive\r\n\r\nhello" + HEAD + b"connection: close\r\n\r\nhello"
