"""A small request body whole when its head is parsed: read, inspected and written upstream with
its head in one write (``fastlane``, no ``BodyReader``); a body the WAF blocks never leaves; a body
still arriving keeps the task lane and the Shield's limits on it. Real servers on loopback: the
upstream here records each ``recv`` as it came, so "one write" is what it saw, not what we meant.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.harness import RunningProxy, proxy_in_thread
from tests.server.test_fastlane import handler_of, read_answer
from tests.support.wait import until
from wafproxy.asgi.limits import ShieldLimits

# A form body with what a careless copy or join would mangle: CRLFs, a NUL, non-ASCII bytes.
FORM = b"name=J%C3%BCrgen&note=line1%0D%0Aline2&raw=\r\n\x00\xc3\xbc\xff&pad=" + b"a" * 2000


class ReadsUpstream:
    """A raw keep-alive upstream that keeps, per request, the ``recv`` results it was read from
    and its body; answers ``200 ok:<body length>``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[bytes, list[bytes], bytes]] = []  # (request line, recvs, body)
        self.total = 0  # bytes received, all connections
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

    def _recv(self, conn: socket.socket, reads: list[bytes]) -> bytes:
        chunk = conn.recv(65536)
        if chunk:
            reads.append(chunk)
            with self.lock:
                self.total += len(chunk)
        return chunk

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while True:
                reads: list[bytes] = []
                while b"\r\n\r\n" not in data:
                    chunk = self._recv(conn, reads)
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
                    chunk = self._recv(conn, reads)
                    if not chunk:
                        return
                    data += chunk
                body, data = data[:length], data[length:]
                with self.lock:
                    self.requests.append((head.split(b"\r\n", 1)[0], reads, body))
                answer = b"ok:%d" % len(body)
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%b" % (len(answer), answer))

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def reads_upstream() -> Iterator[ReadsUpstream]:
    upstream = ReadsUpstream()
    yield upstream
    upstream.close()


@pytest.fixture(scope="module")
def proxy(reads_upstream: ReadsUpstream, acl_path: Path) -> Iterator[RunningProxy]:
    with proxy_in_thread(reads_upstream.url, acl_path, shield=ShieldLimits(body_timeout=0.5)) as running:
        yield running


def post(path: bytes, body: bytes) -> bytes:
    return (b"POST %b HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n%b" % (path, len(body), body))


def test_a_small_post_whole_at_its_parse_goes_upstream_with_its_head_in_one_write(
    proxy: RunningProxy, reads_upstream: ReadsUpstream
) -> None:
    handler = handler_of(proxy)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(b"GET /warm HTTP/1.1\r\nHost: x\r\n\r\n")  # leaves an idle upstream connection
        read_answer(sock, b"ok:0")
        fast, handoffs = handler.fast_answers, handler.fast_handoffs
        for i in range(3):
            sock.sendall(post(b"/form%d" % i, FORM))
            answer = read_answer(sock, b"ok:%d" % len(FORM))
            assert answer.startswith(b"HTTP/1.1 200 ")
    assert handler.fast_answers == fast + 3
    assert handler.fast_handoffs == handoffs  # each on the kept-alive upstream connection
    for i, (line, reads, body) in enumerate(reads_upstream.requests[-3:]):
        assert line == b"POST /form%d HTTP/1.1" % i
        assert body == FORM  # byte for byte
        assert len(reads) == 1, [len(r) for r in reads]  # head and body: one write, one read
        assert reads[0].endswith(b"\r\n\r\n" + FORM)


def test_a_body_the_waf_blocks_in_the_fast_lane_never_reaches_the_upstream(
    proxy: RunningProxy, reads_upstream: ReadsUpstream
) -> None:
    handler = handler_of(proxy)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(b"GET /warm HTTP/1.1\r\nHost: x\r\n\r\n")
        read_answer(sock, b"ok:0")
        before, total, fast = len(reads_upstream.requests), reads_upstream.total, handler.fast_answers
        sock.sendall(post(b"/blocked", FORM + b"&q=drop table"))
        answer = read_answer(sock, b"firewall.\n")
        assert answer.startswith(b"HTTP/1.1 403 ")
        sock.sendall(post(b"/after", b"a=1"))  # the connection goes on; the next one passes
        assert read_answer(sock, b"ok:3").startswith(b"HTTP/1.1 200 ")
    assert handler.fast_answers == fast + 2
    got = reads_upstream.requests[before:]
    assert [line for line, _, _ in got] == [b"POST /after HTTP/1.1"]
    sent = sum(len(r) for r in got[0][1])
    assert reads_upstream.total - total == sent  # not one byte of the blocked request upstream


def test_a_pipelined_body_that_came_in_pieces_is_forwarded_whole(
    proxy: RunningProxy, reads_upstream: ReadsUpstream
) -> None:
    # Two requests in one read, the second's body cut mid-way; its rest in later reads. Whichever
    # lane answers it, the upstream reads the exact bytes, head and body in one write.
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        second = post(b"/pieces", FORM)
        cut = len(second) - len(FORM) + 100
        sock.sendall(post(b"/first", b"a=1") + second[:cut])
        time.sleep(0.05)
        sock.sendall(second[cut:cut + 900])
        time.sleep(0.05)
        sock.sendall(second[cut + 900:])
        answer = read_answer(sock, b"ok:%d" % len(FORM))
    assert answer.count(b"HTTP/1.1 200 ") == 2
    line, reads, body = reads_upstream.requests[-1]
    assert line == b"POST /pieces HTTP/1.1" and body == FORM
    assert len(reads) == 1


def test_a_small_body_that_stalls_is_answered_408_and_nothing_reaches_the_upstream(
    proxy: RunningProxy, reads_upstream: ReadsUpstream
) -> None:
    handler = handler_of(proxy)
    before, total = len(reads_upstream.requests), reads_upstream.total
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(post(b"/stall", FORM)[:-10])  # ten bytes short, then nothing
        answer = read_answer(sock, b"\n")
        assert answer.startswith(b"HTTP/1.1 408 ")
    assert len(reads_upstream.requests) == before and reads_upstream.total == total
    assert not handler._in_flight


def test_a_body_in_pieces_is_waited_for_while_bytes_keep_coming(
    proxy: RunningProxy, reads_upstream: ReadsUpstream
) -> None:
    # Five pieces 0.15 s apart: longer in all than the 0.5 s body timeout, which restarts with
    # each read that brings body bytes (as a task's reads would).
    handler = handler_of(proxy)
    request = post(b"/pieces-slow", FORM)
    head = len(request) - len(FORM)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        fast, handoffs = handler.fast_answers, handler.fast_handoffs
        sock.sendall(request[:head])
        for start in range(head, len(request), 500):
            time.sleep(0.15)
            sock.sendall(request[start:start + 500])
        answer = read_answer(sock, b"ok:%d" % len(FORM))
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert handler.fast_answers == fast + 1  # answered in the fast lane once whole
    assert handler.fast_handoffs in (handoffs, handoffs + 1)  # a new upstream connection or not
    line, reads, body = reads_upstream.requests[-1]
    assert line == b"POST /pieces-slow HTTP/1.1" and body == FORM and len(reads) == 1


def test_a_body_expecting_100_continue_is_asked_for_not_waited_for(
    proxy: RunningProxy, reads_upstream: ReadsUpstream
) -> None:
    handler = handler_of(proxy)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        fast = handler.fast_answers
        sock.sendall(b"POST /continue HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                     b"Content-Length: 5\r\n\r\n")
        assert read_answer(sock, b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"hello")
        assert read_answer(sock, b"ok:5").startswith(b"HTTP/1.1 200 ")
    assert handler.fast_answers == fast  # the task lane, as before
    assert reads_upstream.requests[-1][2] == b"hello"


def test_a_body_past_the_inspection_window_is_read_by_a_task(
    proxy: RunningProxy, reads_upstream: ReadsUpstream
) -> None:
    handler = handler_of(proxy)
    big = b"x=" + b"y" * 200_000  # past any inspection window: streamed, never held whole
    request = post(b"/big", big)
    head = len(request) - len(big)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        fast = handler.fast_answers
        sock.sendall(request[:head])
        until(lambda: handler._in_flight, what="the request in flight (a task), before its body")
        sock.sendall(request[head:])
        assert read_answer(sock, b"ok:%d" % len(big)).startswith(b"HTTP/1.1 200 ")
    assert handler.fast_answers == fast
    assert reads_upstream.requests[-1][2] == big


def test_a_client_gone_while_its_body_is_waited_for_leaves_nothing_behind(
    proxy: RunningProxy, reads_upstream: ReadsUpstream
) -> None:
    handler = handler_of(proxy)
    before, total = len(reads_upstream.requests), reads_upstream.total
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(post(b"/gone", FORM)[:-100])
        time.sleep(0.1)
    time.sleep(0.7)  # past the body timeout: the waiting ended with the connection
    assert not handler._in_flight
    assert len(reads_upstream.requests) == before and reads_upstream.total == total
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(post(b"/next", b"a=1"))
        assert read_answer(sock, b"ok:3").startswith(b"HTTP/1.1 200 ")
