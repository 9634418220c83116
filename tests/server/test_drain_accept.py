"""A connection the kernel handed to a worker just as it began to drain is still answered.

The loop accepts it (the listening socket was readable) in the same turn as the drain starts, but
its ``connection_made`` runs one callback later: a drain that counted the connections before that
saw none, returned, and the worker exited with the connection open and its request unanswered
(a SIGHUP roll under load: ``RemoteDisconnected`` at the client; here, in one process, a 502 once
the upstream pool is closed).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.server.conftest import Recorder
from tests.server.harness import exchange, proxy_in_thread, responses, statuses
from tests.support.servers import RunningServer


def _until(predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        time.sleep(0.01)


def test_a_connection_accepted_as_the_drain_begins_is_answered(
    upstream: tuple[RunningServer, Recorder], acl_path: Path
) -> None:
    server, _ = upstream
    with proxy_in_thread(server.url, acl_path) as running:
        # Serving, and no connection left (the drain must see none but the late one).
        warm = exchange(running.port, b"GET /w HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        assert statuses(warm) == [200]
        _until(lambda: not running.server.ctx.connections)
        held, release = threading.Event(), threading.Event()

        def hold_the_loop() -> None:
            held.set()
            release.wait(10)  # meanwhile the kernel queues the client's connection and request
            running.server.should_exit = True  # the drain's turn comes before the accept's callback

        running.loop.call_soon_threadsafe(hold_the_loop)
        assert held.wait(10)
        with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
            sock.sendall(b"GET /slow?s=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
            release.set()
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
    (status, head, _), = responses(answer)
    assert status == 200 and b"connection: close" in head.lower()
