"""The Shield's server half on our own server (these were ShieldHttpToolsProtocol's tests on
uvicorn): header read timeout (slowloris), one head timer per connection across keep-alive
requests, concurrent requests and connections per client."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import Recorder
from tests.server.harness import RunningProxy, proxy_in_thread
from tests.support.servers import RunningServer
from wafproxy.asgi.limits import ShieldLimits

LIMITS = ShieldLimits(header_timeout=0.3, body_timeout=0.3, max_requests_per_client=2,
                      max_connections_per_client=3)


@pytest.fixture
def served(
    upstream: tuple[RunningServer, Recorder], acl_path: Path
) -> Iterator[tuple[RunningProxy, Recorder]]:
    server, recorder = upstream
    with proxy_in_thread(server.url, acl_path, shield=LIMITS) as running:
        yield running, recorder


def raw(proxy: RunningProxy, data: bytes) -> tuple[socket.socket, bytes]:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    sock.sendall(data)
    return sock, sock.recv(65536)


def test_slowloris_head_times_out_at_the_server(served: tuple[RunningProxy, Recorder]) -> None:
    proxy, recorder = served
    before = len(recorder.paths)
    sock, answer = raw(proxy, b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    assert answer.startswith(b"HTTP/1.1 408")
    assert sock.recv(100) == b""  # and the connection is closed
    sock.close()
    idle, answer = raw(proxy, b"")  # a connection that never sends a byte is closed too
    assert answer.startswith(b"HTTP/1.1 408")
    idle.close()
    assert recorder.paths[before:] == []
    assert proxy.server.ctx.refusals["header_timeout"] == 2


def test_keep_alive_requests_are_not_cut_by_the_head_timer(
    upstream: tuple[RunningServer, Recorder], acl_path: Path
) -> None:
    # Four requests on one connection span more than the head timeout while each head arrives well
    # within it: a timer left armed from the first request would cut a later one. The margins are
    # seconds (not the 0.3 s of LIMITS), so a loaded machine cannot turn a slow client into a 408.
    server, _ = upstream
    limits = dataclasses.replace(LIMITS, header_timeout=3.0)
    with proxy_in_thread(server.url, acl_path, shield=limits) as proxy, \
            httpx.Client(base_url=proxy.url) as client:
        for i in range(4):
            if i:
                time.sleep(1.2)
            assert client.get("/").status_code == 200
        assert proxy.server.ctx.refusals["header_timeout"] == 0


def test_a_slow_head_after_a_keep_alive_request_times_out(served: tuple[RunningProxy, Recorder]) -> None:
    # The head timer outlives a request (one timer per connection): the next head's wait still ends.
    proxy, recorder = served
    before = len(recorder.paths)
    sock, answer = raw(proxy, b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200")
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408")
    assert sock.recv(100) == b""
    sock.close()
    assert recorder.paths[before:] == [b"/first"]


def test_concurrent_requests_per_client(served: tuple[RunningProxy, Recorder]) -> None:
    proxy, _ = served
    results: list[int] = []

    def held() -> None:
        results.append(httpx.get(proxy.url + "/slow", params={"s": "1"}, timeout=10).status_code)

    threads = [threading.Thread(target=held) for _ in range(2)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while sum(proxy.server.ctx.handler._in_flight.values()) < 2:  # both are at the upstream
        assert time.monotonic() < deadline
        time.sleep(0.01)
    r = httpx.get(proxy.url + "/third")
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    for t in threads:
        t.join()
    assert results == [200, 200]
    assert httpx.get(proxy.url + "/after").status_code == 200  # the table emptied again
    assert proxy.server.ctx.handler.rejections == {"too_many_concurrent": 1}


def test_connections_per_client_are_capped_at_accept(served: tuple[RunningProxy, Recorder]) -> None:
    proxy, _ = served
    held = [socket.create_connection(("127.0.0.1", proxy.port)) for _ in range(3)]
    extra = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    assert extra.recv(100) == b""  # closed at once
    extra.close()
    for sock in held:
        sock.close()
    assert proxy.server.ctx.refusals["too_many_connections"] == 1


def test_a_trusted_proxy_is_not_capped_per_client(
    upstream: tuple[RunningServer, Recorder], acl_path: Path
) -> None:
    """A load balancer in front carries every client's connections: past the per-client cap of 3 it
    still gets more (only the server-wide cap applies to it)."""
    server, _ = upstream
    with proxy_in_thread(server.url, acl_path, shield=LIMITS,
                         trusted_proxies=("127.0.0.1/32",)) as proxy:
        held = [socket.create_connection(("127.0.0.1", proxy.port)) for _ in range(5)]
        try:
            for n, sock in enumerate(held):
                sock.sendall(b"GET /lb%d HTTP/1.1\r\nhost: app\r\nx-forwarded-for: 203.0.113.%d\r\n\r\n"
                             % (n, n + 1))
                sock.settimeout(5)
                assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        finally:
            for sock in held:
                sock.close()
        assert proxy.server.ctx.refusals["too_many_connections"] == 0
