"""A 50 MB response through the proxy: streamed, never buffered.

Everything runs in this process (upstream and proxy in uvicorn threads, the client in the test's
loop), so tracemalloc sees every Python allocation of all three. A proxy that buffered the body
would allocate at least 50 MB; flow control keeps the peak to socket-buffer-sized chunks.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc

import httpx

from tests.asgi.test_upstream import EchoApp
from tests.support.servers import uvicorn_in_thread
from wafproxy.asgi.proxy import ReverseProxy
from wafproxy.asgi.upstream import UpstreamConfig

SIZE = 50 * 1024 * 1024


async def test_50mb_response_streams_with_bounded_memory() -> None:
    echo = EchoApp()
    with (
        uvicorn_in_thread(echo) as up,
        uvicorn_in_thread(ReverseProxy(UpstreamConfig(up.url)), lifespan="on") as px,
    ):
        async with httpx.AsyncClient(timeout=60) as client:
            tracemalloc.start()
            try:
                received = 0
                upstream_done_at_first_byte = None
                async with client.stream("GET", f"{px.url}/stream?size={SIZE}") as r:
                    assert r.headers["content-length"] == str(SIZE)
                    async for chunk in r.aiter_raw():
                        if upstream_done_at_first_byte is None:
                            upstream_done_at_first_byte = echo.stream_done.is_set()
                        received += len(chunk)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert received == SIZE
    assert upstream_done_at_first_byte is False  # first bytes came while the upstream was still sending
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB: the body was buffered"


async def test_client_leaving_mid_stream_stops_the_upstream_read() -> None:
    """The client reads a little of a huge response and disconnects: the proxy must stop pulling
    from the upstream and close that connection, instead of draining 50 MB into the void (uvicorn
    silently drops sends to a gone client) and parking the connection back in the pool."""
    with uvicorn_in_thread(EchoApp()) as up:
        proxy = ReverseProxy(UpstreamConfig(up.url))
        [pool] = proxy.pools
        with uvicorn_in_thread(proxy, lifespan="on") as px:
            async with httpx.AsyncClient(timeout=60) as client:
                async with client.stream("GET", f"{px.url}/stream?size={SIZE}") as r:
                    async for _ in r.aiter_raw():
                        break
            deadline = time.monotonic() + 10
            while pool.open_connections and time.monotonic() < deadline:  # noqa: ASYNC110 (state of another thread)
                await asyncio.sleep(0.05)
            assert pool.open_connections == 0
