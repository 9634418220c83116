"""A raw TCP upstream that records exactly what reached it: each request's body bytes and whether
the body was complete (its Content-Length) before the connection ended."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Received:
    head: bytes
    body: bytes
    declared: int

    chunked: bool = False

    @property
    def complete(self) -> bool:
        if self.chunked:  # the last chunk and the empty trailer section (RFC 9112 §7.1)
            return self.body.endswith(b"\r\n0\r\n\r\n") or self.body == b"0\r\n\r\n"
        return len(self.body) >= self.declared


@dataclass
class RecordingUpstream:
    port: int
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def done(self) -> list[Received]:
        with self.lock:
            return list(self.received)


def _serve_one(conn: socket.socket, up: RecordingUpstream) -> None:
    conn.settimeout(30)
    data = b""
    with contextlib.suppress(OSError):
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        declared = 0
        chunked = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                declared = int(value)
            if name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        record = Received(head, body, declared, chunked)
        with up.lock:
            up.received.append(record)
        while not record.complete:
            chunk = conn.recv(65536)
            if not chunk:
                return
            record.body += chunk
        answer = b"upstream:%d" % (len(record.body) if not chunked else -1)
        head = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(answer)
        conn.sendall(head + answer)
    conn.close()


@contextlib.contextmanager
def recording_upstream() -> Iterator[RecordingUpstream]:
    sock = socket.create_server(("127.0.0.1", 0))
    up = RecordingUpstream(sock.getsockname()[1])
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            if stop.is_set():  # the wake-up connection of the teardown
                conn.close()
                return
            threading.Thread(target=_serve_one, args=(conn, up), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield up
    finally:
        stop.set()
        # Closing a listening socket does not wake a thread blocked in accept() (it waited out the
        # join's 10 s): one connection does, and the loop then sees ``stop``.
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", up.port), timeout=5).close()
        thread.join(timeout=10)
        sock.close()
