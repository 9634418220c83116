"""UpstreamPool against real servers: uvicorn upstreams (plain, TLS, mTLS) and raw asyncio sockets
for the misbehaving-server cases uvicorn would never produce."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import ssl
import threading
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.conftest import TlsFiles
from tests.support.servers import RunningServer, bound_socket, uvicorn_in_thread
from wafproxy.asgi.upstream import (
    PoolStats,
    UpstreamConfig,
    UpstreamConnectError,
    UpstreamPool,
    UpstreamPoolFull,
    UpstreamProtocolError,
    UpstreamTimeout,
    UpstreamTLSError,
)

CHUNK = b"x" * 65536


class EchoApp:
    """A test upstream. ``/`` echoes the request as JSON; ``/stream?size=N`` streams N bytes;
    ``/slow?delay=S`` answers after S seconds; ``/hop`` answers with hop-by-hop headers;
    ``/upload`` reports when its first body chunk arrived (``first_chunk`` event)."""

    def __init__(self) -> None:
        self.stream_done = threading.Event()
        self.first_chunk = threading.Event()
        self.release = threading.Event()

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        query = parse_qs(scope["query_string"].decode())
        if path == "/stream":
            await self._stream(int(query["size"][0]), send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if path == "/upload" and sum(map(len, chunks)) > 0:
                self.first_chunk.set()
            if not message.get("more_body"):
                break
        if path == "/slow":
            await asyncio.sleep(float(query["delay"][0]))
        headers = [(b"content-type", b"application/json")]
        if path == "/hop":
            headers += [
                (b"connection", b"x-private, keep-alive"),
                (b"x-private", b"secret"),
                (b"keep-alive", b"timeout=5"),
                (b"proxy-authenticate", b"Basic"),
                (b"trailer", b"x-checksum"),
                (b"x-kept", b"yes"),
            ]
        echo = {
            "method": scope["method"],
            "path": path,
            "raw_path": scope["raw_path"].decode("latin-1"),
            "query": scope["query_string"].decode("latin-1"),
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
            "body": b"".join(chunks).decode("latin-1"),
            "client": list(scope["client"]),
        }
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": json.dumps(echo).encode()})

    async def _stream(self, size: int, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(size).encode())],
            }
        )
        sent = 0
        while sent < size:
            piece = CHUNK if size - sent >= len(CHUNK) else CHUNK[: size - sent]
            sent += len(piece)
            await send({"type": "http.response.body", "body": piece, "more_body": sent < size})
        self.stream_done.set()


def header_values(echo: dict[str, Any], name: str) -> list[str]:
    return [v for k, v in echo["headers"] if k == name]


@pytest.fixture
def echo() -> EchoApp:
    return EchoApp()


@pytest.fixture
def upstream(echo: EchoApp) -> Iterator[RunningServer]:
    # proxy_headers=False: the upstream must report its real TCP peer (keep-alive tests use the port).
    with uvicorn_in_thread(echo, proxy_headers=False) as server:
        yield server


@pytest.fixture
async def pool(upstream: RunningServer) -> AsyncIterator[UpstreamPool]:
    p = UpstreamPool(UpstreamConfig(upstream.url, read_timeout=5))
    yield p
    await p.aclose()


async def get_json(
    pool: UpstreamPool, target: str = "/", method: str = "GET", body: Any = b""
) -> dict[str, Any]:
    resp = await pool.request(method, target, [(b"x-test", b"1")], body)
    assert resp.status == 200
    return json.loads(await resp.aread())  # type: ignore[no-any-return]


async def test_get_sends_target_host_and_headers(pool: UpstreamPool, upstream: RunningServer) -> None:
    echo = await get_json(pool, "/a%2Fb?x=1&y=%20")
    assert echo["raw_path"] == "/a%2Fb" and echo["query"] == "x=1&y=%20"
    assert header_values(echo, "host") == [f"127.0.0.1:{upstream.port}"]
    assert header_values(echo, "x-test") == ["1"]
    assert header_values(echo, "content-length") == []  # no body, no framing header on a GET


async def test_keep_alive_reuses_one_connection(pool: UpstreamPool) -> None:
    ports = {tuple((await get_json(pool))["client"]) for _ in range(10)}
    assert len(ports) == 1
    assert pool.open_connections == 1


async def test_unread_response_is_not_reused(pool: UpstreamPool) -> None:
    first = await pool.request("GET", "/stream?size=1000000", [], b"")
    assert await first.read_chunk()
    first.release()  # mid-body: this connection's stream is unusable
    echo = await get_json(pool)
    assert pool.open_connections == 1
    again = await get_json(pool)
    assert echo["client"] == again["client"]


async def test_post_bytes_and_streamed_body(pool: UpstreamPool) -> None:
    echo = await get_json(pool, "/", "POST", b"hello")
    assert echo["body"] == "hello" and header_values(echo, "content-length") == ["5"]

    async def parts() -> AsyncIterator[bytes]:
        for piece in (b"a" * 10, b"", b"b" * 100_000):
            yield piece

    echo = await get_json(pool, "/", "POST", parts())
    assert echo["body"] == "a" * 10 + "b" * 100_000
    assert header_values(echo, "transfer-encoding") == ["chunked"]
    echo = await get_json(pool, "/", "POST", b"")
    assert header_values(echo, "content-length") == ["0"]


async def test_head_response_keeps_connection_usable(pool: UpstreamPool) -> None:
    resp = await pool.request("HEAD", "/stream?size=5000", [], b"")
    assert resp.status == 200 and (b"content-length", b"5000") in resp.headers
    assert await resp.aread() == b""
    echo = await get_json(pool)
    assert echo["method"] == "GET" and pool.open_connections == 1


async def test_streamed_body_arrives_in_chunks(pool: UpstreamPool) -> None:
    resp = await pool.request("GET", "/stream?size=3000000", [], b"")
    sizes = [len(chunk) async for chunk in resp]
    assert sum(sizes) == 3_000_000 and len(sizes) > 1
    assert resp.finished


async def test_connection_refused_is_connect_error() -> None:
    with bound_socket() as sock:  # bound, never listening: connections are refused
        pool = UpstreamPool(UpstreamConfig(f"http://127.0.0.1:{sock.getsockname()[1]}"))
        with pytest.raises(UpstreamConnectError):
            await pool.request("GET", "/", [], b"")
        assert pool.open_connections == 0


async def test_read_timeout(upstream: RunningServer) -> None:
    pool = UpstreamPool(UpstreamConfig(upstream.url, read_timeout=0.2))
    with pytest.raises(UpstreamTimeout) as info:
        await pool.request("GET", "/slow?delay=1", [], b"")
    assert info.value.phase == "read" and pool.open_connections == 0


async def test_read_timeout_on_a_reused_connection(upstream: RunningServer) -> None:
    # The read timer outlives an exchange (one per connection): the next exchange's wait,
    # started later than the pending timer's, must still end at its own read timeout.
    pool = UpstreamPool(UpstreamConfig(upstream.url, read_timeout=0.3))
    resp = await pool.request("GET", "/slow?delay=0.1", [], b"")
    assert resp.status == 200
    await resp.aread()
    assert pool.open_connections == 1
    with pytest.raises(UpstreamTimeout) as info:
        await pool.request("GET", "/slow?delay=2", [], b"")
    assert info.value.phase == "read" and pool.open_connections == 0
    await pool.aclose()


async def test_total_timeout(upstream: RunningServer) -> None:
    pool = UpstreamPool(UpstreamConfig(upstream.url, read_timeout=5, total_timeout=0.2))
    with pytest.raises(UpstreamTimeout) as info:
        await pool.request("GET", "/slow?delay=1", [], b"")
    assert info.value.phase == "total"


async def test_pool_is_bounded(upstream: RunningServer) -> None:
    pool = UpstreamPool(UpstreamConfig(upstream.url, max_connections=1, max_waiters=0))
    held = await pool.request("GET", "/stream?size=1000000", [], b"")
    with pytest.raises(UpstreamPoolFull):
        await pool.request("GET", "/", [], b"")
    assert pool.stats() == PoolStats(open=1, idle=0, waiting=0)
    held.release()
    await (await pool.request("GET", "/", [], b"")).aread()
    await pool.aclose()


async def test_waiter_gets_the_released_connection(upstream: RunningServer) -> None:
    pool = UpstreamPool(UpstreamConfig(upstream.url, max_connections=1, max_waiters=1))
    first = await pool.request("GET", "/", [], b"")
    waiting = asyncio.ensure_future(pool.request("GET", "/", [], b""))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    assert pool.stats() == PoolStats(open=1, idle=0, waiting=1)
    one = json.loads(await first.aread())
    two = json.loads(await (await waiting).aread())
    assert one["client"] == two["client"] and pool.open_connections == 1
    await pool.aclose()


async def test_tls_verified_against_ca(tls_files: TlsFiles, echo: EchoApp) -> None:
    with uvicorn_in_thread(
        echo, ssl_certfile=str(tls_files.server_cert), ssl_keyfile=str(tls_files.server_key)
    ) as up:
        good = UpstreamPool(UpstreamConfig(up.url, ca_file=str(tls_files.ca)))
        assert (await get_json(good))["method"] == "GET"
        await good.aclose()
        wrong = UpstreamPool(UpstreamConfig(up.url, ca_file=str(tls_files.other_ca)))
        with pytest.raises(UpstreamTLSError, match="certificate verify failed"):
            await wrong.request("GET", "/", [], b"")
        system = UpstreamPool(UpstreamConfig(up.url))  # system CAs do not know the test CA
        with pytest.raises(UpstreamTLSError):
            await system.request("GET", "/", [], b"")


async def test_insecure_skip_verify_logs_a_warning(
    tls_files: TlsFiles, echo: EchoApp, caplog: pytest.LogCaptureFixture
) -> None:
    with uvicorn_in_thread(
        echo, ssl_certfile=str(tls_files.server_cert), ssl_keyfile=str(tls_files.server_key)
    ) as up:
        pool = UpstreamPool(UpstreamConfig(up.url, insecure_skip_verify=True))
        assert "DISABLED" in caplog.text
        assert (await get_json(pool))["method"] == "GET"
        await pool.aclose()


async def test_mutual_tls(tls_files: TlsFiles, echo: EchoApp) -> None:
    server_tls: dict[str, Any] = {
        "ssl_certfile": str(tls_files.server_cert),
        "ssl_keyfile": str(tls_files.server_key),
        "ssl_ca_certs": str(tls_files.ca),
        "ssl_cert_reqs": ssl.CERT_REQUIRED,
    }
    with uvicorn_in_thread(echo, **server_tls) as up:
        with_cert = UpstreamConfig(
            up.url,
            ca_file=str(tls_files.ca),
            client_cert=str(tls_files.client_cert),
            client_key=str(tls_files.client_key),
        )
        pool = UpstreamPool(with_cert)
        assert (await get_json(pool))["method"] == "GET"
        await pool.aclose()
        bare = UpstreamPool(UpstreamConfig(up.url, ca_file=str(tls_files.ca), read_timeout=5))
        with pytest.raises((UpstreamTLSError, UpstreamProtocolError)):
            await bare.request("GET", "/", [], b"")


@pytest.mark.parametrize(
    "url",
    ["ftp://x", "http://", "http://h/?q=1", "http://u:p@h/"],
)
def test_config_rejects_bad_urls(url: str) -> None:
    with pytest.raises(ValueError, match="UpstreamConfig.url"):
        UpstreamConfig(url)


def test_config_validates_numbers_and_key_pairs() -> None:
    with pytest.raises(ValueError, match="read_timeout"):
        UpstreamConfig("http://h", read_timeout=0)
    with pytest.raises(ValueError, match="client_key"):
        UpstreamConfig("https://h", client_key="k.pem")
    with pytest.raises(ValueError, match="max_connections"):
        UpstreamConfig("http://h", max_connections=0)


# ---- raw servers: what uvicorn never sends --------------------------------------------------------

RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def raw_server(handler: RawHandler) -> AsyncIterator[str]:
    """A plain TCP server running ``handler`` per connection; every connection is closed on exit."""
    writers: list[asyncio.StreamWriter] = []

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await handler(reader, writer)

    server = await asyncio.start_server(run, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        for writer in writers:
            writer.close()
        for writer in writers:
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        await server.wait_closed()


async def answer(
    writer: asyncio.StreamWriter, reader: asyncio.StreamReader, data: bytes, close: bool
) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(data)
    await writer.drain()
    if close:
        writer.close()


@pytest.mark.parametrize(
    ("wire", "close", "status", "body"),
    [
        (b"HTTP/1.1 200 OK\r\n\r\nuntil-close", True, 200, b"until-close"),  # RFC 9112 §6.3 (8)
        (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok",
            False,
            201,
            b"ok",
        ),
        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", False, 200, b"abc"),
    ],
    ids=["eof-framed", "interim-1xx-skipped", "chunked"],
)
async def test_response_framing(wire: bytes, close: bool, status: int, body: bytes) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await answer(writer, reader, wire, close)

    async with raw_server(handler) as url:
        pool = UpstreamPool(UpstreamConfig(url, read_timeout=5))
        resp = await pool.request("GET", "/", [], b"")
        assert (resp.status, await resp.aread()) == (status, body)
        await pool.aclose()


@pytest.mark.parametrize(
    "wire",
    [b"garbage\r\n\r\n", b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort", b""],
    ids=["not-http", "closed-mid-body", "closed-before-response"],
)
async def test_broken_responses_are_protocol_errors(wire: bytes) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await answer(writer, reader, wire, True)

    async with raw_server(handler) as url:
        pool = UpstreamPool(UpstreamConfig(url, read_timeout=5))
        with pytest.raises(UpstreamProtocolError):
            resp = await pool.request("GET", "/", [], b"")
            await resp.aread()
        assert pool.open_connections == 0


@pytest.mark.parametrize(("method", "retried"), [("GET", True), ("POST", False)])
async def test_stale_keepalive_connection_is_retried_for_idempotent_requests(
    method: str, retried: bool
) -> None:
    """The server answers one request per connection with keep-alive, then drops the connection
    when the next request arrives, without a byte of response: the race of a server closing an
    idle connection as we reuse it. A GET is retried once on a fresh connection; a POST is not
    (the server might have acted on it)."""
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")
        writer.transport.abort()

    async with raw_server(handler) as url:
        pool = UpstreamPool(UpstreamConfig(url, read_timeout=5))
        assert await (await pool.request(method, "/", [], b"")).aread() == b"ok"
        if retried:
            assert await (await pool.request(method, "/", [], b"")).aread() == b"ok"
            assert connections == 2
            await pool.aclose()
        else:
            with pytest.raises(UpstreamProtocolError):
                await pool.request(method, "/", [], b"")
            assert connections == 1


@pytest.mark.parametrize(
    ("target", "headers"),
    [
        ("/a b", []),
        ("/a\r\nX-Injected: 1", []),
        ("relative", []),
        ("/", [(b"x-a", b"v\r\nX-Injected: 1")]),
        ("/", [(b"x-a", b"v\nX-Injected: 1")]),
        ("/", [(b"x-a\r", b"v")]),
    ],
    ids=["space", "crlf-target", "not-origin-form", "crlf-value", "lf-value", "cr-name"],
)
async def test_request_smuggling_attempts_are_refused(pool: UpstreamPool, target: str, headers: Any) -> None:
    with pytest.raises(ValueError):
        await pool.request("GET", target, headers, b"")
    assert pool.open_connections == 0  # refused before any connection was taken


async def test_oversized_response_head_is_refused() -> None:
    """llhttp would buffer a never-ending header forever; we stop at 64 KiB."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await answer(writer, reader, b"HTTP/1.1 200 OK\r\nx-big: " + b"a" * 100_000, False)
        await reader.read()  # until the client gives up on us

    async with raw_server(handler) as url:
        pool = UpstreamPool(UpstreamConfig(url, read_timeout=3))
        with pytest.raises(UpstreamProtocolError, match="64 KiB"):
            await pool.request("GET", "/", [], b"")


def test_pool_survives_a_new_event_loop(upstream: RunningServer) -> None:
    """A pool kept across event loops (a restarted server) drops the old loop's idle connections.

    Their sockets can only be freed by the GC (the old loop is closed): that ResourceWarning is
    the expected cost of the misuse, not a leak of the normal path."""
    pool = UpstreamPool(UpstreamConfig(upstream.url))

    async def one(close: bool) -> tuple[str, int]:
        echo = json.loads(await (await pool.request("GET", "/", [], b"")).aread())
        if close:
            await pool.aclose()
        host, port = echo["client"]
        return host, port

    first = asyncio.run(one(close=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        second = asyncio.run(one(close=True))
        gc.collect()
    assert first != second


async def test_extra_response_poisons_the_connection() -> None:
    """Two responses to one request: the first is the answer, the stream is never reused (the
    second would otherwise be served as the answer to the next request: response splitting)."""
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nAHTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nB"
            )

    async with raw_server(handler) as url:
        pool = UpstreamPool(UpstreamConfig(url, read_timeout=5))
        assert await (await pool.request("GET", "/", [], b"")).aread() == b"A"
        assert await (await pool.request("GET", "/", [], b"")).aread() == b"A"
        assert connections == 2
        await pool.aclose()


async def test_connection_close_response_is_not_reused() -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await answer(
            writer, reader, b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok", False
        )
        await reader.read()

    async with raw_server(handler) as url:
        pool = UpstreamPool(UpstreamConfig(url, read_timeout=5))
        for _ in range(2):
            assert await (await pool.request("GET", "/", [], b"")).aread() == b"ok"
        assert connections == 2 and pool.open_connections == 0
        await pool.aclose()


def test_unloadable_tls_files_name_the_setting(tmp_path: Any, tls_files: TlsFiles) -> None:
    with pytest.raises(ValueError, match="UpstreamConfig.ca_file"):
        UpstreamPool(UpstreamConfig("https://h", ca_file=str(tmp_path / "missing.pem")))
    with pytest.raises(ValueError, match="UpstreamConfig.client_cert"):
        UpstreamPool(UpstreamConfig("https://h", client_cert=str(tls_files.ca)))  # a cert without its key


async def test_trailers_are_dropped() -> None:
    wire = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nx-checksum: 1\r\n\r\n"

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await answer(writer, reader, wire, False)
        await reader.read()

    async with raw_server(handler) as url:
        pool = UpstreamPool(UpstreamConfig(url, read_timeout=5))
        resp = await pool.request("GET", "/", [], b"")
        assert await resp.aread() == b"ok"
        assert [name for name, _ in resp.headers] == [b"transfer-encoding"]
        await pool.aclose()


async def test_concurrent_requests_share_a_small_pool(upstream: RunningServer) -> None:
    """100 concurrent requests over 4 connections: each waits its turn, all succeed, the bound holds."""
    pool = UpstreamPool(UpstreamConfig(upstream.url, max_connections=4, max_waiters=200))
    peak = 0

    async def one(i: int) -> str:
        nonlocal peak
        resp = await pool.request("POST", f"/n{i}", [], str(i).encode())
        peak = max(peak, pool.open_connections)
        return str(json.loads(await resp.aread())["body"])

    bodies = await asyncio.gather(*(one(i) for i in range(100)))
    assert bodies == [str(i) for i in range(100)]
    assert peak <= 4 and pool.stats() == PoolStats(open=4, idle=4, waiting=0)
    await pool.aclose()
