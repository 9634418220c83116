"""``--workers N`` on our server: a worker that dies is replaced, SIGHUP rolls them with no request
dropped, SIGTERM drains them."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx

from tests.server.conftest import Recorder
from tests.support.servers import RunningServer, free_port, wafproxy_process


def _workers(parent: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"wafproxy.server.worker" in cmdline:
                found.add(int(entry))
    return found


def _until(predicate: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_dead_worker_is_replaced_and_sighup_rolls_without_dropping_requests(
    upstream: tuple[RunningServer, Recorder], acl_path: Path
) -> None:
    server, _ = upstream
    port, admin = free_port(), free_port()
    args = ("serve", "--upstream", server.url, "--acl", str(acl_path), "--workers", "2",
            "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}")
    url = f"http://127.0.0.1:{port}/w"
    with wafproxy_process(*args, wait_ports=(port, admin)) as proc:
        _until(lambda: len(_workers(proc.pid)) == 2)
        assert httpx.get(url, timeout=30).status_code == 200
        first = _workers(proc.pid)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        _until(lambda: len(_workers(proc.pid)) == 2 and victim not in _workers(proc.pid))

        codes: list[int] = []
        errors: list[BaseException] = []
        stop = threading.Event()

        def load() -> None:
            with httpx.Client(timeout=30) as client:
                while not stop.is_set():
                    try:
                        codes.append(client.get(url).status_code)
                    except httpx.HTTPError as exc:
                        errors.append(exc)

        thread = threading.Thread(target=load)
        thread.start()
        try:
            before = _workers(proc.pid)
            os.kill(proc.pid, signal.SIGHUP)
            _until(lambda: len(_workers(proc.pid) - before) == 2 and len(_workers(proc.pid)) == 2)
        finally:
            stop.set()
            thread.join()
        assert codes and set(codes) == {200}
        assert errors == []  # no request dropped while the workers were replaced
        proc.terminate()
        assert proc.wait(timeout=40) == 0
        assert _workers(proc.pid) == set()
