"""``--workers N``: N server processes, one listening socket each, supervised from the parent.

Each worker is a fresh interpreter (``python -m wafproxy.server.worker``), not a fork: the parent
runs the admin listener in a thread, and forking a threaded process can inherit held locks. The
listening sockets are passed by file descriptor: worker slot ``i`` always serves socket ``i`` of
one ``SO_REUSEPORT`` group (``server.reuseport``: the kernel spreads new connections over the
workers; on one shared socket the first worker to wake took a whole burst), and the parent keeps
them all open. A worker says it is serving by writing one byte on a pipe; one that exits before
that (an invalid web ACL: it logs why and exits 2) never replaces anything.

- all N start at once; a worker that dies, or could not start, is replaced (at most one attempt
  every ``RESPAWN_BACKOFF`` seconds), and its live metrics files dropped (``mark_process_dead``);
  until its slot has a worker again, new connections go to the other slots (``reuseport.steer``);
- SIGHUP replaces the workers one at a time, each new one serving (on its predecessor's socket)
  before its predecessor gets SIGTERM and drains: no request is dropped, nothing queued is reset,
  and a broken ACL stops the roll with the running workers untouched;
- SIGTERM / SIGINT: every worker drains (up to its grace period), then the parent returns.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from wafproxy.server.reuseport import listen_slots, steer

logger = logging.getLogger("wafproxy.cli")

READY_TIMEOUT = 600.0  # a cold hyperscan cache compiles for minutes on small machines
STOP_TIMEOUT = 35.0
RESPAWN_BACKOFF = 5.0  # a worker's drain (25 s) plus margin before it is killed


class Worker:
    """One worker process (serving slot ``slot``) and the read end of its readiness pipe."""

    def __init__(self, sock: socket.socket, slot: int = 0) -> None:
        self.slot = slot
        ready_r, ready_w = os.pipe()
        fd = sock.fileno()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wafproxy.server.worker", str(fd), str(ready_w)],
            pass_fds=(fd, ready_w),
        )
        os.close(ready_w)
        self._ready_r: int | None = ready_r
        self.ready = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float, stopping: Callable[[], bool]) -> bool:
        """True once the worker serves; False if it exited first (or we are stopping)."""
        deadline = time.monotonic() + timeout
        while not self.ready and time.monotonic() < deadline and not stopping():
            if self._ready_r is None:
                return False
            readable, _, _ = select.select([self._ready_r], [], [], 0.2)
            if readable:
                got = os.read(self._ready_r, 1)
                self._close_pipe()
                self.ready = got == b"1"
                return self.ready
            if self.proc.poll() is not None:
                self._close_pipe()
                return False
        return self.ready

    def _close_pipe(self) -> None:
        if self._ready_r is not None:
            os.close(self._ready_r)
            self._ready_r = None

    def stop(self) -> None:
        self._close_pipe()
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)


class Supervisor:
    """Keep ``count`` workers serving ``sock`` until SIGTERM/SIGINT; SIGHUP rolls them."""

    def __init__(
        self,
        sock: socket.socket,
        count: int,
        *,
        on_exit: Callable[[int], None] | None = None,
        validate: Callable[[], object] | None = None,
    ) -> None:
        self.sock = sock
        self.count = count
        self.slots = listen_slots(sock, count)  # slot i's socket, for every worker serving slot i
        self._steered: tuple[int, ...] = tuple(range(count))  # the slots new connections go to
        self._started = False  # until every first worker serves or failed, no slot is steered away
        # SIGHUP: load the configuration here first (this process is warm: it answers in
        # milliseconds, where a fresh worker needs a second to import): a broken ACL then starts
        # no worker at all, and says so at once. Raises on an invalid configuration.
        self.validate = validate
        self.on_exit = on_exit  # called with the pid of every worker that ended (metrics cleanup)
        self.workers: list[Worker] = []
        self._retired: list[Worker] = []
        self._next_spawn = 0.0  # a worker that failed to start is retried after RESPAWN_BACKOFF
        self._stop = threading.Event()
        self._reload = threading.Event()

    def run(self) -> None:
        signals = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in signals}
        try:
            self._start_all()
            while not self._stop.is_set():
                self._stop.wait(0.2)
                self._reap()
                if self._reload.is_set() and not self._stop.is_set():
                    self._reload.clear()
                    self._roll()
                if len(self.workers) < self.count and time.monotonic() >= self._next_spawn:
                    if self._spawn(self._vacant_slot()) is None:
                        self._next_spawn = time.monotonic() + RESPAWN_BACKOFF
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._shutdown()

    def _on_signal(self, signum: int, _frame: object) -> None:
        if signum == signal.SIGHUP:
            self._reload.set()
        else:
            self._stop.set()

    def _start_all(self) -> None:
        """Start every worker at once (a cold start compiles in each); stop if none serves."""
        started = [Worker(self.slots[slot], slot) for slot in range(self.count)]
        for worker in started:
            self._admit(worker)
        self._started = True
        self._steer()  # away from the slots whose first worker could not start
        if not self.workers and not self._stop.is_set():
            logger.error("no worker could start: stopping")
            self._stop.set()

    def _vacant_slot(self) -> int:
        served = {worker.slot for worker in self.workers}
        return next(slot for slot in range(self.count) if slot not in served)

    def _spawn(self, slot: int) -> Worker | None:
        return self._admit(Worker(self.slots[slot], slot))

    def _admit(self, worker: Worker) -> Worker | None:
        if worker.wait_ready(READY_TIMEOUT, self._stop.is_set):
            self.workers.append(worker)
            self._steer()
            return worker
        if worker.proc.poll() is None:
            worker.stop()
        self._retired.append(worker)
        return None

    def _roll(self) -> None:
        if self.validate is not None:
            try:
                self.validate()
            except Exception as exc:  # noqa: BLE001 - any configuration error keeps the workers
                logger.error("web ACL invalid, this worker does not start (running workers keep theirs): %s",
                             exc)
                return
        logger.info("SIGHUP: replacing %d worker(s) one by one", len(self.workers))
        for old in list(self.workers):
            if self._spawn(old.slot) is None:  # the new worker accepts on the socket ``old`` leaves
                logger.error("a new worker did not start: the running workers keep serving")
                return
            self.workers.remove(old)
            old.stop()
            self._retired.append(old)

    def _reap(self) -> None:
        for worker in list(self.workers):
            if worker.proc.poll() is not None:
                logger.warning("worker %d exited (status %s): starting another", worker.pid,
                               worker.proc.returncode)
                self.workers.remove(worker)
                self._ended(worker)
                self._steer()
        for worker in list(self._retired):
            if worker.proc.poll() is not None:
                self._retired.remove(worker)
                self._ended(worker)

    def _steer(self) -> None:
        """New connections to the slots that have a worker (all of them, normally). Not while the
        first workers start: those that serve first would take every connection opened meanwhile
        (a client's pool opened at start-up would then stay on one worker)."""
        live = tuple(sorted({worker.slot for worker in self.workers}))
        if not self._started or live == self._steered or not live:
            return
        try:
            steer(self.slots, live)
        except OSError as exc:  # a kernel without SO_ATTACH_REUSEPORT_CBPF: the hash spreads them
            logger.warning("cannot steer new connections away from a slot without a worker: %s", exc)
        self._steered = live

    def _ended(self, worker: Worker) -> None:
        if self.on_exit is not None:
            self.on_exit(worker.pid)

    def _shutdown(self) -> None:
        everyone = self.workers + self._retired
        for worker in everyone:
            worker.stop()
        deadline = time.monotonic() + STOP_TIMEOUT
        for worker in everyone:
            try:
                worker.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.proc.kill()
                worker.proc.wait()
            self._ended(worker)
        self.workers = []
        self._retired = []
        for sibling in set(self.slots[1:]) - {self.sock}:  # ``sock`` is the caller's to close
            sibling.close()
