"""A real upstream on loopback that misbehaves on purpose, chosen by the request path.

Raw sockets, one thread per connection, so every fault is what a kernel really delivers: a TCP
reset (``SO_LINGER`` 0, then close) after part of a body, or bytes one at a time with pauses.

- ``/ok``: 200 with a Content-Length body, keep-alive (the connection serves further requests).
- ``/reset-before-head``: reads the request, then resets the connection without a byte.
- ``/reset-mid-body``: sends the head (Content-Length 100000) and 1000 body bytes, then resets.
- ``/reset-mid-chunked``: the same with a chunked body (two chunks out, never the last one).
- ``/trickle-head``: the status line and headers one byte every ``interval`` seconds.
- ``/trickle-body``: the head at once, then a long body one byte every ``interval`` seconds.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

OK_BODY = b"fine"
MID_BODY_SENT = 1000


@dataclass
class FaultyUpstream:
    port: int
    interval: float
    connections: int = 0
    requests: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()  # linger 0: the kernel sends RST instead of FIN


def _read_head(conn: socket.socket, buf: bytearray) -> str | None:
    """The request path of the next request head on ``conn`` (its body is assumed empty)."""
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None
        buf += data
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    buf[:] = rest
    return head.split(b" ", 2)[1].decode("latin-1")


def _trickle(up: FaultyUpstream, conn: socket.socket, data: bytes) -> None:
    for i in range(len(data)):
        if up.stop.wait(up.interval):
            return
        conn.sendall(data[i : i + 1])


def _serve(up: FaultyUpstream, conn: socket.socket) -> None:
    buf = bytearray()
    with contextlib.suppress(OSError):
        while (path := _read_head(conn, buf)) is not None:
            up.requests.append(path)
            if path == "/ok":
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%b" % (len(OK_BODY), OK_BODY))
                continue
            if path == "/reset-before-head":
                return _reset(conn)
            if path == "/reset-mid-body":
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n" + b"a" * MID_BODY_SENT)
                time.sleep(0.05)  # let the proxy forward the head: the reset then lands mid-body
                return _reset(conn)
            if path == "/reset-mid-chunked":
                conn.sendall(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                             b"3e8\r\n" + b"a" * MID_BODY_SENT + b"\r\n")
                time.sleep(0.05)
                return _reset(conn)
            if path == "/trickle-head":
                _trickle(up, conn, b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                return conn.close()
            if path == "/trickle-body":
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n")
                _trickle(up, conn, b"b" * 100000)
                return conn.close()
            conn.sendall(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
    conn.close()


@contextlib.contextmanager
def faulty_upstream(interval: float = 1.0) -> Iterator[FaultyUpstream]:
    """The upstream on an ephemeral loopback port; its threads end when the block does."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    up = FaultyUpstream(port=listener.getsockname()[1], interval=interval)
    threads: list[threading.Thread] = []

    def accept() -> None:
        while not up.stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            up.connections += 1
            thread = threading.Thread(target=_serve, args=(up, conn), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield up
    finally:
        up.stop.set()
        acceptor.join(5)
        listener.close()
        for thread in threads:
            thread.join(5)


def assert_cut_off_never_complete(answer: bytes, path: str) -> None:
    """What a client reads when the upstream resets mid-body (``path`` is ``/reset-mid-body`` or
    ``/reset-mid-chunked``, with a second request pipelined): the head, then a body any client sees
    is truncated, and no answer to the pipelined request on the broken stream. Shared by the proxy
    server's and the ASGI proxy's fault tests: one contract, two data paths."""
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    if path == "/reset-mid-body":
        assert b"content-length: 100000" in head.lower()
        assert len(body) < 100000  # short of its Content-Length: any client sees it is truncated
    else:
        assert b"transfer-encoding: chunked" in head.lower()
        assert not body.endswith(b"0\r\n\r\n")  # no last chunk: the message never ends
    assert body.count(b"a") <= MID_BODY_SENT
    assert OK_BODY not in answer  # the pipelined request was not answered on a broken stream
