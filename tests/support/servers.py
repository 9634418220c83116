"""Real servers for tests: uvicorn apps in a thread, whole processes, on ephemeral loopback ports.

Ports are never guessed: a socket is bound to port 0 first and handed to uvicorn, so two tests
running at once cannot collide.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

REPO = Path(__file__).resolve().parents[2]


def bound_socket(host: str = "127.0.0.1") -> socket.socket:
    """A listening-ready TCP socket on an ephemeral port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.set_inheritable(True)
    return sock


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (for processes that must bind it themselves)."""
    with contextlib.closing(bound_socket(host)) as sock:
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    host: str
    port: int
    scheme: str = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


@contextlib.contextmanager
def uvicorn_in_thread(app: Any, *, host: str = "127.0.0.1", **config: Any) -> Iterator[RunningServer]:
    """Serve ``app`` with uvicorn (uvloop + httptools) in a background thread until the block ends.

    Extra keyword arguments go to ``uvicorn.Config`` (``ssl_certfile``, ``ssl_keyfile``,
    ``ssl_ca_certs``, ``ssl_cert_reqs``, ...).
    """
    sock = bound_socket(host)
    port = int(sock.getsockname()[1])
    config.setdefault("log_level", "warning")
    config.setdefault("lifespan", "off")
    cfg = uvicorn.Config(app, **config)
    server = uvicorn.Server(cfg)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    scheme = "https" if config.get("ssl_certfile") else "http"
    try:
        yield RunningServer(host, port, scheme)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def wait_for_port(host: str, port: int, timeout: float = 60.0,
                  proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(f"process exited with {proc.returncode}:\n{out}")
        with contextlib.suppress(OSError):
            with socket.create_connection((host, port), timeout=0.5):
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


@contextlib.contextmanager
def wafproxy_process(*args: str, env: dict[str, str] | None = None,
                     wait_ports: tuple[int, ...] = ()) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``python -m wafproxy ARGS`` as a real process; wait until ``wait_ports`` accept connections."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "wafproxy", *args],
        cwd=REPO,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for port in wait_ports:
            wait_for_port("127.0.0.1", port, proc=proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def client_ssl_context(ca_pem: Path, cert_pem: Path | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca_pem))
    if cert_pem is not None:
        ctx.load_cert_chain(str(cert_pem))
    return ctx
