"""Redis frozen (``SIGSTOP``: connections accepted, never answered) and killed under concurrent
load through a real ``wafproxy serve --redis``: rate-based rules fall back to the local share
within ``--redis-timeout``, no request waits on Redis for longer, and the limits are shared again
once Redis answers (``SIGCONT``) or is back (restarted on its port). ``tests/stores/test_redis.py``
covers the store alone; ``test_integration_ratelimit.py`` the exact local share after a kill."""

from __future__ import annotations

import copy
import json
import signal
import socket
import threading
import time
from pathlib import Path

import httpx

from tests.asgi.test_middleware import RATE_RULE, acl_document
from tests.support.redis import RedisServer
from tests.support.servers import RunningServer, free_port, uvicorn_in_thread, wafproxy_process
from tests.support.wait import DEADLINE, until
from tests.test_integration_control import upstream_app

THREADS = 8
PER_THREAD = 10
REDIS_TIMEOUT = 0.2
# Generous for 2 shared cores; a request waiting on the frozen Redis would wait forever (then the
# client's 60 s timeout), so this bound only tells "bounded by the timeout" from "hung".
LATENCY_BOUND = 15.0


def load(port: int) -> tuple[list[int], float]:
    """THREADS clients at once, PER_THREAD requests each: their statuses and the slowest time."""
    codes: list[int] = []
    slowest = 0.0
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def run() -> None:
        nonlocal slowest
        with httpx.Client(timeout=DEADLINE) as client:
            start.wait()
            for _ in range(PER_THREAD):
                t0 = time.monotonic()
                status = client.get(f"http://127.0.0.1:{port}/api/x").status_code
                took = time.monotonic() - t0
                with lock:
                    codes.append(status)
                    slowest = max(slowest, took)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE * 2)
    return codes, slowest


def gauge(admin: int) -> str:
    text = httpx.get(f"http://127.0.0.1:{admin}/metrics", timeout=DEADLINE).text
    return next((ln for ln in text.splitlines() if ln.startswith("wafproxy_rate_store_available ")), "")


def redis_keys(redis: RedisServer) -> int:
    with socket.create_connection(("127.0.0.1", redis.port), timeout=5) as sock:
        sock.sendall(b"DBSIZE\r\n")
        return int(sock.recv(64).strip()[1:])


def flush(redis: RedisServer) -> None:
    with socket.create_connection(("127.0.0.1", redis.port), timeout=5) as sock:
        sock.sendall(b"FLUSHALL\r\n")
        assert sock.recv(64).startswith(b"+OK")


def test_frozen_then_killed_redis_under_load(redis_server: RedisServer, tmp_path: Path) -> None:
    rule = copy.deepcopy(RATE_RULE)
    rule["Statement"]["RateBasedStatement"].update(Limit=100000, EvaluationWindowSec=60)
    (tmp_path / "acl.json").write_text(json.dumps(acl_document([rule])))
    port, admin = free_port(), free_port()
    with uvicorn_in_thread(upstream_app) as upstream:
        assert isinstance(upstream, RunningServer)
        args = ("serve", "--upstream", upstream.url, "--acl", str(tmp_path / "acl.json"),
                "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                "--redis", redis_server.url, "--redis-timeout", str(REDIS_TIMEOUT))
        with wafproxy_process(*args, wait_ports=(port, admin)):
            codes, _ = load(port)
            assert codes == [200] * THREADS * PER_THREAD and redis_keys(redis_server) > 0
            assert gauge(admin).endswith(" 1.0")

            assert redis_server.proc is not None
            redis_server.proc.send_signal(signal.SIGSTOP)  # alive, accepting, never answering
            try:
                codes, slowest = load(port)
                assert codes == [200] * THREADS * PER_THREAD  # served from the local share
                assert slowest < LATENCY_BOUND, slowest
                until(lambda: gauge(admin).endswith(" 0.0"), what="the store reported down")
            finally:
                redis_server.proc.send_signal(signal.SIGCONT)
            flush(redis_server)
            # Retried at most once a second: requests bring the shared counts back.
            until(lambda: load(port)[0] and redis_keys(redis_server) > 0, what="counting in Redis again")
            until(lambda: gauge(admin).endswith(" 1.0"), what="the store reported available")

            redis_server.kill()
            codes, slowest = load(port)
            assert codes == [200] * THREADS * PER_THREAD and slowest < LATENCY_BOUND, slowest
            until(lambda: gauge(admin).endswith(" 0.0"), what="the store reported down")
            redis_server.start()  # the same port, empty
            until(lambda: load(port)[0] and redis_keys(redis_server) > 0, what="counting in Redis again")
            until(lambda: gauge(admin).endswith(" 1.0"), what="the store reported available")
