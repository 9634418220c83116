"""The fast lane (``server.fastlane``) and the task lane answer the same: real servers on loopback.

Each test sends what one lane takes and checks the answer, what reached the upstream, and which
lane answered (``ProxyHandler.fast_answers`` / ``fast_handoffs``), so a change that silently sends
everything down one lane fails here.
"""

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
from tests.server.harness import RunningProxy, exchange, proxy_in_thread, responses
from tests.support.servers import RunningServer
from tests.support.wait import until
from wafproxy.asgi.wafrequests import build_request, wire_text
from wafproxy.events import RequestEvent
from wafproxy.server.handler import ProxyHandler


@pytest.fixture(scope="module")
def proxy(upstream: tuple[RunningServer, Recorder], acl_path: Path) -> Iterator[RunningProxy]:
    server, _ = upstream
    with proxy_in_thread(server.url, acl_path) as running:
        yield running


def handler_of(running: RunningProxy) -> ProxyHandler:
    return running.server.ctx.handler


def read_answer(sock: socket.socket, ending: bytes) -> bytes:
    data = b""
    while not data.endswith(ending):
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    return data


def test_keep_alive_gets_are_answered_in_the_fast_lane(proxy: RunningProxy,
                                                        upstream: tuple[RunningServer, Recorder]) -> None:
    handler = handler_of(proxy)
    _, recorder = upstream
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(b"GET /warm HTTP/1.1\r\nHost: x\r\n\r\n")  # leaves an idle upstream connection
        read_answer(sock, b"upstream:0")
        fast, handoffs = handler.fast_answers, handler.fast_handoffs
        for i in range(5):
            sock.sendall(b"GET /fast%d?a=1 HTTP/1.1\r\nHost: x\r\n\r\n" % i)
            data = read_answer(sock, b"upstream:0")
            assert data.startswith(b"HTTP/1.1 200 ") and b"x-upstream: yes" in data
    assert handler.fast_answers == fast + 5
    assert handler.fast_handoffs == handoffs  # each went on a kept-alive upstream connection
    assert recorder.paths[-5:] == [b"/fast%d" % i for i in range(5)]  # raw_path: no query
    assert recorder.headers[-1]["x-forwarded-for"] == "127.0.0.1"


def test_a_pipelined_burst_with_a_body_and_a_refusal_is_answered_in_order(
    proxy: RunningProxy, upstream: tuple[RunningServer, Recorder]
) -> None:
    handler = handler_of(proxy)
    _, recorder = upstream
    before, fast = len(recorder.paths), handler.fast_answers
    batch = (b"GET /b1 HTTP/1.1\r\nHost: x\r\n\r\n"
             b"GET /b2?q=<script> HTTP/1.1\r\nHost: x\r\n\r\n"
             b"POST /b3 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
             b"POST /b4 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n"
             b"POST /b5 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\ndrop table"
             b"GET /admin HTTP/1.1\r\nHost: x\r\n\r\n"
             b"PUT /b7 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
             b"GET /b8 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    got = responses(exchange(proxy.port, batch))
    assert [s for s, _, _ in got] == [200, 403, 200, 200, 403, 429, 200, 200]
    assert got[2][2] == b"upstream:3" and got[3][2] == b"upstream:4"
    assert got[6][2] == b"upstream:0"
    assert b"connection: close" in got[7][1].lower()
    assert recorder.paths[before:] == [b"/b1", b"/b3", b"/b4", b"/b7", b"/b8"]
    assert recorder.bodies[before + 1:before + 3] == [3, 4]
    assert handler.fast_answers == fast + 8  # every one whole when parsed


def test_a_small_body_arriving_after_its_head_is_waited_for_then_answered_in_the_fast_lane(
    proxy: RunningProxy, upstream: tuple[RunningServer, Recorder]
) -> None:
    handler = handler_of(proxy)
    _, recorder = upstream
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        fast, handoffs = handler.fast_answers, handler.fast_handoffs
        sock.sendall(b"POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")
        time.sleep(0.1)  # the head parsed alone: queued, nothing in flight, no task (``bodywait``)
        assert not handler._in_flight
        sock.sendall(b"hello")
        assert read_answer(sock, b"upstream:5").startswith(b"HTTP/1.1 200 ")
        assert handler.fast_answers == fast + 1
        assert recorder.paths[-1] == b"/later" and recorder.bodies[-1] == 5
        sock.sendall(b"POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
        time.sleep(0.1)
        sock.sendall(b"drop table")
        assert read_answer(sock, b"firewall.\n").startswith(b"HTTP/1.1 403 ")
        assert handler.fast_answers == fast + 2 and handler.fast_handoffs == handoffs
    assert recorder.paths[-1] == b"/later" and recorder.bodies[-1] == 5  # the blocked one never went


def test_a_body_arriving_after_its_head_takes_the_task_lane_when_bodies_are_not_waited_for(
    proxy: RunningProxy, upstream: tuple[RunningServer, Recorder]
) -> None:
    handler = handler_of(proxy)
    _, recorder = upstream
    handler.wait_bodies = False
    try:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
            fast = handler.fast_answers
            sock.sendall(b"POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")
            until(lambda: handler._in_flight, what="the request in flight, waiting for its body")
            sock.sendall(b"hello")
            assert read_answer(sock, b"upstream:5").startswith(b"HTTP/1.1 200 ")
            assert handler.fast_answers == fast
            assert recorder.paths[-1] == b"/later"
            sock.sendall(b"POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
            until(lambda: handler._in_flight, what="the request in flight, waiting for its body")
            sock.sendall(b"drop table")
            assert read_answer(sock, b"firewall.\n").startswith(b"HTTP/1.1 403 ")
    finally:
        handler.wait_bodies = True


def test_large_streamed_and_empty_upstream_answers_in_the_fast_lane(
    proxy: RunningProxy, upstream: tuple[RunningServer, Recorder]
) -> None:
    handler = handler_of(proxy)
    with httpx.Client(base_url=proxy.url, timeout=30) as client:
        assert client.get("/warm").status_code == 200
        fast, handoffs = handler.fast_answers, handler.fast_handoffs
        big = client.get("/stream", params={"n": 40})  # 2.5 MB, chunked: streamed by a task
        assert big.status_code == 200 and big.content == b"x" * 40 * 65536
        one = client.get("/stream", params={"n": 1})  # chunked, small: whole, with a length
        assert one.status_code == 200 and one.content == b"x" * 65536
        empty = client.get("/empty")
        assert empty.status_code == 204 and empty.content == b""
        again = client.get("/after")
        assert again.status_code == 200 and again.text == "upstream:0"
    assert handler.fast_answers == fast + 4
    assert handler.fast_handoffs >= handoffs + 1  # at least the 2.5 MB answer went on in a task


class ClosingUpstream:
    """A raw upstream: answers each request with keep-alive, except that it closes the
    connection without a word on the requests whose number is in ``drop`` (1-based)."""

    def __init__(self, drop: set[int]) -> None:
        self.drop = drop
        self.count = 0
        self.lock = threading.Lock()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, data = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(data) < length:
                    data += conn.recv(65536)
                data = data[length:]
                with self.lock:
                    self.count += 1
                    n = self.count
                if n in self.drop:
                    return
                body = b"n=%d" % n
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%b" % (len(body), body))

    def close(self) -> None:
        self.sock.close()


def test_an_upstream_that_closes_is_retried_when_idempotent_else_502(acl_path: Path) -> None:
    upstream = ClosingUpstream(drop={2, 4})
    try:
        with proxy_in_thread(upstream.url, acl_path) as running, \
                socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
            handler = handler_of(running)
            sock.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_answer(sock, b"n=1").startswith(b"HTTP/1.1 200 ")
            # Sent on the kept-alive connection, closed unanswered: replayed on a new one.
            sock.sendall(b"GET /two HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_answer(sock, b"n=3").startswith(b"HTTP/1.1 200 ")
            # A POST is never replayed: the upstream may have acted on it.
            fast = handler.fast_answers
            sock.sendall(b"POST /three HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
            answer = read_answer(sock, b"invalid response\n")
            assert answer.startswith(b"HTTP/1.1 502 "), answer
            assert handler.fast_answers == fast + 1
            sock.sendall(b"GET /four HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_answer(sock, b"n=5").startswith(b"HTTP/1.1 200 ")
    finally:
        upstream.close()


class Captured:
    """An event sink that keeps what it is given."""

    def __init__(self) -> None:
        self.events: list[RequestEvent] = []

    def emit(self, event: RequestEvent) -> None:
        self.events.append(event)


def test_both_lanes_emit_the_same_event(upstream: tuple[RunningServer, Recorder], acl_path: Path) -> None:
    server, _ = upstream
    sink = Captured()
    with proxy_in_thread(server.url, acl_path) as running, \
            socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
        handler = handler_of(running)
        handler.inspector.sink = sink
        sock.sendall(b"GET /warm HTTP/1.1\r\nHost: x\r\n\r\n")
        read_answer(sock, b"upstream:0")
        request = b"POST /same?tag=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
        fast = handler.fast_answers
        sock.sendall(request + b"hello")  # whole: the fast lane
        read_answer(sock, b"upstream:5")
        assert handler.fast_answers == fast + 1
        handler.wait_bodies = False
        sock.sendall(request)  # the body after the head, not waited for: the task lane
        until(lambda: handler._in_flight, what="the request in flight, waiting for its body")
        sock.sendall(b"hello")
        read_answer(sock, b"upstream:5")
        assert handler.fast_answers == fast + 1
        until(lambda: len(sink.events) == 3, what="three events")
    quick, tasked = sink.events[1], sink.events[2]
    assert quick.response_status == tasked.response_status == 200
    assert repr(quick.decision) == repr(tasked.decision)
    assert quick.web_acl == tasked.web_acl and quick.source == tasked.source
    assert quick.upstream_seconds is not None and tasked.upstream_seconds is not None
    same = ("client_ip", "method", "uri_path", "query_string", "headers", "body", "body_size", "http_version",
            "scheme", "peer_ip")
    assert [getattr(quick.request, f) for f in same] == [getattr(tasked.request, f) for f in same]


def test_a_bodiless_request_is_the_one_build_request_makes(upstream: tuple[RunningServer, Recorder],
                                                          acl_path: Path) -> None:
    """A GET in the fast lane is built by the middleware's one-pass builder (``read_headers``):
    the same request as ``build_request`` makes of the same wire headers (UTF-8 and latin-1
    values, a repeated name), and the same values by name, twice on one connection (the second
    from the memo of decoded lines)."""
    server, _ = upstream
    sink = Captured()
    raw = [(b"host", b"x"), (b"user-agent", b"caf\xc3\xa9"), (b"x-latin", b"\xe9t\xe9"), (b"cookie", b"a=1"),
           (b"accept", b"*/*"), (b"cookie", b"b=2")]
    lines = b"".join(b"%s: %s\r\n" % pair for pair in raw)
    head = b"GET /p%C3%A9?q=%C3%A9&r=1 HTTP/1.1\r\n" + lines + b"\r\n"
    with proxy_in_thread(server.url, acl_path) as running, \
            socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
        handler = handler_of(running)
        handler.inspector.sink = sink
        for _ in range(2):
            fast = handler.fast_answers
            sock.sendall(head)
            read_answer(sock, b"upstream:0")
            assert handler.fast_answers == fast + 1
        until(lambda: len(sink.events) == 2, what="two events")
    for event in sink.events:
        request = event.request
        built = build_request(client_ip=request.client_ip, peer=request.peer_ip, method="GET",
                              path=wire_text(b"/p%C3%A9"), query=b"q=%C3%A9&r=1", headers=raw, body=b"",
                              seen=0, more=False, http_version="1.1", scheme="http")
        assert dataclasses.replace(request, request_id="") == dataclasses.replace(built, request_id="")
        for name in ("cookie", "user-agent", "x-latin", "Host", "absent"):
            assert request.header_values(name) == built.header_values(name)
