"""Every bound of docs/operations.md "Bounded resources" hit through the proxy server on loopback:
its answer, nothing of the refused request reaching the upstream, and its counter
(``wafproxy_limit_hits_total{limit}``, read after the server stopped and synced its totals)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry

from tests.server.conftest import Recorder
from tests.server.harness import RunningProxy, proxy_in_thread
from tests.support.servers import RunningServer
from tests.support.wait import until
from wafproxy.observability.limits_metrics import LimitsMetrics

TIGHT = {"max_query_args": 5, "max_cookies": 5, "max_json_depth": 4, "max_json_members": 20,
         "max_multipart_parts": 3, "max_multipart_header_bytes": 200, "max_url_bytes": 2048,
         "max_header_count": 30, "max_header_bytes": 4096, "max_websocket_frame_bytes": 1024}


def hits(registry: CollectorRegistry, limit: str) -> float:
    return registry.get_sample_value("wafproxy_limit_hits_total", {"limit": limit}) or 0.0


def _multipart(parts: int, header: bytes = b"") -> tuple[bytes, dict[str, str]]:
    body = b"".join(b'--b\r\nContent-Disposition: form-data; name="f%d"\r\n%s\r\nv\r\n' % (i, header)
                    for i in range(parts)) + b"--b--\r\n"
    return body, {"content-type": "multipart/form-data; boundary=b"}


JSON = {"content-type": "application/json"}
# (bound, request keywords over the bound, the same within it, status over it)
CASES = [
    ("too_many_query_args", {"params": {f"a{i}": "1" for i in range(6)}},
     {"params": {f"a{i}": "1" for i in range(5)}}, 414),
    ("too_many_cookies", {"headers": {"cookie": "; ".join(f"c{i}=1" for i in range(6))}},
     {"headers": {"cookie": "; ".join(f"c{i}=1" for i in range(5))}}, 431),
    ("json_too_deep", {"content": b"[[[[[1]]]]]", "headers": JSON},
     {"content": b"[[[[1]]]]", "headers": JSON}, 413),
    ("json_too_many_members", {"content": json.dumps({f"k{i}": i for i in range(11)}).encode(),
                               "headers": JSON},
     {"content": json.dumps({f"k{i}": i for i in range(10)}).encode(), "headers": JSON}, 413),
    ("multipart_too_many_parts", dict(zip(("content", "headers"), _multipart(4), strict=True)),
     dict(zip(("content", "headers"), _multipart(3), strict=True)), 413),
    ("multipart_part_header_too_large",
     dict(zip(("content", "headers"), _multipart(1, b"X-Pad: " + b"p" * 200 + b"\r\n"), strict=True)),
     dict(zip(("content", "headers"), _multipart(1, b"X-Pad: p\r\n"), strict=True)), 413),
]


@pytest.fixture
def tight(upstream: tuple[RunningServer, Recorder], acl_path: Path
          ) -> Iterator[tuple[RunningProxy, Recorder, CollectorRegistry]]:
    server, recorder = upstream
    registry = CollectorRegistry()
    with proxy_in_thread(server.url, acl_path, limits=LimitsMetrics(registry), **TIGHT) as running:
        yield running, recorder, registry


@pytest.mark.parametrize(("bound", "over", "within", "status"), CASES, ids=[c[0] for c in CASES])
def test_content_bound_is_refused_before_the_upstream(
    upstream: tuple[RunningServer, Recorder], acl_path: Path, bound: str, over: dict, within: dict,
    status: int,
) -> None:
    server, recorder = upstream
    registry = CollectorRegistry()
    with proxy_in_thread(server.url, acl_path, limits=LimitsMetrics(registry), **TIGHT) as proxy:
        before = len(recorder.paths)
        with httpx.Client(base_url=proxy.url) as client:
            refused = client.post("/refused", **over)
            assert refused.status_code == status, refused.text
            assert refused.headers["cache-control"] == "no-store"
            assert client.post("/fine", **within).status_code == 200
        assert recorder.paths[before:] == [b"/fine"]
        assert proxy.server.ctx.handler.inspector.limit_hits == 1
    assert hits(registry, bound) == 1


def test_head_bounds_answer_414_and_431(tight: tuple[RunningProxy, Recorder, CollectorRegistry]) -> None:
    proxy, recorder, _ = tight
    before = len(recorder.paths)
    with httpx.Client(base_url=proxy.url) as client:
        assert client.get("/" + "u" * 2100).status_code == 414
        assert client.get("/", headers={f"x-h{i}": "v" for i in range(40)}).status_code == 431
        assert client.get("/", headers={"x-big": "v" * 5000}).status_code == 431
    # Past the parse-time cap (URL + headers + 1 KiB, at least 64 KiB) the parser itself answers 431.
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"h" * 70_000 + b"\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 431")
    assert recorder.paths[before:] == []
    handler = proxy.server.ctx.handler
    assert handler.rejections["url_too_long"] == 1
    assert handler.rejections["too_many_headers"] == 1
    assert handler.rejections["headers_too_large"] == 1
    assert proxy.server.ctx.refusals["headers_too_large"] == 1


def test_head_bounds_are_counted(upstream: tuple[RunningServer, Recorder], acl_path: Path) -> None:
    server, _ = upstream
    registry = CollectorRegistry()
    with proxy_in_thread(server.url, acl_path, limits=LimitsMetrics(registry), **TIGHT) as proxy:
        assert httpx.get(proxy.url + "/" + "u" * 2100).status_code == 414
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-F: v\r\n" * 300 + b"\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 431")
    assert hits(registry, "url_too_long") == 1
    assert hits(registry, "too_many_headers") == 1


# ---- websocket frames -------------------------------------------------------------------------

HANDSHAKE = (b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def ws_connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(HANDSHAKE)
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def masked(opcode: int, payload: bytes, declared: int | None = None) -> bytes:
    """A client frame (masked, RFC 6455 §5.3); ``declared``: the length its header claims."""
    n = len(payload) if declared is None else declared
    key = b"\x01\x02\x03\x04"
    length = bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    return bytes([0x80 | opcode]) + length + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def read_frame(sock: socket.socket) -> tuple[int, bytes]:
    head = recv_exactly(sock, 2)
    n = head[1] & 0x7F
    if n == 126:
        n = int.from_bytes(recv_exactly(sock, 2), "big")
    return head[0] & 0x0F, recv_exactly(sock, n)


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        assert chunk, f"closed after {out!r}"
        out += chunk
    return out


def test_websocket_frame_over_the_bound_closes_1009(
    tight: tuple[RunningProxy, Recorder, CollectorRegistry]
) -> None:
    proxy, _, _ = tight
    with ws_connect(proxy.port) as sock:
        sock.sendall(masked(0x1, b"x" * 1000))  # within 1024: relayed
        assert read_frame(sock) == (0x1, b"echo:" + b"x" * 1000)
        sock.sendall(masked(0x2, b"y" * 100, declared=2000))  # claims 2000 bytes: refused on its header
        assert read_frame(sock) == (0x8, (1009).to_bytes(2, "big"))
        assert sock.recv(100) == b""
    assert proxy.server.ctx.refusals["websocket_frame_too_large"] == 1


# ---- connection times ---------------------------------------------------------------------------

def test_idle_keep_alive_connection_is_closed_and_counted(
    upstream: tuple[RunningServer, Recorder], acl_path: Path
) -> None:
    server, _ = upstream
    registry = CollectorRegistry()
    limits = LimitsMetrics(registry)
    with proxy_in_thread(server.url, acl_path, limits=limits, keep_alive_timeout=0.3) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=30) as sock:
            sock.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while b"upstream:0" not in answer:
                answer += sock.recv(65536)
            assert sock.recv(100) == b""  # closed by the server once idle (the recv waits for it)
        until(lambda: proxy.server.ctx.refusals["idle_timeout"] == 1, what="idle close counted")
    assert hits(registry, "idle_timeout") == 1


def test_connection_lifetime_ends_a_websocket_with_1001(
    upstream: tuple[RunningServer, Recorder], acl_path: Path
) -> None:
    server, _ = upstream
    registry = CollectorRegistry()
    limits = LimitsMetrics(registry)
    with proxy_in_thread(server.url, acl_path, limits=limits, max_connection_seconds=3.0) as proxy:
        with ws_connect(proxy.port) as sock:
            sock.sendall(masked(0x1, b"hi"))
            assert read_frame(sock) == (0x1, b"echo:hi")
            sock.settimeout(60)
            # No more traffic: the lifetime, not idleness, ends it (a going-away close frame).
            assert read_frame(sock) == (0x8, (1001).to_bytes(2, "big"))
            assert sock.recv(100) == b""
        # A keep-alive HTTP connection that keeps asking is cut at its lifetime too.
        with httpx.Client(base_url=proxy.url) as client:
            first = client.get("/a")
            assert first.status_code == 200
            until(lambda: proxy.server.ctx.refusals["connection_lifetime"] == 2,
                  what="the keep-alive connection closed at its lifetime")
    assert hits(registry, "connection_lifetime") == 2


def test_head_and_body_timeouts_are_counted(upstream: tuple[RunningServer, Recorder], acl_path: Path) -> None:
    server, _ = upstream
    registry = CollectorRegistry()
    limits = LimitsMetrics(registry)
    with proxy_in_thread(server.url, acl_path, limits=limits, header_timeout=0.3, body_timeout=0.3) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=30) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never ends its head
            assert sock.recv(100).startswith(b"HTTP/1.1 408")
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=30) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")  # 8 bytes missing
            assert sock.recv(100).startswith(b"HTTP/1.1 408")
    assert hits(registry, "header_timeout") == 1
    assert hits(registry, "body_timeout") == 1
