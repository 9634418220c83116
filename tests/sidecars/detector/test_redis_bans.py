"""Bans shared through a real redis-server: one process decides, the others refuse within 1 s;
a process starting later loads the bans in force; findings reach the process serving the API."""

from __future__ import annotations

import asyncio
import time

from tests.support.redis import RedisServer
from wafproxy.settings import Settings
from wafproxy.sidecars.detector.observation import Observation
from wafproxy.sidecars.detector.policy import load_policy
from wafproxy.sidecars.detector.wiring import DetectorService, build_detector


def _service(url: str) -> DetectorService:
    settings = Settings(redis=url)
    service = build_detector(settings)
    assert service is not None and service.bus is not None
    return service


async def _until(check, deadline: float = 5.0) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < deadline, "condition not met before the deadline"
        await asyncio.sleep(0.005)
    return time.monotonic() - start


async def test_ban_propagates_and_later_processes_load_it(redis_server: RedisServer) -> None:
    a, b = _service(redis_server.url), _service(redis_server.url)
    assert a.bus is not None and b.bus is not None
    await a.bus.start()
    await b.bus.start()
    try:
        now = time.time()
        for i, path in enumerate(["/.env", "/.git/config", "/backup.sql"]):
            a.detector.observe(Observation(now + i * 0.01, "192.0.2.200", "GET", path, 404, "x"))
        assert a.gate.verdict("192.0.2.200", time.time()) is not None
        took = await _until(lambda: b.gate.verdict("192.0.2.200", time.time()) is not None)
        assert took < 1.0
        # The finding raised by "worker" a is listed by b (the admin process in --workers mode).
        await _until(lambda: len(b.detector.store) == 1)
        assert b.detector.store.all()[0].type == "Recon:Proxy/PathProbe"
        late = _service(redis_server.url)
        assert late.bus is not None
        await late.bus.start()
        try:
            block = late.gate.verdict("192.0.2.200", time.time())
            assert block is not None and block.status == 403
        finally:
            await late.bus.stop()
    finally:
        await a.bus.stop()
        await b.bus.stop()


async def test_redis_down_keeps_local_bans(redis_server: RedisServer) -> None:
    a = _service(redis_server.url)
    assert a.bus is not None
    await a.bus.start()
    redis_server.kill()
    try:
        now = time.time()
        a.detector.observe(Observation(now, "192.0.2.201", "GET", "/", 200, "sqlmap/1.7"))
        assert a.gate.verdict("192.0.2.201", time.time()) is not None
        await _until(lambda: a.bus is not None and a.bus.failures > 0)
    finally:
        await a.bus.stop()


def test_policy_default_is_what_build_detector_uses() -> None:
    service = build_detector(Settings())
    assert service is not None and service.bus is None
    assert service.detector.policy == load_policy()
    assert build_detector(Settings(detector="off")) is None
    dry = build_detector(Settings(detector="dry-run"))
    assert dry is not None and dry.detector.policy.scenarios.path_probe.dry_run


async def test_a_second_start_keeps_the_running_listener(redis_server: RedisServer) -> None:
    """``serve`` starts the service with the data path and at the admin lifespan: one listener."""
    service = _service(redis_server.url)
    assert service.bus is not None
    await service.astart()
    first = service.bus._task
    await service.astart()
    try:
        assert service.bus._task is first and first is not None and not first.done()
    finally:
        await service.aclose()
    assert first.done()
