"""PoolTransport: a real httpx.AsyncClient over our pool, against a real uvicorn upstream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.asgi.test_upstream import EchoApp, header_values
from tests.conftest import TlsFiles
from tests.support.servers import RunningServer, bound_socket, uvicorn_in_thread
from wafproxy.asgi.transport import PoolTransport
from wafproxy.asgi.upstream import UpstreamConfig, UpstreamPool


@pytest.fixture
def upstream() -> Iterator[RunningServer]:
    with uvicorn_in_thread(EchoApp(), proxy_headers=False) as server:
        yield server


@pytest.fixture
async def client(upstream: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=PoolTransport(UpstreamConfig(upstream.url)), base_url=upstream.url
    ) as c:
        yield c


async def test_get_with_query_and_headers(client: httpx.AsyncClient, upstream: RunningServer) -> None:
    r = await client.get("/p/a%20b", params={"q": "1 2"}, headers={"X-Custom": "v"})
    assert r.status_code == 200 and r.http_version == "HTTP/1.1"
    echo = r.json()
    assert echo["raw_path"] == "/p/a%20b" and echo["query"] == "q=1+2"
    assert header_values(echo, "x-custom") == ["v"]
    assert header_values(echo, "host") == [f"127.0.0.1:{upstream.port}"]  # exactly one Host
    assert r.headers["content-type"] == "application/json"


async def test_post_json_and_streamed_upload(client: httpx.AsyncClient) -> None:
    r = await client.post("/", json={"a": 1})
    assert json.loads(r.json()["body"]) == {"a": 1}

    async def parts() -> AsyncIterator[bytes]:
        yield b"one,"
        yield b"two"

    r = await client.post("/", content=parts())
    assert r.json()["body"] == "one,two"
    assert header_values(r.json(), "transfer-encoding") == ["chunked"]


async def test_connection_is_shared_across_requests(client: httpx.AsyncClient) -> None:
    ports = {tuple((await client.get("/")).json()["client"]) for _ in range(5)}
    assert len(ports) == 1


async def test_streaming_response_and_early_close(upstream: RunningServer) -> None:
    pool = UpstreamPool(UpstreamConfig(upstream.url))
    async with httpx.AsyncClient(transport=PoolTransport(pool)) as c:
        async with c.stream("GET", f"{upstream.url}/stream?size=2000000") as r:
            total = sum([len(chunk) async for chunk in r.aiter_raw()])
        assert total == 2_000_000
        async with c.stream("GET", f"{upstream.url}/stream?size=2000000") as r:
            async for _ in r.aiter_raw():
                break  # leave early: the connection must be closed, not reused mid-body
        assert (await c.get(f"{upstream.url}/")).status_code == 200
        assert pool.open_connections == 1
    await pool.aclose()


async def test_other_origin_is_refused(client: httpx.AsyncClient) -> None:
    with pytest.raises(httpx.UnsupportedProtocol, match="serves http://127.0.0.1"):
        await client.get("http://example.com/")


async def test_errors_map_to_httpx_exceptions(tls_files: TlsFiles) -> None:
    with bound_socket() as sock:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        async with httpx.AsyncClient(transport=PoolTransport(UpstreamConfig(url))) as c:
            with pytest.raises(httpx.ConnectError):
                await c.get(url)
    with uvicorn_in_thread(
        EchoApp(), ssl_certfile=str(tls_files.server_cert), ssl_keyfile=str(tls_files.server_key)
    ) as up:
        bad = PoolTransport(UpstreamConfig(up.url, ca_file=str(tls_files.other_ca)))
        async with httpx.AsyncClient(transport=bad) as c:
            with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
                await c.get(up.url)
        good = PoolTransport(UpstreamConfig(up.url, ca_file=str(tls_files.ca)))
        async with httpx.AsyncClient(transport=good) as c:
            assert (await c.get(up.url + "/")).status_code == 200
    with uvicorn_in_thread(EchoApp()) as up:
        slow = PoolTransport(UpstreamConfig(up.url, read_timeout=0.2))
        async with httpx.AsyncClient(transport=slow) as c:
            with pytest.raises(httpx.ReadTimeout):
                await c.get(up.url + "/slow?delay=1")
