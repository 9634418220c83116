"""Every per-key table a flood of distinct client addresses fills holds its cap: more keys inserted
than the cap, ``len()`` never above it. The long version, 1,000,000 addresses through a real
``wafproxy serve`` with its RSS, is ``load_tests/bench_address_flood.py`` (docs/operations.md)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import Recorder
from tests.server.harness import RunningProxy, proxy_in_thread
from tests.support.servers import RunningServer
from tests.support.wait import until
from wafproxy.asgi.flood import FloodGuard, FloodSettings
from wafproxy.asgi.limits import ShieldLimits
from wafproxy.asgi.shield import ShieldMiddleware
from wafproxy.engine.ratecheck import RateCheck
from wafproxy.sidecars.detector.actors import ActorTable
from wafproxy.stores.memory import MemoryRateStore

CAP = 100
KEYS = 1000  # ten times the cap


def addresses(n: int) -> Iterator[str]:
    for i in range(n):
        yield f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"


def test_rate_store_keys_per_rule() -> None:
    store = MemoryRateStore(max_keys=CAP)
    for i, ip in enumerate(addresses(KEYS)):
        store.decide(RateCheck("rule", ip, limit=10, window_seconds=60), 1000.0 + i / KEYS)
        assert len(store._tables["rule"]) <= CAP
    assert len(store._tables["rule"]) > CAP // 2  # really used up to its cap, not emptied


def test_flood_guard_tables() -> None:
    guard = FloodGuard(FloodSettings(max_keys_per_second=CAP))
    for second in range(3):  # within a second (``_counts``), and learned across seconds (``_known``)
        for ip in addresses(KEYS):
            guard.check(ip, "same-signature", 1000.0 + second)
            assert len(guard._counts) <= CAP + 1  # ip keys + the one signature
    assert len(guard._known) <= CAP
    assert len(guard.rules) <= guard.settings.max_rules


def test_detector_actor_table() -> None:
    table = ActorTable(CAP)
    for i, ip in enumerate(addresses(KEYS)):
        table.touch(ip, ip, float(i))
        assert len(table) <= CAP
    assert table.evicted == KEYS - CAP


def test_shield_in_flight_table_refuses_a_new_client_when_full() -> None:
    """Requests held in the app from ``CAP`` clients: the next client is refused (503), the table
    never grows past the cap, and it empties when they finish."""
    release = asyncio.Event()
    all_in = asyncio.Event()
    inside = [0]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        inside[0] += 1
        if inside[0] == CAP:
            all_in.set()
        await release.wait()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    shield = ShieldMiddleware(app, limits=ShieldLimits(max_tracked_clients=CAP),
                              client_ip=lambda scope: scope["client"][0])

    async def one(ip: str) -> int:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        scope = {"type": "http", "method": "GET", "path": "/", "raw_path": b"/", "query_string": b"",
                 "headers": [], "client": (ip, 1)}
        await shield(scope, receive, send)
        return int(sent[0]["status"])

    async def flood() -> list[int]:
        held = [asyncio.create_task(one(ip)) for ip in addresses(CAP)]
        await all_in.wait()
        extra = [await one("192.0.2.1")]  # a new client while the table is full: refused at once
        assert len(shield._in_flight) == CAP
        release.set()
        return [*await asyncio.gather(*held), *extra]

    statuses = asyncio.run(flood())
    assert statuses[-1] == 503 and statuses[:-1] == [204] * CAP
    assert shield._in_flight == {}


@pytest.fixture
def small_tables(upstream: tuple[RunningServer, Recorder], acl_path: Path) -> Iterator[RunningProxy]:
    server, _ = upstream
    with proxy_in_thread(server.url, acl_path, shield=ShieldLimits(max_tracked_clients=3)) as running:
        yield running


def test_server_connection_table_is_capped_at_accept(small_tables: RunningProxy) -> None:
    """Connections from 127.0.0.2-5 (all loopback): the fourth distinct client is closed at accept."""
    proxy = small_tables
    held: list[socket.socket] = []
    try:
        for n in range(2, 5):
            sock = socket.create_connection(("127.0.0.1", proxy.port), source_address=(f"127.0.0.{n}", 0))
            held.append(sock)
        until(lambda: len(proxy.server.ctx.per_client) == 3, what="three clients tracked")
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=10,
                                      source_address=("127.0.0.5", 0)) as extra:
            assert extra.recv(100) == b""  # closed at accept
        assert len(proxy.server.ctx.per_client) == 3
        assert proxy.server.ctx.refusals["too_many_connections"] == 1
    finally:
        for sock in held:
            sock.close()
    until(lambda: not proxy.server.ctx.per_client, what="the table emptied")
