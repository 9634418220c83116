"""Issue 5 end to end: three ``wafproxy serve`` processes share one rate limit through a real
redis-server; refusals are 429 with Retry-After; metrics carry the limits' series."""

from __future__ import annotations

import contextlib
import copy
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.asgi.test_middleware import RATE_RULE, acl_document
from tests.support.redis import RedisServer
from tests.support.servers import RunningServer, free_port, uvicorn_in_thread, wafproxy_process
from tests.support.wait import DEADLINE

LIMIT = 20
WINDOW = 60  # longer than the whole test: every request falls in one window
PER_PROCESS = 30


@pytest.fixture
def upstream() -> Iterator[tuple[RunningServer, list[str]]]:
    seen: list[str] = []

    async def anything(request: Request) -> Response:
        seen.append(request.url.path)
        return Response(b"ok")

    app = Starlette(routes=[Route("/{p:path}", anything, methods=["GET"])])
    with uvicorn_in_thread(app, http="httptools") as server:
        yield server, seen


@pytest.fixture
def rate_acl(tmp_path: Path) -> Path:
    rule = copy.deepcopy(RATE_RULE)
    rule["Statement"]["RateBasedStatement"].update(Limit=LIMIT, EvaluationWindowSec=WINDOW)
    path = tmp_path / "rate.json"
    path.write_text(json.dumps(acl_document([rule])))
    return path


@contextlib.contextmanager
def proxies(n: int, *args: str) -> Iterator[list[tuple[int, int]]]:
    with contextlib.ExitStack() as stack:
        out = []
        for _ in range(n):
            port, admin = free_port(), free_port()
            stack.enter_context(wafproxy_process(
                "serve", "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}", *args,
                wait_ports=(port, admin),
            ))
            out.append((port, admin))
        yield out


def _hammer(ports: list[int]) -> dict[int, list[httpx.Response]]:
    """One thread per proxy, ``PER_PROCESS`` requests each, all at once."""
    results: dict[int, list[httpx.Response]] = {p: [] for p in ports}
    start = threading.Barrier(len(ports))

    def run(port: int) -> None:
        with httpx.Client(timeout=DEADLINE) as client:
            start.wait()
            for _ in range(PER_PROCESS):
                results[port].append(client.get(f"http://127.0.0.1:{port}/api/x"))

    threads = [threading.Thread(target=run, args=(p,)) for p in ports]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_three_processes_share_one_limit_through_redis(
    redis_server: RedisServer, upstream: tuple[RunningServer, list[str]], rate_acl: Path
) -> None:
    server, seen = upstream
    args = ("--upstream", server.url, "--acl", str(rate_acl), "--redis", redis_server.url, "--hosts", "3")
    with proxies(3, *args) as running:
        results = _hammer([port for port, _ in running])
        metrics = httpx.get(f"http://127.0.0.1:{running[0][1]}/metrics", timeout=DEADLINE).text
    codes = [r.status_code for rs in results.values() for r in rs]
    assert set(codes) <= {200, 429}
    allowed = codes.count(200)
    # The whole run lies in one window: allowed in any window == allowed in all. The issue asks
    # <= 1.05 L; the Redis scripts are exact, so exactly L get through (refusals are not counted).
    assert allowed <= 1.05 * LIMIT
    assert allowed == LIMIT
    assert len([p for p in seen if p == "/api/x"]) == LIMIT  # refused ones never reached the upstream
    refused = [r for rs in results.values() for r in rs if r.status_code == 429]
    waits = sorted({int(r.headers["retry-after"]) for r in refused})
    assert refused and 1 <= waits[0] and waits[-1] <= WINDOW + 2, waits  # ring: up to one bucket (2 s) late
    assert "wafproxy_rate_store_fallbacks_total 0.0" in metrics  # Redis answered every time


def test_without_redis_each_process_counts_alone(
    upstream: tuple[RunningServer, list[str]], rate_acl: Path
) -> None:
    """The control: the same run with per-process memory lets L through per process."""
    server, _ = upstream
    with proxies(3, "--upstream", server.url, "--acl", str(rate_acl)) as running:
        results = _hammer([port for port, _ in running])
    for responses in results.values():
        assert [r.status_code for r in responses].count(200) == LIMIT


def test_redis_down_falls_back_to_a_local_share_and_says_so(
    redis_server: RedisServer, upstream: tuple[RunningServer, list[str]], rate_acl: Path
) -> None:
    """Redis killed mid-run: the proxy keeps serving with limit // (workers x hosts) locally, and
    the metrics show the fallback (``on_state_change`` and ``fallback_hits`` wired)."""
    server, _ = upstream
    args = ("--upstream", server.url, "--acl", str(rate_acl), "--redis", redis_server.url, "--hosts", "4")
    with proxies(1, *args) as [(port, admin)]:
        with httpx.Client(timeout=DEADLINE) as client:
            assert client.get(f"http://127.0.0.1:{port}/api/x").status_code == 200
            redis_server.kill()
            codes = [client.get(f"http://127.0.0.1:{port}/api/x").status_code for _ in range(10)]
            assert codes == [200] * (LIMIT // 4) + [429] * (10 - LIMIT // 4)
            deadline = time.monotonic() + 30
            while True:  # the hit counts are synced every 2 s; waiting, not timing
                text = client.get(f"http://127.0.0.1:{admin}/metrics").text
                if "wafproxy_rate_store_fallback_hits_total 10.0" in text:
                    break
                assert time.monotonic() < deadline, text
                time.sleep(0.1)
    assert "wafproxy_rate_store_fallbacks_total 1.0" in text
    assert "wafproxy_rate_store_available 0.0" in text


def test_workers_of_one_process_share_the_limit_through_redis(
    redis_server: RedisServer, upstream: tuple[RunningServer, list[str]], rate_acl: Path
) -> None:
    """--workers 3 --redis: one limit for every worker (and the shield + flood guard wired)."""
    server, seen = upstream
    args = ("--upstream", server.url, "--acl", str(rate_acl), "--redis", redis_server.url, "--workers", "3",
            "--flood-mitigation")
    with proxies(1, *args) as [(port, admin)]:
        codes = []
        for _ in range(2 * LIMIT):  # a new connection each time: the kernel spreads them over workers
            with httpx.Client(timeout=DEADLINE) as client:
                codes.append(client.get(f"http://127.0.0.1:{port}/api/x").status_code)
        metrics = httpx.get(f"http://127.0.0.1:{admin}/metrics", timeout=DEADLINE).text
    assert codes == [200] * LIMIT + [429] * LIMIT
    assert len([p for p in seen if p == "/api/x"]) == LIMIT
    assert "wafproxy_open_connections" in metrics
