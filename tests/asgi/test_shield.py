"""ShieldMiddleware and server_limits against a real uvicorn (uvloop + httptools) on loopback.

The server half (header timeout, connections per client) is our server's now:
tests/server/test_server_limits.py."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator, MutableMapping
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.support.servers import RunningServer, uvicorn_in_thread
from wafproxy.asgi.shield import REASONS, ShieldLimits, ShieldMiddleware, client_key, server_limits


class EchoApp:
    """Reads the whole body, answers its length; counts the requests that reached it."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()
        self.hold = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        size, more = 0, True
        while more:
            message = await receive()
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        if self.hold:  # released from the test's thread
            await asyncio.to_thread(self.release.wait, 10)
        body = str(size).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


LIMITS = ShieldLimits(
    max_url_bytes=200,
    max_header_count=20,
    max_header_bytes=2000,
    max_body_bytes=1000,
    body_timeout=0.3,
    max_requests_per_client=2,
    header_timeout=0.3,
    max_connections_per_client=3,
)


@pytest.fixture
def served() -> Iterator[tuple[RunningServer, EchoApp, ShieldMiddleware]]:
    app = EchoApp()
    shield = ShieldMiddleware(app, limits=LIMITS)
    with uvicorn_in_thread(shield, **server_limits(LIMITS)) as server:
        yield server, app, shield


def test_within_limits_passes_through(served: tuple[RunningServer, EchoApp, ShieldMiddleware]) -> None:
    server, app, shield = served
    r = httpx.post(server.url + "/ok?x=1", content=b"a" * 1000)
    assert (r.status_code, r.text) == (200, "1000")
    assert app.calls == 1 and not shield.rejections


@pytest.mark.parametrize(
    ("request_kwargs", "status", "reason"),
    [
        ({"url": "/" + "a" * 250}, 414, "url_too_long"),
        ({"url": "/?q=" + "a" * 250}, 414, "url_too_long"),
        ({"headers": {f"x-h{i}": "1" for i in range(25)}}, 431, "too_many_headers"),
        ({"headers": {"x-big": "a" * 2100}}, 431, "headers_too_large"),
        ({"method": "POST", "content": b"a" * 1001}, 413, "body_too_large"),
    ],
)
def test_head_and_declared_body_limits(
    served: tuple[RunningServer, EchoApp, ShieldMiddleware],
    request_kwargs: dict[str, Any],
    status: int,
    reason: str,
) -> None:
    server, app, shield = served
    kwargs = {"method": "GET", "url": "/", **request_kwargs}
    kwargs["url"] = server.url + kwargs["url"]
    r = httpx.request(**kwargs)
    assert r.status_code == status
    assert r.content == REASONS[reason][1]
    assert r.headers["connection"] == "close"
    assert app.calls == 0  # refused before the app (the WAF, the upstream) saw it
    assert shield.rejections == {reason: 1}


def test_streamed_body_over_the_limit_is_refused_while_streaming(
    served: tuple[RunningServer, EchoApp, ShieldMiddleware],
) -> None:
    server, app, shield = served

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"b" * 100  # no Content-Length: chunked, 2000 bytes

    r = httpx.post(server.url + "/up", content=chunks())
    assert r.status_code == 413
    assert app.calls == 1 and shield.rejections == {"body_too_large": 1}


def test_framework_answer_to_a_failed_read_is_replaced() -> None:
    async def upload(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(len(await request.body())))

    shield = ShieldMiddleware(Starlette(routes=[Route("/up", upload, methods=["POST"])]), limits=LIMITS)
    with uvicorn_in_thread(shield) as server:
        r = httpx.post(server.url + "/up", content=iter([b"c" * 600, b"c" * 600]))
    assert r.status_code == 413


def raw(server: RunningServer, data: bytes, timeout: float = 5.0) -> tuple[socket.socket, bytes]:
    sock = socket.create_connection((server.host, server.port), timeout=timeout)
    sock.sendall(data)
    return sock, sock.recv(65536)


def test_slow_body_times_out(served: tuple[RunningServer, EchoApp, ShieldMiddleware]) -> None:
    server, _, shield = served
    sock, answer = raw(server, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408")
    assert shield.rejections == {"body_timeout": 1}


def test_concurrent_requests_per_client(served: tuple[RunningServer, EchoApp, ShieldMiddleware]) -> None:
    server, app, shield = served
    app.hold = True
    results: list[int] = []

    def held() -> None:
        results.append(httpx.get(server.url + "/held", timeout=10).status_code)

    threads = [threading.Thread(target=held) for _ in range(2)]
    for t in threads:
        t.start()
    while app.calls < 2:
        threading.Event().wait(0.01)
    r = httpx.get(server.url + "/third")
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    app.release.set()
    for t in threads:
        t.join()
    assert results == [200, 200]
    assert httpx.get(server.url + "/after").status_code == 200  # the table emptied again
    assert shield.rejections == {"too_many_concurrent": 1}


async def call(shield: ShieldMiddleware, headers: list[tuple[bytes, bytes]]) -> int:
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": headers,
        "client": ("2001:db8::1", 1234),
    }
    await shield(scope, receive, send)
    return int(sent[0]["status"])


async def test_content_length_must_be_one_number() -> None:
    reasons: list[str] = []
    shield = ShieldMiddleware(EchoApp(), limits=LIMITS, on_reject=reasons.append)
    assert await call(shield, [(b"content-length", b"5"), (b"content-length", b"6")]) == 400
    assert await call(shield, [(b"content-length", b"-1")]) == 400
    assert await call(shield, [(b"content-length", b"5"), (b"content-length", b"5")]) == 200
    assert reasons == ["bad_content_length", "bad_content_length"]


def test_client_key_groups_ipv6_by_prefix() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert client_key("2001:db8::1", 128) == "2001:db8::1/128"
    assert client_key("192.0.2.1") == "192.0.2.1"
    assert client_key(None) == "-"


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="max_body_bytes"):
        ShieldLimits(max_body_bytes=0)
    settings = server_limits()
    assert settings["timeout_keep_alive"] == 5 and settings["limit_concurrency"] == 10_000
