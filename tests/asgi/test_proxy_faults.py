"""The ASGI reverse proxy (``ReverseProxy`` under a real uvicorn) in front of an upstream that
resets mid-body (``tests/support/faulty_upstream.py``, raw sockets on loopback): the client gets
the head and what arrived, then a closed connection — short of its ``Content-Length``, or a
chunked body without its last chunk, never a response that looks complete, and no pipelined
answer after it — and the broken upstream connection is closed, never pooled for the next request."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from tests.asgi.test_proxy import serve_proxy
from tests.server.test_faults_upstream import get, read_to_close
from tests.support.faulty_upstream import (
    OK_BODY,
    FaultyUpstream,
    assert_cut_off_never_complete,
    faulty_upstream,
)
from tests.support.servers import RunningServer
from tests.support.wait import until
from wafproxy.asgi.proxy import ReverseProxy
from wafproxy.asgi.upstream import UpstreamConfig


@pytest.fixture
def faulty() -> Iterator[FaultyUpstream]:
    with faulty_upstream(interval=0.5) as up:
        yield up


@pytest.fixture
def proxy(faulty: FaultyUpstream) -> Iterator[tuple[ReverseProxy, RunningServer]]:
    app = ReverseProxy(UpstreamConfig(faulty.url, read_timeout=5))
    with serve_proxy(app) as server:
        yield app, server


@pytest.mark.parametrize("path", ["/reset-mid-body", "/reset-mid-chunked"])
def test_reset_mid_body_is_never_a_complete_looking_response_nor_a_pooled_connection(
    proxy: tuple[ReverseProxy, RunningServer], faulty: FaultyUpstream,
    caplog: pytest.LogCaptureFixture, path: str,
) -> None:
    app, server = proxy
    [pool] = app.pools
    port = int(server.url.rsplit(":", 1)[1])
    with caplog.at_level(logging.WARNING, logger="wafproxy"):
        answer = read_to_close(port, get(path) + get("/ok"))  # a second request pipelined
    assert_cut_off_never_complete(answer, path)
    assert any("failed mid-response" in r.getMessage() for r in caplog.records)
    # The broken upstream connection is gone from the pool (read from this thread: ints only).
    until(lambda: pool.open_connections == 0, what="the broken upstream connection closed")

    before = faulty.connections
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/ok").content == OK_BODY
        assert client.get("/ok").content == OK_BODY
    assert faulty.connections == before + 1  # a fresh upstream connection, then that one reused
    assert faulty.requests.count("/ok") == 2  # the pipelined /ok never reached the upstream
    until(lambda: pool.stats().idle == 1, what="the healthy connection parked")
