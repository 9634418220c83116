"""A raw upstream on loopback that records every byte it receives, for the smuggling probes.

A real HTTP server would normalise what it read (and might itself refuse an ambiguous request):
the probes need the bytes as the proxy wrote them. One thread per connection reads, keeps the
raw bytes, and splits them into requests with a deliberately plain RFC 9112 reader (head to the
blank line, body by Content-Length or chunked): a request it cannot frame is recorded as such
and the connection is closed, which a probe then sees as a request that reached the upstream.

Each request is answered by its path: ``SCRIPTS`` holds raw responses for the response-side
probes (an upstream answering with CL+TE, two lengths, bad chunking, a 1xx storm...); anything
else gets a small 200 naming what arrived (``METHOD path body-length``).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

#: Raw answers by request path (the whole response as written, then the connection is closed
#: when the path ends in ``-close``).
SCRIPTS: dict[bytes, bytes] = {
    b"/resp/cl-and-te": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b"5\r\nhello\r\n0\r\n\r\n",
    b"/resp/two-cl": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello!!",
    b"/resp/cl-list": b"HTTP/1.1 200 OK\r\nContent-Length: 5, 7\r\n\r\nhello!!",
    b"/resp/cl-plus": b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello",
    b"/resp/bad-chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    b"/resp/chunk-overflow": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"10000000000000005\r\nhello\r\n0\r\n\r\n",
    b"/resp/te-xchunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"/resp/te-gzip": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello",
    b"/resp/longer-than-cl": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\n"
                             b"Content-Length: 8\r\n\r\nsmuggled",
    b"/resp/1xx-storm": b"HTTP/1.1 100 Continue\r\n\r\n" * 2000
                        + b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    b"/resp/1xx-storm-big": b"HTTP/1.1 100 Continue\r\n\r\n" * 5000
                            + b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    b"/resp/chunk-bare-lf": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
    b"/resp/chunk-longer": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n",
    b"/resp/cl-space-before-colon": b"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
    b"/resp/bad-status": b"HTTP/1.1 2000 OK\r\nContent-Length: 5\r\n\r\nhello",
    b"/resp/te-identity-cl": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 5\r\n\r\n"
                             b"hello",
    b"/resp/te-chunked-twice": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"/resp/bare-lf": b"HTTP/1.1 200 OK\nContent-Length: 5\n\nhello",
    b"/resp/obs-fold": b"HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 5\r\n\r\nhello",
    b"/resp/nul-header": b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 5\r\n\r\nhello",
    b"/resp/101-no-upgrade": b"HTTP/1.1 101 Switching Protocols\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
    b"/resp/cl-short-close": b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nhello",
    b"/h2c-refused": b"HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\nno",
    b"/ws-refused": b"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno",
    b"/ws-refused-upgrade-header": b"HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                                  b"Content-Length: 2\r\n\r\nok",
    b"/ws-accept": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    b"/h2c": b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
             b"\x00\x00\x00\x04\x00\x00\x00\x00\x00",
}


@dataclass
class Received:
    """One request as the upstream read it (``framed`` False: it could not tell where it ended)."""

    method: bytes
    target: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    framed: bool = True

    def header(self, name: bytes) -> list[bytes]:
        return [value for key, value in self.headers if key.lower() == name]


@dataclass
class RecordingUpstream:
    port: int
    raw: bytearray = field(default_factory=bytearray)
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def mark(self) -> tuple[int, int]:
        with self.lock:
            return len(self.raw), len(self.requests)

    def since(self, mark: tuple[int, int]) -> tuple[bytes, list[Received]]:
        with self.lock:
            return bytes(self.raw[mark[0]:]), self.requests[mark[1]:]


class _Unframed(Exception):
    """The upstream cannot tell where this request ends."""


def _read_more(conn: socket.socket, buf: bytearray, up: RecordingUpstream) -> None:
    data = conn.recv(65536)
    if not data:
        raise EOFError
    with up.lock:
        up.raw += data
    buf += data


def _take_line(conn: socket.socket, buf: bytearray, up: RecordingUpstream) -> bytes:
    while (end := buf.find(b"\r\n")) < 0:
        _read_more(conn, buf, up)
    line = bytes(buf[:end])
    del buf[: end + 2]
    return line


def _take(conn: socket.socket, buf: bytearray, up: RecordingUpstream, size: int) -> bytes:
    while len(buf) < size:
        _read_more(conn, buf, up)
    data = bytes(buf[:size])
    del buf[:size]
    return data


def _read_request(conn: socket.socket, buf: bytearray, up: RecordingUpstream) -> Received:
    line = _take_line(conn, buf, up)
    parts = line.split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
        raise _Unframed(line)
    headers: list[tuple[bytes, bytes]] = []
    while field_line := _take_line(conn, buf, up):
        name, colon, value = field_line.partition(b":")
        if not colon or name != name.strip() or b" " in name:
            raise _Unframed(field_line)
        headers.append((name, value.strip(b" \t")))
    req = Received(parts[0], parts[1], headers, b"")
    te, cl = req.header(b"transfer-encoding"), req.header(b"content-length")
    if te and cl or len(te) > 1 or len(cl) > 1:
        raise _Unframed(b"ambiguous framing")
    if te:
        if te[0].lower() != b"chunked":
            raise _Unframed(b"transfer-encoding " + te[0])
        body = bytearray()
        while True:
            size_line = _take_line(conn, buf, up).split(b";")[0]
            size = int(size_line, 16)
            if not size:
                break
            body += _take(conn, buf, up, size)
            if _take(conn, buf, up, 2) != b"\r\n":
                raise _Unframed(b"chunk")
        while _take_line(conn, buf, up):
            pass  # trailers
        req.body = bytes(body)
    elif cl:
        if not cl[0].isdigit():
            raise _Unframed(b"content-length " + cl[0])
        req.body = _take(conn, buf, up, int(cl[0]))
    return req


def _serve(up: RecordingUpstream, conn: socket.socket) -> None:
    buf = bytearray()
    with contextlib.suppress(OSError, EOFError), conn:
        while not up.stop.is_set():
            try:
                req = _read_request(conn, buf, up)
            except (_Unframed, ValueError) as exc:
                with up.lock:
                    up.requests.append(Received(b"?", b"?", [], str(exc).encode(), framed=False))
                return
            with up.lock:
                up.requests.append(req)
            path = req.target.split(b"?")[0]
            script = SCRIPTS.get(path)
            if script is not None:
                conn.sendall(script)
                if path.startswith(b"/resp/") or path in (b"/h2c",):
                    return  # a broken answer: this connection is done
                continue
            text = b"%b %b %d" % (req.method, path, len(req.body))
            head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(text)
            conn.sendall(head if req.method == b"HEAD" else head + text)


@contextlib.contextmanager
def recording_upstream() -> Iterator[RecordingUpstream]:
    listener = socket.create_server(("127.0.0.1", 0))
    up = RecordingUpstream(listener.getsockname()[1])

    def accept() -> None:
        with contextlib.suppress(OSError):
            while not up.stop.is_set():
                conn, _ = listener.accept()
                threading.Thread(target=_serve, args=(up, conn), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield up
    finally:
        up.stop.set()
        listener.close()
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", up.port), timeout=1).close()
        thread.join(timeout=10)
