"""``--workers N`` spreads connections: one ``SO_REUSEPORT`` listening socket per worker slot.

On one shared socket the worker that woke first accepted a whole burst of connections (wrk's 50:
50 to one worker, none to the other) and kept them. Here a burst of new connections is served by
both workers, a SIGHUP roll refuses or resets none of the connections opened while it runs, new
connections avoid a slot whose worker is gone, and an address already served by another process's
group is still refused.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from load_tests.worker_share import connections_by_pid, worker_pids
from tests.server.conftest import Recorder
from tests.support.servers import RunningServer, free_port, wafproxy_process
from wafproxy.cli import ListenError, listen_socket
from wafproxy.server.reuseport import listen_slots, steer
from wafproxy.settings import HostPort

BURST = 40
FAIR_SHARE_FLOOR = 5  # of 40 to each of 2 workers: a fair hash gives fewer with probability ~1e-7


def _until(predicate: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        time.sleep(0.05)


def _serve_args(server: RunningServer, acl_path: Path, port: int, admin: int) -> tuple[str, ...]:
    return ("serve", "--upstream", server.url, "--acl", str(acl_path), "--workers", "2",
            "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}")


def _until_both_serve(parent: int, port: int) -> None:
    """Until each worker has answered a request on a connection it still holds (it loaded the ACL)."""
    clients: list[http.client.HTTPConnection] = []

    def both_answered() -> bool:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        clients.append(client)
        client.request("GET", "/w")
        client.getresponse().read()
        held = connections_by_pid(worker_pids(parent), port)
        return len(held) == 2 and min(held.values()) > 0

    try:
        _until(both_answered)
    finally:
        for client in clients:
            client.close()


def test_a_burst_of_new_connections_is_served_by_both_workers(
    upstream: tuple[RunningServer, Recorder], acl_path: Path
) -> None:
    server, _ = upstream
    port, admin = free_port(), free_port()
    with wafproxy_process(*_serve_args(server, acl_path, port, admin), wait_ports=(port, admin)) as proc:
        _until(lambda: len(worker_pids(proc.pid)) == 2)
        clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(BURST)]
        try:
            for client in clients:  # all connected before any request: a burst, as wrk opens them
                client.connect()
            for client in clients:
                client.request("GET", "/w")
            responses = [client.getresponse() for client in clients]
            assert [response.status for response in responses] == [200] * BURST
            for response in responses:
                response.read()
            # Every connection is answered and kept alive: each is now held by the worker that
            # accepted it.
            held = connections_by_pid(worker_pids(proc.pid), port)
        finally:
            for client in clients:
                client.close()
    assert sum(held.values()) == BURST, held
    assert len(held) == 2 and min(held.values()) >= FAIR_SHARE_FLOOR, held


def test_sighup_roll_loses_no_new_connection(
    upstream: tuple[RunningServer, Recorder], acl_path: Path
) -> None:
    """Each request on a new connection, from two threads, while both workers are replaced: the new
    worker of a slot accepts on the socket its predecessor leaves, so nothing queued is reset."""
    server, _ = upstream
    port, admin = free_port(), free_port()
    statuses: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                client.request("GET", "/w", headers={"Connection": "close"})
                statuses.append(client.getresponse().status)
            except OSError as exc:  # refused, reset: a dropped connection
                errors.append(exc)
            finally:
                client.close()

    with wafproxy_process(*_serve_args(server, acl_path, port, admin), wait_ports=(port, admin)) as proc:
        _until(lambda: len(worker_pids(proc.pid)) == 2)
        threads = [threading.Thread(target=load) for _ in range(2)]
        for thread in threads:
            thread.start()
        try:
            _until(lambda: len(statuses) >= 20)
            before = set(worker_pids(proc.pid))
            os.kill(proc.pid, signal.SIGHUP)
            _until(lambda: not before & set(worker_pids(proc.pid)) and len(worker_pids(proc.pid)) == 2)
            served = len(statuses)
            _until(lambda: len(statuses) >= served + 20)  # the new workers serve
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    assert errors == []
    assert statuses and set(statuses) == {200}


def test_a_dead_worker_that_cannot_be_replaced_leaves_its_connections_to_the_other(
    upstream: tuple[RunningServer, Recorder], acl_path: Path, tmp_path: Path
) -> None:
    """The ACL file is broken, then a worker is killed: its replacement cannot start (it exits 2,
    retried every few seconds), and every new connection is answered by the surviving worker
    (without steering, the ones hashed to the dead worker's socket would wait there)."""
    server, _ = upstream
    acl = tmp_path / "acl.json"
    acl.write_bytes(acl_path.read_bytes())
    port, admin = free_port(), free_port()
    with wafproxy_process(*_serve_args(server, acl, port, admin), wait_ports=(port, admin)) as proc:
        _until_both_serve(proc.pid, port)  # a worker still starting would read the broken file
        first = set(worker_pids(proc.pid))
        acl.write_text("{not json")
        victim, survivor = sorted(first)
        os.kill(victim, signal.SIGKILL)
        # A replacement attempt is started only after the dead one is reaped (and steered away from).
        _until(lambda: bool(set(worker_pids(proc.pid)) - first))
        statuses = []
        for _ in range(BURST):
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                client.request("GET", "/w", headers={"Connection": "close"})
                statuses.append(client.getresponse().status)
            finally:
                client.close()
        assert statuses == [200] * BURST
        assert survivor in worker_pids(proc.pid)
        acl.write_bytes(acl_path.read_bytes())  # repaired: the next attempt serves
        _until(lambda: len(worker_pids(proc.pid)) == 2 and victim not in worker_pids(proc.pid))


def test_steer_sends_new_connections_to_the_live_slots_only() -> None:
    first = listen_socket(HostPort("127.0.0.1", 0), "--listen", reuse_port=True)
    slots = listen_slots(first, 3)
    clients = []
    try:
        steer(slots, [0, 2])
        clients = [socket.create_connection(first.getsockname(), timeout=10) for _ in range(BURST)]
        queued = []
        for sock in slots:
            sock.setblocking(False)
            accepted = 0
            while True:
                try:
                    conn, _ = sock.accept()
                except BlockingIOError:
                    break
                conn.close()
                accepted += 1
            queued.append(accepted)
        assert queued[1] == 0 and queued[0] + queued[2] == BURST, queued
    finally:
        for sock in clients + slots:
            sock.close()


def test_listen_slots_bind_one_socket_per_worker_on_one_address() -> None:
    first = listen_socket(HostPort("127.0.0.1", 0), "--listen", reuse_port=True)
    slots = listen_slots(first, 3)
    try:
        assert len(set(slots)) == 3 and slots[0] is first
        assert {s.getsockname() for s in slots} == {first.getsockname()}
        assert all(s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) for s in slots)
    finally:
        for sock in slots:
            sock.close()


def test_a_socket_without_reuse_port_is_shared_by_every_slot() -> None:
    plain = listen_socket(HostPort("127.0.0.1", 0), "--listen")
    try:
        assert listen_slots(plain, 2) == [plain, plain]
    finally:
        plain.close()


def test_an_address_another_group_serves_is_still_refused() -> None:
    """A second ``wafproxy serve --workers`` on a taken port stops with the clear error; it does not
    join the first one's group and share its connections."""
    other = socket.create_server(("127.0.0.1", 0), reuse_port=True)
    try:
        with pytest.raises(ListenError, match="--listen"):
            listen_socket(HostPort("127.0.0.1", other.getsockname()[1]), "--listen", reuse_port=True)
    finally:
        other.close()
