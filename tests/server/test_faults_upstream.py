"""Upstream faults through the proxy server, against a real upstream that misbehaves on loopback
(``tests/support/faulty_upstream.py``): a TCP reset before the response head and mid-body, a
response one byte at a time. What the client sees, what is counted, and that the pool never
reuses a broken connection. The observed behaviour is tabled in docs/operations.md."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.harness import RunningProxy, proxy_in_thread
from tests.support.faulty_upstream import (
    OK_BODY,
    FaultyUpstream,
    assert_cut_off_never_complete,
    faulty_upstream,
)
from tests.support.servers import free_port, wafproxy_process
from tests.support.wait import DEADLINE, until


@pytest.fixture
def faulty() -> Iterator[FaultyUpstream]:
    with faulty_upstream(interval=0.5) as up:
        yield up


@pytest.fixture
def proxy(faulty: FaultyUpstream, acl_path: Path) -> Iterator[RunningProxy]:
    with proxy_in_thread(faulty.url, acl_path, read_timeout=2.0) as running:
        yield running


def read_to_close(port: int, request: bytes) -> bytes:
    """Everything the proxy answers on one connection until it closes it. A proxy that hangs
    instead of closing fails the test (socket timeout), unlike ``harness.exchange``."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
        sock.sendall(request)
        out = b""
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                return out
            if not data:
                return out
            out += data


def get(path: str, close: bool = False) -> bytes:
    extra = b"Connection: close\r\n" if close else b""
    return b"GET %b HTTP/1.1\r\nHost: app\r\n%b\r\n" % (path.encode(), extra)


def failures(proxy: RunningProxy) -> dict[str, int]:
    return proxy.data.upstream_failures()


def test_reset_before_the_head_is_a_clean_502(proxy: RunningProxy, faulty: FaultyUpstream,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="wafproxy.server")
    with httpx.Client(base_url=proxy.url) as client:
        resp = client.get("/reset-before-head")
        assert resp.status_code == 502
        assert resp.text.startswith("Bad Gateway")
        assert client.get("/ok").content == OK_BODY  # the same client connection goes on
    assert failures(proxy) == {"protocol": 1}
    assert any("-> 502" in r.getMessage() and "upstream closed the connection" in r.getMessage()
               for r in caplog.records)


@pytest.mark.parametrize("path", ["/reset-mid-body", "/reset-mid-chunked"])
def test_reset_mid_body_closes_the_client_connection_never_a_complete_looking_response(
    proxy: RunningProxy, faulty: FaultyUpstream, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="wafproxy.server"):
        answer = read_to_close(proxy.port, get(path) + get("/ok"))  # a second request pipelined
    assert_cut_off_never_complete(answer, path)
    assert failures(proxy) == {"mid_response": 1}
    assert any("failed mid-response" in r.getMessage() for r in caplog.records)

    before = faulty.connections
    with httpx.Client(base_url=proxy.url) as client:
        assert client.get("/ok").content == OK_BODY
    assert faulty.connections == before + 1  # a fresh upstream connection, not the broken one
    assert proxy.data.proxies[0].pools[0].stats().idle == 1


def test_a_byte_a_second_head_times_out_with_504(proxy: RunningProxy, faulty: FaultyUpstream) -> None:
    # The head is 39 bytes at 0.5 s each (~20 s); the read timeout (2 s) covers the whole head.
    answer = read_to_close(proxy.port, get("/trickle-head", close=True))
    assert answer.startswith(b"HTTP/1.1 504")
    assert failures(proxy) == {"timeout": 1}


def test_a_slow_upstream_does_not_hold_up_other_clients(proxy: RunningProxy, faulty: FaultyUpstream) -> None:
    """A response trickling a byte at a time (no total timeout: it never ends during the test)
    while another client's request is answered: the event loop is never stalled by it."""
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=DEADLINE) as slow:
        slow.sendall(get("/trickle-body"))
        received = b""
        while b"\r\n\r\n" not in received:
            received += slow.recv(65536)
        assert received.startswith(b"HTTP/1.1 200")
        with httpx.Client(base_url=proxy.url, timeout=DEADLINE) as client:
            assert client.get("/ok").content == OK_BODY
        assert slow.recv(1) == b"b"  # and the slow one is still flowing, byte by byte


def test_a_byte_a_second_body_is_cut_at_the_total_timeout(faulty: FaultyUpstream, acl_path: Path) -> None:
    """Each body byte restarts the read timeout (as nginx's ``proxy_read_timeout``): only
    ``--upstream-total-timeout`` bounds a body that keeps trickling."""
    with proxy_in_thread(faulty.url, acl_path, read_timeout=2.0, upstream_total_timeout=2.0) as proxy:
        answer = read_to_close(proxy.port, get("/trickle-body", close=True))
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200") and b"content-length: 100000" in head.lower()
        assert len(body) < 100000
        assert failures(proxy) == {"mid_response": 1}


def test_failures_are_counted_on_the_metrics_endpoint(acl_path: Path) -> None:
    """``wafproxy serve`` against a port nobody listens on: 502s, counted by kind on /metrics."""
    port, admin, nobody = free_port(), free_port(), free_port()
    args = ("serve", "--upstream", f"http://127.0.0.1:{nobody}", "--acl", str(acl_path),
            "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}")
    with wafproxy_process(*args, wait_ports=(port, admin)), httpx.Client(timeout=DEADLINE) as client:
        assert [client.get(f"http://127.0.0.1:{port}/x").status_code for _ in range(2)] == [502, 502]
        series = 'wafproxy_upstream_failures_total{kind="connect"} 2.0'
        until(lambda: series in client.get(f"http://127.0.0.1:{admin}/metrics").text, what=series)
