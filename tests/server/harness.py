"""The proxy server in a background thread (its own uvloop loop) on an ephemeral loopback port,
in front of a real upstream; raw-socket helpers for what no HTTP client will send."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvloop

from wafproxy.asgi.limits import ShieldLimits
from wafproxy.server.datapath import build_proxy
from wafproxy.server.runner import ProxyServer
from wafproxy.settings import Settings, UpstreamRoute


@dataclasses.dataclass
class RunningProxy:
    port: int
    server: ProxyServer
    loop: asyncio.AbstractEventLoop
    data: Any

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        def flag() -> None:
            self.server.should_exit = True

        self.loop.call_soon_threadsafe(flag)


@contextlib.contextmanager
def proxy_in_thread(upstream_url: str, acl: Path, *, shield: ShieldLimits | None = None,
                    **settings: Any) -> Iterator[RunningProxy]:
    gate = settings.pop("gate", None)
    limits = settings.pop("limits", None)  # a LimitsMetrics: the bounds' counters
    config = Settings(upstreams=(UpstreamRoute(upstream_url),), acl=acl, **settings)
    data, server = build_proxy(config, shield=shield, gate=gate, limits=limits)
    sock = socket.create_server(("127.0.0.1", 0))
    loop = uvloop.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve([sock]),), daemon=True)
    thread.start()
    running = RunningProxy(sock.getsockname()[1], server, loop, data)
    try:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", running.port), timeout=5).close()
        yield running
    finally:
        running.stop()
        thread.join(timeout=30)
        loop.close()
        sock.close()


def exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send ``data`` on a fresh connection; everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        out = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := sock.recv(65536):
                out += chunk
    return out


def responses(answer: bytes) -> list[tuple[int, bytes, bytes]]:
    """(status, head, body) of each response in ``answer``, in order (bodies by Content-Length)."""
    out: list[tuple[int, bytes, bytes]] = []
    while answer.startswith(b"HTTP/1.1 "):
        head, _, rest = answer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        out.append((int(head[9:12]), head, rest[:length]))
        answer = rest[length:]
    return out


def statuses(answer: bytes) -> list[int]:
    return [status for status, _, _ in responses(answer)]
