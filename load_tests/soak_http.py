"""A lean HTTP/1.1 keep-alive client and upstream for the soak's load generation.

Why not httpx and a uvicorn app: measured on the 2-core machine, httpx plus the in-process upstream
cost about three times the proxy's own CPU per request, so the "maximum" the soak calibrates was
the generator's, not the proxy's. Requests here are bytes built once per request, responses are
parsed by httptools (C, the parser uvicorn uses: chunked and Content-Length framing both handled),
and the upstream runs in its own process (``python -m load_tests.soak_http``), a bare asyncio
server answering 200 "ok" to every request.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httptools

REPO = Path(__file__).resolve().parents[1]
RESPONSE_TIMEOUT_S = 30.0
IDLE_EXPIRY_S = 2.0  # below the proxy's 5 s keep-alive timeout: never reuse one it is closing
# The proxy accepts at most 128 connections per peer address (``Limits.max_connections_per_client``)
# and refuses the next ones at accept: the generator, one peer, stays under it (a request waits for
# a free connection, in its measured latency, as a client behind a load balancer would).
MAX_CONNECTIONS = 100


class _Done:
    """httptools callbacks: only the end of the message matters here."""

    def __init__(self) -> None:
        self.complete = False

    def on_message_complete(self) -> None:
        self.complete = True


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.idle_since = time.monotonic()

    async def exchange(self, raw: bytes) -> tuple[int, bool]:
        """Send one request, read its whole response: (status, whether the connection stays open)."""
        self.writer.write(raw)
        done = _Done()
        parser = httptools.HttpResponseParser(done)
        while not done.complete:
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionError("the proxy closed the connection before the response ended")
            parser.feed_data(data)
        self.idle_since = time.monotonic()
        return parser.get_status_code(), parser.should_keep_alive()

    def close(self) -> None:
        self.writer.close()


class Client:
    """Connections to one host:port, reused while fresh (at most ``limit`` open at once)."""

    def __init__(self, host: str, port: int, limit: int = MAX_CONNECTIONS) -> None:
        self.host, self.port = host, port
        self.idle: list[Connection] = []
        self.slots = asyncio.Semaphore(limit)

    def build(self, method: str, path: str, body: Any, headers: dict[str, str]) -> bytes:
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload

    async def request(self, raw: bytes) -> int:
        async with self.slots:
            conn = self._fresh()
            if conn is None:
                conn = Connection(*await asyncio.open_connection(self.host, self.port))
            try:
                async with asyncio.timeout(RESPONSE_TIMEOUT_S):
                    status, keep = await conn.exchange(raw)
            except BaseException:
                conn.close()
                raise
            if keep:
                self.idle.append(conn)
            else:
                conn.close()
            return status

    def _fresh(self) -> Connection | None:
        now = time.monotonic()
        while self.idle:
            conn = self.idle.pop()
            if now - conn.idle_since < IDLE_EXPIRY_S:
                return conn
            conn.close()
        return None

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


class _Upstream(asyncio.Protocol):
    RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport
        self.parser = httptools.HttpRequestParser(self)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    def on_message_complete(self) -> None:
        self.transport.write(self.RESPONSE)


async def _serve_upstream() -> None:
    server = await asyncio.get_running_loop().create_server(_Upstream, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


class UpstreamProcess:
    """The upstream in its own process; ``url`` once it listens."""

    def __enter__(self) -> UpstreamProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "load_tests.soak_http"], cwd=REPO, stdout=subprocess.PIPE
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the port, once bound (the child exits on error: "")
        if not line.strip():
            self.__exit__()
            raise RuntimeError("the soak upstream did not start")
        self.url = f"http://127.0.0.1:{int(line)}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        if self.proc.stdout:
            self.proc.stdout.close()


if __name__ == "__main__":
    asyncio.run(_serve_upstream())
