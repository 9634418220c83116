"""A message after the complete response to one request poisons the upstream connection, whatever it is.

The check runs when llhttp starts the extra message (``UpstreamConnection.on_message_begin``),
not when its head ends: an interim (1xx) message, a bodiless 204 and a head that never ends
(which would leave llhttp mid-message on a pooled connection) are all caught.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.asgi.test_upstream import raw_server
from wafproxy.asgi.upstream import UpstreamConfig, UpstreamPool

FIRST = b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nA"
EXTRAS = {
    "final": b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nB",
    "interim": b"HTTP/1.1 100 Continue\r\n\r\n",
    "no-content": b"HTTP/1.1 204 No Content\r\n\r\n",
    "head-only": b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n",
}


@pytest.mark.parametrize("extra", EXTRAS.values(), ids=EXTRAS.keys())
async def test_extra_message_after_the_response_is_never_reused(extra: bytes) -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(FIRST + extra)

    async with raw_server(handler) as url:
        pool = UpstreamPool(UpstreamConfig(url, read_timeout=5))
        for _ in range(3):
            assert await (await pool.request("GET", "/", [], b"")).aread() == b"A"
        assert connections == 3  # each answer came with garbage: a fresh connection every time
        await pool.aclose()


async def test_a_clean_response_keeps_its_connection() -> None:
    """The control: the same server without the extra message reuses its one connection."""
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(FIRST)

    async with raw_server(handler) as url:
        pool = UpstreamPool(UpstreamConfig(url, read_timeout=5))
        for _ in range(3):
            assert await (await pool.request("GET", "/", [], b"")).aread() == b"A"
        assert connections == 1
        await pool.aclose()
