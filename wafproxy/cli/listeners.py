"""Listening sockets bound before serving, and the servers run together on one loop.

Binding first turns a taken port into one clear line naming the flag (``ListenError``), not a
traceback from a task; running every server (data path, admin, KMS, the demo app) on one loop
under one set of signal handlers gives one Ctrl-C, one SIGHUP, one failure that stops them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import uvicorn

from wafproxy.settings import HostPort


class ListenError(OSError):
    """A listen address that cannot be bound; ``flag`` names the setting to change."""

    def __init__(self, flag: str, address: HostPort, reason: str) -> None:
        super().__init__(f"{flag} {address}: {reason}")
        self.flag = flag


def listen_socket(address: HostPort, flag: str, *, reuse_port: bool = False) -> socket.socket:
    """Bind before serving, so a taken port is one clear line (not a traceback from a task).
    ``reuse_port``: the first socket of the ``--workers`` group (``server.reuseport``)."""
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    try:
        sock = socket.create_server((address.host, address.port), family=family, backlog=2048)
        if reuse_port:
            from wafproxy.server.reuseport import reuse_port_listener

            sock = reuse_port_listener(sock)
    except OSError as exc:
        raise ListenError(flag, address, exc.strerror or str(exc)) from None
    sock.set_inheritable(True)  # --workers: the supervisor hands it to the worker processes
    return sock


class QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signals to us: several servers share one loop and one Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_servers(servers: Sequence[uvicorn.Server],
                      on_started: Callable[[Sequence[uvicorn.Server]], None] | None = None,
                      sockets: dict[int, list[Any]] | None = None,
                      on_hangup: Callable[[], None] | None = None) -> None:
    """Serve all ``servers`` in this loop until SIGINT/SIGTERM (twice: force); SIGHUP reloads."""
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server in servers:
            if server.should_exit:
                server.force_exit = True
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    if on_hangup is not None:
        loop.add_signal_handler(signal.SIGHUP, on_hangup)
    tasks = [asyncio.create_task(s.serve(sockets=(sockets or {}).get(i))) for i, s in enumerate(servers)]
    if on_started is not None:
        while not all(s.started for s in servers):
            if any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.02)
        else:
            on_started(servers)
    try:
        # One server failing to start (port taken) stops them all.
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                stop()
        await asyncio.gather(*tasks)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(sig)
