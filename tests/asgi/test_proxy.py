"""ReverseProxy served by a real uvicorn, in front of a real uvicorn upstream, driven by httpx."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.asgi.test_upstream import EchoApp, answer, header_values, raw_server
from tests.conftest import TlsFiles
from tests.support.servers import RunningServer, bound_socket, uvicorn_in_thread
from wafproxy.asgi.proxy import ReverseProxy, Route
from wafproxy.asgi.upstream import UpstreamConfig

TRUSTED_PEER = "127.0.0.2"
UNTRUSTED_PEER = "127.0.0.3"


@contextlib.contextmanager
def serve_proxy(proxy: Any) -> Iterator[RunningServer]:
    # The upstream's Date/Server are forwarded; uvicorn must not add its own a second time.
    # lifespan="on": the proxy closes its upstream connections at shutdown.
    with uvicorn_in_thread(proxy, server_header=False, date_header=False, lifespan="on") as server:
        yield server


@pytest.fixture
def echo() -> EchoApp:
    return EchoApp()


@pytest.fixture
def upstream(echo: EchoApp) -> Iterator[RunningServer]:
    with uvicorn_in_thread(echo, proxy_headers=False) as server:
        yield server


@pytest.fixture
def proxy_url(upstream: RunningServer) -> Iterator[str]:
    proxy = ReverseProxy(UpstreamConfig(upstream.url, read_timeout=5), trusted_proxies=[f"{TRUSTED_PEER}/32"])
    with serve_proxy(proxy) as server:
        yield server.url


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as c:
        yield c


def client_from(address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=address), timeout=20)


async def test_forwards_method_target_and_body(client: httpx.AsyncClient, proxy_url: str) -> None:
    r = await client.put(f"{proxy_url}/a%2Fb/c?x=1&y=%ZZ", content=b"payload")
    assert r.status_code == 200
    echo = r.json()
    assert (echo["method"], echo["raw_path"], echo["query"]) == ("PUT", "/a%2Fb/c", "x=1&y=%ZZ")
    assert echo["body"] == "payload" and header_values(echo, "content-length") == ["7"]
    head = await client.head(f"{proxy_url}/stream?size=1234")
    assert head.status_code == 200 and head.headers["content-length"] == "1234" and head.content == b""


async def test_request_hop_by_hop_headers_are_stripped(client: httpx.AsyncClient, proxy_url: str) -> None:
    sent = {
        "Connection": "keep-alive, X-Custom-Hop",
        "X-Custom-Hop": "must not pass",
        "Keep-Alive": "timeout=5",
        "TE": "trailers",
        "Proxy-Authorization": "Basic c2VjcmV0",
        "Proxy-Connection": "keep-alive",
        "Expect": "",
        "X-End-To-End": "kept",
    }
    echo = (await client.get(f"{proxy_url}/", headers=sent)).json()
    names = {name for name, _ in echo["headers"]}
    for hop in (
        "connection",
        "x-custom-hop",
        "keep-alive",
        "te",
        "proxy-authorization",
        "proxy-connection",
        "expect",
    ):
        assert hop not in names, hop
    assert header_values(echo, "x-end-to-end") == ["kept"]


async def test_response_hop_by_hop_headers_are_stripped(client: httpx.AsyncClient, proxy_url: str) -> None:
    r = await client.get(f"{proxy_url}/hop")
    assert r.status_code == 200
    for hop in ("x-private", "keep-alive", "proxy-authenticate", "trailer"):
        assert hop not in r.headers, hop
    assert r.headers["x-kept"] == "yes"
    assert r.headers.get_list("date") and len(r.headers.get_list("date")) == 1


@pytest.mark.parametrize(
    ("peer", "xff", "real_ip", "proto", "fhost", "forwarded"),
    [
        (
            TRUSTED_PEER,
            "203.0.113.9, 198.51.100.1",
            "198.51.100.1",
            "https",
            "public.example",
            'for=203.0.113.9, for=127.0.0.2;proto=http;host="',
        ),
        (UNTRUSTED_PEER, "127.0.0.3", "127.0.0.3", "http", None, 'for=127.0.0.3;proto=http;host="'),
    ],
    ids=["trusted-peer-appends", "untrusted-peer-starts-fresh"],
)
async def test_forwarding_headers(
    proxy_url: str, peer: str, xff: str, real_ip: str, proto: str, fhost: str | None, forwarded: str
) -> None:
    spoofed = {
        "X-Forwarded-For": "203.0.113.9, 198.51.100.1",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "public.example",
        "Forwarded": "for=203.0.113.9",
        "X-Real-IP": "6.6.6.6",
    }
    async with client_from(peer) as c:
        echo = (await c.get(f"{proxy_url}/", headers=spoofed)).json()
    expected_xff = f"{xff}, {peer}" if peer == TRUSTED_PEER else peer
    assert header_values(echo, "x-forwarded-for") == [expected_xff]
    assert header_values(echo, "x-real-ip") == [real_ip]
    assert header_values(echo, "x-forwarded-proto") == [proto]
    assert header_values(echo, "x-forwarded-host") == [fhost or proxy_url.removeprefix("http://")]
    [fwd] = header_values(echo, "forwarded")
    assert fwd.startswith(forwarded)


async def test_client_ip_resolved_by_the_middleware_wins(
    client: httpx.AsyncClient, upstream: RunningServer
) -> None:
    proxy = ReverseProxy(UpstreamConfig(upstream.url))

    async def waf_like(scope: Any, receive: Any, send: Any) -> None:
        scope.setdefault("state", {})["wafproxy.client_ip"] = "192.0.2.77"
        await proxy(scope, receive, send)

    with serve_proxy(waf_like) as server:
        echo = (await client.get(f"{server.url}/")).json()
    assert header_values(echo, "x-real-ip") == ["192.0.2.77"]
    assert header_values(echo, "x-forwarded-for") == ["127.0.0.1"]


@pytest.mark.parametrize("preserve", [True, False])
async def test_host_preserved_or_rewritten(
    client: httpx.AsyncClient, upstream: RunningServer, preserve: bool
) -> None:
    with serve_proxy(ReverseProxy(UpstreamConfig(upstream.url), preserve_host=preserve)) as server:
        echo = (await client.get(f"{server.url}/", headers={"Host": "app.example:8443"})).json()
    expected = "app.example:8443" if preserve else f"127.0.0.1:{upstream.port}"
    assert header_values(echo, "host") == [expected]
    assert header_values(echo, "x-forwarded-host") == ["app.example:8443"]


async def test_keep_alive_one_upstream_connection(client: httpx.AsyncClient, proxy_url: str) -> None:
    ports = {tuple((await client.get(f"{proxy_url}/")).json()["client"]) for _ in range(20)}
    assert len(ports) == 1


async def test_request_body_streams_upstream(
    client: httpx.AsyncClient, proxy_url: str, echo: EchoApp
) -> None:
    """The second chunk is only produced once the upstream has the first: a proxy that buffers the
    whole request body would never forward the first one, and the upload would stall."""

    async def upload() -> AsyncIterator[bytes]:
        yield b"first-chunk;"
        arrived = await asyncio.to_thread(echo.first_chunk.wait, 10)
        yield b"arrived" if arrived else b"buffered"

    r = await client.post(f"{proxy_url}/upload", content=upload())
    assert r.json()["body"] == "first-chunk;arrived"


async def test_upstream_down_is_502(client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    with (
        bound_socket() as sock,
        serve_proxy(ReverseProxy(UpstreamConfig(f"http://127.0.0.1:{sock.getsockname()[1]}"))) as px,
    ):
        r = await client.get(f"{px.url}/secret-path?token=abc")
    assert r.status_code == 502 and "unreachable" in r.text
    assert "connect failed" in caplog.text and "/secret-path" in caplog.text
    assert "token=abc" not in caplog.text  # query strings may hold secrets: never logged


async def test_upstream_slow_is_504(
    client: httpx.AsyncClient, upstream: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    with serve_proxy(ReverseProxy(UpstreamConfig(upstream.url, read_timeout=0.2))) as px:
        r = await client.get(f"{px.url}/slow?delay=1")
    assert r.status_code == 504 and "did not answer in time" in r.text
    assert "read timeout" in caplog.text


async def test_tls_upstream(client: httpx.AsyncClient, tls_files: TlsFiles, echo: EchoApp) -> None:
    server_tls: dict[str, Any] = {
        "ssl_certfile": str(tls_files.server_cert),
        "ssl_keyfile": str(tls_files.server_key),
    }
    with uvicorn_in_thread(echo, **server_tls) as up:
        with serve_proxy(ReverseProxy(UpstreamConfig(up.url, ca_file=str(tls_files.ca)))) as px:
            assert (await client.get(f"{px.url}/")).json()["method"] == "GET"
        with serve_proxy(ReverseProxy(UpstreamConfig(up.url, ca_file=str(tls_files.other_ca)))) as px:
            r = await client.get(f"{px.url}/")
            assert r.status_code == 502 and "certificate" in r.text


async def test_mtls_upstream(client: httpx.AsyncClient, tls_files: TlsFiles, echo: EchoApp) -> None:
    server_tls: dict[str, Any] = {
        "ssl_certfile": str(tls_files.server_cert),
        "ssl_keyfile": str(tls_files.server_key),
        "ssl_ca_certs": str(tls_files.ca),
        "ssl_cert_reqs": ssl.CERT_REQUIRED,
    }
    ca = str(tls_files.ca)
    with uvicorn_in_thread(echo, **server_tls) as up:
        mtls = UpstreamConfig(
            up.url, ca_file=ca, client_cert=str(tls_files.client_cert), client_key=str(tls_files.client_key)
        )
        with serve_proxy(ReverseProxy(mtls)) as px:
            assert (await client.get(f"{px.url}/")).status_code == 200
        with serve_proxy(ReverseProxy(UpstreamConfig(up.url, ca_file=ca, read_timeout=5))) as px:
            assert (await client.get(f"{px.url}/")).status_code == 502


async def test_routes_by_host_and_path(client: httpx.AsyncClient) -> None:
    with (
        uvicorn_in_thread(EchoApp(), proxy_headers=False) as a,
        uvicorn_in_thread(EchoApp(), proxy_headers=False) as b,
    ):
        routes = [
            Route(UpstreamConfig(a.url), path_prefix="/api"),
            Route(UpstreamConfig(b.url), host="b.example"),
            Route(UpstreamConfig(b.url), path_prefix="/b"),
        ]
        with serve_proxy(ReverseProxy(routes=routes, preserve_host=False)) as px:

            async def served_by(path: str, host: str = "x.example") -> str | int:
                r = await client.get(f"{px.url}{path}", headers={"Host": host})
                return header_values(r.json(), "host")[0] if r.status_code == 200 else r.status_code

            assert await served_by("/api/items") == f"127.0.0.1:{a.port}"
            assert await served_by("/api") == f"127.0.0.1:{a.port}"
            assert await served_by("/apix") == 404
            assert await served_by("/b/c") == f"127.0.0.1:{b.port}"
            assert await served_by("/anything", host="B.example:80") == f"127.0.0.1:{b.port}"
            assert await served_by("/") == 404


async def test_lifespan_and_websocket_are_handled(upstream: RunningServer) -> None:
    proxy = ReverseProxy(UpstreamConfig(upstream.url))
    with uvicorn_in_thread(proxy, lifespan="on") as px:
        async with httpx.AsyncClient() as c:
            r = await c.get(
                f"{px.url}/ws",
                headers={
                    "Connection": "Upgrade",
                    "Upgrade": "websocket",
                    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                    "Sec-WebSocket-Version": "13",
                },
            )
            assert r.status_code == 403  # websockets are refused, never half-proxied
            assert (await c.get(f"{px.url}/")).status_code == 200


def test_constructor_needs_exactly_one_of_upstream_or_routes() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ReverseProxy()
    with pytest.raises(ValueError, match="path_prefix"):
        Route(UpstreamConfig("http://h"), path_prefix="api")


async def test_saturated_pool_is_503(client: httpx.AsyncClient, upstream: RunningServer) -> None:
    """One connection, no queue: while a slow request holds it, the next one is shed at once."""
    config = UpstreamConfig(upstream.url, max_connections=1, max_waiters=0)
    with serve_proxy(ReverseProxy(config)) as px:
        slow = asyncio.ensure_future(client.get(f"{px.url}/slow?delay=1"))
        await asyncio.sleep(0.3)
        shed = await client.get(f"{px.url}/")
        assert shed.status_code == 503 and "saturated" in shed.text
        assert (await slow).status_code == 200


async def test_logged_path_cannot_forge_log_lines(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        bound_socket() as sock,
        serve_proxy(ReverseProxy(UpstreamConfig(f"http://127.0.0.1:{sock.getsockname()[1]}"))) as px,
    ):
        r = await client.get(f"{px.url}/a%0D%0Aforged%20line")
    assert r.status_code == 502
    [record] = [rec for rec in caplog.records if rec.name == "wafproxy.proxy"]
    assert "/a%0D%0Aforged%20line" in record.getMessage() and "\n" not in record.getMessage()


async def test_large_upload_with_content_length(client: httpx.AsyncClient, proxy_url: str) -> None:
    """8 MB with Content-Length: streamed through with write flow control, framing preserved."""
    payload = bytes(range(256)) * (8 * 4096)
    r = await client.post(f"{proxy_url}/", content=payload)
    echo = r.json()
    assert header_values(echo, "content-length") == [str(len(payload))]
    assert echo["body"].encode("latin-1") == payload


async def test_no_socket_peer_sends_no_client_address(upstream: RunningServer) -> None:
    """A unix-socket listener has no peer address: nothing to vouch for, so no X-Forwarded-For /
    X-Real-IP (an empty value would read as 'the client is nobody'), and ``for=unknown``."""
    proxy = ReverseProxy(UpstreamConfig(upstream.url))
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [(b"host", b"local")],
        "client": None,
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await proxy(scope, receive, send)
    await proxy.aclose()
    assert sent[0]["status"] == 200
    echo = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert header_values(echo, "x-forwarded-for") == [] and header_values(echo, "x-real-ip") == []
    assert header_values(echo, "forwarded") == ['for=unknown;proto=http;host="local"']


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
    ],
    ids=["content-length", "chunked"],
)
async def test_upstream_dying_mid_body_is_never_a_silent_truncation(
    client: httpx.AsyncClient, head: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    body = b"x" * 5000 if b"content-length" in head else b"1388\r\n" + b"x" * 5000 + b"\r\n"

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await answer(writer, reader, head + body, True)

    async with raw_server(handler) as url, contextlib.AsyncExitStack() as stack:
        px = stack.enter_context(serve_proxy(ReverseProxy(UpstreamConfig(url, read_timeout=5))))
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"{px.url}/")
    assert "failed mid-response" in caplog.text
