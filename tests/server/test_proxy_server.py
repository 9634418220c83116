"""The proxy server's behaviour end to end: a real client, the server in a thread, a real upstream."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets.sync.client as ws_client

from tests.server.conftest import Recorder
from tests.server.harness import RunningProxy, exchange, proxy_in_thread, responses, statuses
from tests.support.servers import RunningServer
from wafproxy.asgi.inspector import GATE_BODY
from wafproxy.asgi.limits import ShieldLimits
from wafproxy.ports import GateBlock
from wafproxy.shipped import DEFAULT_ACL


@pytest.fixture(scope="module")
def proxy(upstream: tuple[RunningServer, Recorder], acl_path: Path) -> Iterator[RunningProxy]:
    server, _ = upstream
    with proxy_in_thread(server.url, acl_path) as running:
        yield running


class RawUpstream:
    """A bare socket upstream: records each request head byte for byte (uvicorn, like most ASGI
    servers, refuses raw UTF-8 in a target, so it cannot show what we forward)."""

    def __init__(self) -> None:
        self.heads: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
                    data += chunk
                self.heads.append(data.split(b"\r\n\r\n")[0])
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawUpstream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def test_raw_utf8_in_the_target_is_accepted_forwarded_raw_and_inspected(acl_path: Path) -> None:
    with RawUpstream() as upstream, proxy_in_thread(upstream.url, acl_path) as running:
        answer = exchange(running.port, b"GET /wiki/Z\xc3\xbcrich?x=\xc3\xa9 HTTP/1.1\r\nHost: x\r\n"
                                            b"Connection: close\r\n\r\n")
        assert statuses(answer) == [200]
        assert upstream.heads[-1].startswith(b"GET /wiki/Z\xc3\xbcrich?x=\xc3\xa9 HTTP/1.1\r\n")
        attack = b"GET /wiki/Z\xc3\xbcrich?q=<script> HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        blocked = exchange(running.port, attack)
        assert statuses(blocked) == [403]
        assert len(upstream.heads) == 1


def test_spaces_in_the_target_are_inspected_and_forwarded_escaped() -> None:
    """As nginx reads ``GET /a b HTTP/1.1``: the target ends at the last space before the version;
    the upstream gets it escaped, and an attack in it is the WAF's 403, not a parser's 400."""
    with RawUpstream() as upstream, proxy_in_thread(upstream.url, DEFAULT_ACL) as running:
        answer = exchange(running.port, b"GET /docs/my file.pdf?q=a b HTTP/1.1\r\nHost: x\r\n"
                                            b"Connection: close\r\n\r\n")
        assert statuses(answer) == [200]
        assert upstream.heads[-1].startswith(b"GET /docs/my%20file.pdf?q=a%20b HTTP/1.1\r\n")
        for attack in (b"GET /; cat /et'c/pa'ss'wd HTTP/1.1",
                       b"GET /?q=<script> alert(1)</script> HTTP/1.1", b"GET /x' OR 1=1 -- HTTP/1.0"):
            blocked = exchange(running.port, attack + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert statuses(blocked) == [403], attack
        # Spaces around the target separate, as nginx reads them (``GET  /a b  HTTP/1.1``).
        answer = exchange(running.port, b"GET  /a b  HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert statuses(answer) == [200]
        assert upstream.heads[-1].startswith(b"GET /a%20b HTTP/1.1\r\n")
        # Not "METHOD SP target SP HTTP/1.x": still the parser's 400, nothing forwarded.
        for malformed in (b"GET /a b HTTP/2.0", b"GET /a b"):
            refused = exchange(running.port, malformed + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert statuses(refused) in ([400], [505]), malformed
        assert len(upstream.heads) == 2


def test_pipelined_requests_are_each_inspected_and_answered_in_order(
    proxy: RunningProxy, upstream: tuple[RunningServer, Recorder]
) -> None:
    _, recorder = upstream
    before = len(recorder.paths)
    batch = (b"GET /p1 HTTP/1.1\r\nHost: x\r\n\r\n"
             b"GET /p2?q=<script> HTTP/1.1\r\nHost: x\r\n\r\n"
             b"POST /p3 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
             b"GET /p4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    answer = exchange(proxy.port, batch)
    got = responses(answer)
    assert [s for s, _, _ in got] == [200, 403, 200, 200]
    assert got[2][2] == b"upstream:3"
    assert recorder.paths[before:] == [b"/p1", b"/p3", b"/p4"]


def test_keep_alive_carries_many_requests_on_one_connection(proxy: RunningProxy) -> None:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
        for i in range(5):
            sock.sendall(b"GET /k%d HTTP/1.1\r\nHost: x\r\n\r\n" % i)
            data = b""
            while not data.endswith(b"upstream:0"):
                data += sock.recv(65536)
            assert data.startswith(b"HTTP/1.1 200 ")
            assert b"connection: close" not in data.lower()


def test_large_bodies_stream_both_ways(proxy: RunningProxy, upstream: tuple[RunningServer, Recorder]) -> None:
    _, recorder = upstream

    def upload() -> Iterator[bytes]:
        for _ in range(80):
            yield b"u" * 65536  # 5 MiB, chunked

    with httpx.Client(base_url=proxy.url, timeout=30) as client:
        r = client.post("/upload", content=upload())
        assert (r.status_code, r.text) == (200, f"upstream:{80 * 65536}")
        assert recorder.bodies[-1] == 80 * 65536
        with client.stream("GET", "/stream", params={"n": "80"}) as streamed:
            assert streamed.headers["transfer-encoding"] == "chunked"
            assert sum(len(c) for c in streamed.iter_bytes()) == 80 * 65536


def test_forwarding_headers_and_inserted_waf_headers(proxy: RunningProxy,
                                                     upstream: tuple[RunningServer, Recorder]) -> None:
    _, recorder = upstream
    sent = {"x-forwarded-for": "6.6.6.6", "connection": "keep-alive, x-drop", "x-drop": "1",
            "proxy-authorization": "secret"}
    r = httpx.get(proxy.url + "/tagged", headers=sent)
    assert r.status_code == 200 and r.headers["x-upstream"] == "yes"
    seen = recorder.headers[-1]
    assert seen["x-forwarded-for"] == "127.0.0.1"  # an untrusted peer does not seed the chain
    assert seen["x-real-ip"] == "127.0.0.1" and seen["x-forwarded-proto"] == "http"
    assert "x-drop" not in seen and "proxy-authorization" not in seen and "connection" not in seen
    assert seen["x-amzn-waf-checked"] == "yes"  # the Allow rule's inserted header (acl_document)


def test_head_204_http10_and_expect_continue(proxy: RunningProxy) -> None:
    head = responses(exchange(proxy.port, b"HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
    assert head[0][0] == 200 and head[0][2] == b""
    empty = exchange(proxy.port, b"GET /empty HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert statuses(empty) == [204] and b"content-length" not in empty.lower().split(b"\r\n\r\n")[0]
    old = exchange(proxy.port, b"GET /stream?n=2 HTTP/1.0\r\nHost: x\r\n\r\n")
    assert old.startswith(b"HTTP/1.1 200 ") and b"connection: close" in old.lower()
    assert len(old.split(b"\r\n\r\n", 1)[1]) == 2 * 65536  # close-delimited for HTTP/1.0
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
        sock.sendall(b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"body")
        data = b""
        while not data.endswith(b"upstream:4"):
            data += sock.recv(65536)


def test_websocket_handshake_is_inspected_then_bytes_relayed(proxy: RunningProxy,
                                                            upstream: tuple[RunningServer, Recorder]) -> None:
    _, recorder = upstream
    with ws_client.connect(f"ws://127.0.0.1:{proxy.port}/ws?room=1", open_timeout=10) as ws:
        for text in ("hello", "x" * 100_000):
            ws.send(text)
            assert ws.recv(timeout=10) == "echo:" + text
    assert recorder.paths[-1] == b"/ws"
    before = len(recorder.paths)
    with pytest.raises(Exception, match="403"):
        ws_client.connect(f"ws://127.0.0.1:{proxy.port}/ws?q=<script>", open_timeout=10)
    assert len(recorder.paths) == before


def test_gate_answers_before_the_engine(upstream: tuple[RunningServer, Recorder], acl_path: Path) -> None:
    """The inspector's gate (``ports.RequestGate``: the threat detector's bans) refuses a client
    before its request reaches the engine or the upstream, from the request after the ban on."""
    server, recorder = upstream
    seen: list[str] = []
    banned: set[str] = set()

    class Bans:
        def verdict(self, client_ip: str, now: float) -> GateBlock | None:
            seen.append(client_ip)
            return GateBlock(403, "test") if client_ip in banned else None

    with proxy_in_thread(server.url, acl_path, gate=Bans()) as running:
        before = len(recorder.paths)
        assert httpx.get(running.url + "/allow").status_code == 200
        banned.add("127.0.0.1")
        refused = httpx.get(running.url + "/deny")
        assert refused.status_code == 403 and refused.content == GATE_BODY
    assert recorder.paths[before:] == [b"/allow"] and seen == ["127.0.0.1", "127.0.0.1"]


SMALL = ShieldLimits(header_timeout=0.5, body_timeout=0.5, keep_alive_timeout=0.5, max_body_bytes=1000,
                     max_requests_per_client=64, max_connections_per_client=3)


@pytest.fixture(scope="module")
def strict(upstream: tuple[RunningServer, Recorder], acl_path: Path) -> Iterator[RunningProxy]:
    server, _ = upstream
    with proxy_in_thread(server.url, acl_path, shield=SMALL) as running:
        yield running


def test_slowloris_head_and_body_timeouts(
    strict: RunningProxy, upstream: tuple[RunningServer, Recorder]
) -> None:
    _, recorder = upstream
    before = len(recorder.paths)
    with socket.create_connection(("127.0.0.1", strict.port), timeout=10) as sock:
        sock.sendall(b"GET /slow-head HTTP/1.1\r\nHost: x\r\n")  # never finishes its head
        assert sock.recv(100).startswith(b"HTTP/1.1 408 ")
    with socket.create_connection(("127.0.0.1", strict.port), timeout=10) as sock:
        sock.sendall(b"POST /slow-body HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
        assert sock.recv(100).startswith(b"HTTP/1.1 408 ")
    assert recorder.paths[before:] == []


def test_keep_alive_idle_connections_are_closed(strict: RunningProxy) -> None:
    with socket.create_connection(("127.0.0.1", strict.port), timeout=10) as sock:
        sock.sendall(b"GET /idle HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while not data.endswith(b"upstream:0"):
            data += sock.recv(65536)
        assert sock.recv(100) == b""  # closed by the server after the idle timeout, no answer


def test_body_limit_and_connections_per_client(strict: RunningProxy) -> None:
    r = httpx.post(strict.url + "/big", content=b"a" * 1001)
    assert r.status_code == 413 and r.headers["connection"] == "close"
    chunked = httpx.post(strict.url + "/big", content=iter([b"b" * 600, b"b" * 600]))
    assert chunked.status_code == 413
    held = [socket.create_connection(("127.0.0.1", strict.port)) for _ in range(3)]
    try:
        refused = socket.create_connection(("127.0.0.1", strict.port), timeout=5)
        assert refused.recv(100) == b""  # the 4th connection of one client is closed at accept
        refused.close()
    finally:
        for sock in held:
            sock.close()


def test_graceful_stop_finishes_in_flight_requests(upstream: tuple[RunningServer, Recorder],
                                                  acl_path: Path) -> None:
    server, _ = upstream
    results: list[int] = []
    with proxy_in_thread(server.url, acl_path) as running:
        def slow() -> None:
            results.append(httpx.get(running.url + "/slow", params={"s": "1"}, timeout=10).status_code)

        thread = threading.Thread(target=slow)
        thread.start()
        deadline = time.monotonic() + 10
        while not any(not c.idle for c in running.server.ctx.connections):  # the request is in flight
            assert time.monotonic() < deadline
            time.sleep(0.01)
        running.stop()
        thread.join(timeout=15)
        deadline = time.monotonic() + 10
        while True:  # stopped accepting
            try:
                socket.create_connection(("127.0.0.1", running.port), timeout=1).close()
            except OSError:
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert results == [200]


def test_an_answer_sent_as_keep_alive_during_a_drain_still_serves_the_next_request(
    upstream: tuple[RunningServer, Recorder], acl_path: Path
) -> None:
    """A request parsed before the drain began is answered without ``Connection: close``: the
    client may reuse the connection at once, so it must not be cut then (the client would get a
    reset for a request it had every right to send); its next request is answered, with close."""
    server, _ = upstream
    with proxy_in_thread(server.url, acl_path) as running, \
            socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
        sock.sendall(b"GET /slow?s=0.5 HTTP/1.1\r\nHost: example.com\r\n\r\n")
        deadline = time.monotonic() + 10
        while not any(not c.idle for c in running.server.ctx.connections):  # in flight
            assert time.monotonic() < deadline
            time.sleep(0.01)
        running.stop()
        answer = b""
        while not responses(answer):
            chunk = sock.recv(65536)
            assert chunk, "the connection closed before the first answer"
            answer += chunk
        (status, head, _), = responses(answer)
        assert status == 200 and b"connection: close" not in head.lower()
        sock.sendall(b"GET /after HTTP/1.1\r\nHost: example.com\r\n\r\n")
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
        (status, head, _), = responses(rest)
        assert status == 200 and b"connection: close" in head.lower()


def test_acl_swap_under_load_drops_nothing(proxy: RunningProxy) -> None:
    acl = proxy.data.middleware.acl
    failures: list[BaseException] = []

    async def load() -> list[int]:
        async with httpx.AsyncClient(base_url=proxy.url, timeout=10) as client:
            codes: list[int] = []
            for _ in range(5):  # 40 at a time: under the Shield's 64 concurrent requests per client
                batch = await asyncio.gather(*(client.get(f"/r{i}") for i in range(40)))
                codes.extend(r.status_code for r in batch)
            return codes

    def swapper(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                proxy.loop.call_soon_threadsafe(proxy.data.middleware.swap_acl, acl)
            except BaseException as exc:  # noqa: BLE001
                failures.append(exc)
            time.sleep(0.001)

    stop = threading.Event()
    thread = threading.Thread(target=swapper, args=(stop,))
    thread.start()
    try:
        codes = asyncio.run(load())
    finally:
        stop.set()
        thread.join()
    assert codes == [200] * 200 and not failures


def test_a_pipelining_client_that_never_reads_is_bounded(
    proxy: RunningProxy, upstream: tuple[RunningServer, Recorder]
) -> None:
    # 2,000 pipelined GETs for 2 MiB answers each, and no read: the server stops answering once
    # the client's socket is full (then its queue fills and it stops reading) instead of buffering
    # 4 GB of answers.
    _, recorder = upstream
    before = len(recorder.paths)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b"GET /stream?n=32 HTTP/1.1\r\nHost: x\r\n\r\n" * 2000)
        deadline = time.monotonic() + 10
        while not any(c._write_paused for c in list(proxy.server.ctx.connections)):
            assert time.monotonic() < deadline  # the server noticed the full socket
            time.sleep(0.01)
        conn = next(c for c in list(proxy.server.ctx.connections) if c._write_paused)
        assert conn.transport.get_write_buffer_size() < 1024 * 1024
        assert len(recorder.paths) - before < 10  # it stopped forwarding, too
