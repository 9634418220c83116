"""Bounds of a real ``wafproxy serve`` process: set by flag and by ``WAFPROXY_*`` variable, answered,
and counted on ``/metrics``; and a client that stops reading a 50 MiB response makes the proxy
stop reading the upstream (back-pressure) instead of holding the response in memory."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.asgi.test_middleware import acl_document
from tests.support.servers import free_port, uvicorn_in_thread, wafproxy_process
from tests.support.wait import DEADLINE, until

BIG = 50 * 1024 * 1024
CHUNK = 64 * 1024


class Streamer:
    """An upstream that answers ``/big`` with 50 MiB and counts what its server accepted."""

    def __init__(self) -> None:
        self.sent = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        big = scope["path"] == "/big"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(BIG if big else 2).encode())]})
        if not big:
            await send({"type": "http.response.body", "body": b"ok"})
            return
        block = b"z" * CHUNK
        for _ in range(BIG // CHUNK):
            await send({"type": "http.response.body", "body": block, "more_body": True})
            self.sent += CHUNK  # uvicorn's send waits while its socket is paused: accepted bytes
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int, Any, Streamer]]:
    acl = tmp_path_factory.mktemp("acl") / "acl.json"
    acl.write_text(json.dumps(acl_document()))
    streamer = Streamer()
    with uvicorn_in_thread(streamer) as up:
        port, admin = free_port(), free_port()
        with wafproxy_process("serve", "--upstream", up.url, "--acl", str(acl),
                              "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                              "--detector", "off",
                              "--max-query-args", "2", env={"WAFPROXY_MAX_COOKIES": "2"},
                              wait_ports=(port, admin)) as proc:
            yield port, admin, proc, streamer


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_bounds_set_by_flag_and_env_are_answered_and_counted(served: tuple[int, int, Any, Streamer]) -> None:
    port, admin, _, _ = served
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        assert client.get("/", params={"a": 1, "b": 2, "c": 3}).status_code == 414  # --max-query-args 2
        assert client.get("/", headers={"cookie": "a=1; b=2; c=3"}).status_code == 431  # WAFPROXY_MAX_COOKIES
        assert client.get("/", params={"a": 1, "b": 2}, headers={"cookie": "a=1; b=2"}).text == "ok"

    def counted() -> bool:
        text = httpx.get(f"http://127.0.0.1:{admin}/metrics", timeout=DEADLINE).text
        return ('wafproxy_limit_hits_total{limit="too_many_query_args"} 1.0' in text
                and 'wafproxy_limit_hits_total{limit="too_many_cookies"} 1.0' in text)

    until(counted, what="both hits on /metrics")


def test_a_client_that_stops_reading_does_not_make_the_proxy_buffer(
    served: tuple[int, int, Any, Streamer],
) -> None:
    port, _, proc, streamer = served
    assert httpx.get(f"http://127.0.0.1:{port}/warm").text == "ok"
    before = rss_bytes(proc.pid)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)  # before connect: a small window
        sock.settimeout(DEADLINE)
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        received = len(sock.recv(4096))
        # Stop reading. The upstream keeps sending until every buffer on the way is full, then
        # stalls: poll until its count stops moving (the state being waited for, not a delay).
        last = [-1, time.monotonic()]

        def stalled() -> bool:
            now = time.monotonic()
            if streamer.sent != last[0]:
                last[:] = [streamer.sent, now]
                return False
            return now - last[1] >= 1.0

        until(stalled, what="the upstream stalled")
        held = streamer.sent
        grown = rss_bytes(proc.pid) - before
        # Kernel socket buffers on loopback hold a few MiB each way; the proxy itself at most its
        # high-water marks (256 KiB from the upstream, the client transport's write buffer).
        assert held < BIG // 2, held
        assert grown < 16 * 1024 * 1024, grown
        while received < BIG:  # now read it all: nothing lost
            chunk = sock.recv(1 << 20)
            assert chunk, received
            received += len(chunk)
    assert received >= BIG
    assert streamer.sent == BIG
    print(f"slow reader: upstream stalled at {held / 2**20:.1f} MiB of 50; "
          f"proxy RSS grew {grown / 2**20:.1f} MiB")
