"""One request on a connection, from its parsed head to its last body byte.

The connection's parser pushes body chunks in (``feed``/``finish``); the handler pulls them out
(``read``) at its own pace. Memory stays bounded: when the bytes received but not yet read on a
connection pass ``flow.HIGH_WATER`` the connection stops reading its socket, and resumes below
``flow.LOW_WATER`` (TCP then pushes back on the client). Waiting for the body is bounded by the Shield's
body timeout (408), its size by the body limit (413), both raised as exceptions the handler maps
to answers.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING

from wafproxy.server.flow import HIGH_WATER, pause, unbuffer

if TYPE_CHECKING:
    from wafproxy.server.connection import HttpConnection

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


# Every exchange's chunks until its first body chunk: a request without a body (nearly every
# GET) allocates no deque. Never appended to (``feed`` gives the exchange its own first).
_NO_CHUNKS: deque[bytes] = deque()


class ClientGone(Exception):  # noqa: N818 - an event, not an error
    """The client closed the connection before the exchange ended."""


class BodyTimeout(Exception):  # noqa: N818
    """The client stopped sending its body for longer than the body timeout."""


class BodyTooLarge(Exception):  # noqa: N818
    """The client sent more body bytes than the body limit."""


class MalformedBody(Exception):  # noqa: N818
    """The body's framing broke mid-way (a bad chunk size): answer 400, forward nothing more."""


class Exchange:
    """A parsed request head plus its streaming body. ``headers``: lower-case names, in order."""

    __slots__ = ("conn", "method", "target", "path", "query", "headers", "version", "keep_alive",
                 "expect_continue", "upgrade", "error", "malformed", "received", "read_bytes", "body_done",
                 "started", "stalled_at", "_chunks", "_waiter", "_timer")

    def __init__(self, conn: HttpConnection, method: str, target: bytes, headers: list[tuple[bytes, bytes]],
                 version: str, keep_alive: bool, *, error: tuple[int, str] | None = None) -> None:
        self.conn = conn
        self.method = method
        self.target = target
        path, _, query = target.partition(b"?")
        self.path = path
        self.query = query
        self.headers = headers
        self.version = version
        self.keep_alive = keep_alive
        # Whether the client waits for "100 Continue" before its body: looked up by the first
        # read that must wait (None: not yet), never for a request whose body came with its head.
        self.expect_continue: bool | None = None
        self.upgrade: bytes | None = None  # bytes after the head of an Upgrade/CONNECT request
        self.error = error  # (status, reason): answer this and close; nothing else happens
        self.malformed = False  # its body's framing broke: reads raise ``MalformedBody``
        self.received = 0  # body bytes received from the client so far
        self.read_bytes = 0  # body bytes handed to the handler so far
        self.body_done = False
        self.started = False  # the response head is out: a failure can only close the connection
        # ``received`` when the body timeout passed while the connection waited for the body
        # (``bodywait``): a read that would wait with no byte since then raises ``BodyTimeout``.
        self.stalled_at = -1
        self._chunks: deque[bytes] = _NO_CHUNKS  # its own deque from the first body chunk (``feed``)
        self._waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    # -- producer side (the connection) ------------------------------------------------------

    def feed(self, chunk: bytes) -> None:
        chunks = self._chunks
        if chunks is _NO_CHUNKS:
            chunks = self._chunks = deque()
        chunks.append(chunk)
        size = len(chunk)
        self.received += size
        conn = self.conn  # received, not yet read: past ``HIGH_WATER`` reading stops (``flow``)
        conn._buffered += size
        if conn._buffered > HIGH_WATER:
            pause(conn)
        if self._waiter is not None:  # tested here: a call less when nobody waits (the fast lane)
            self._wake()

    def finish(self) -> None:
        self.body_done = True
        if self._waiter is not None:
            self._wake()

    def abandon(self) -> None:
        """The connection is gone (or its parse broke): wake a reader so it can fail. A body the
        connection waited for (``bodywait``: a timer, no reader) is not waited for any more."""
        timer = self._timer
        if timer is not None and self._waiter is None and self.conn.closed:
            timer.cancel()
            self._timer = None
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    # -- consumer side (the handler) ---------------------------------------------------------

    @property
    def complete(self) -> bool:
        """All of the body was received and handed out."""
        return self.body_done and not self._chunks

    async def read(self, stall: float, limit: int) -> bytes:
        """The next body chunk, b"" at the end. Raises ``ClientGone``, ``BodyTimeout`` (no byte
        for ``stall`` seconds) or ``BodyTooLarge`` (more than ``limit`` bytes in all)."""
        while not self._chunks:
            if self.malformed:
                raise MalformedBody
            if self.body_done:
                return b""
            if self.conn.closed:
                raise ClientGone
            if self.received == self.stalled_at:
                raise BodyTimeout  # waited for by the connection already (``bodywait.stalled``)
            if self.expect_continue is None:
                self.expect_continue = expects_continue(self.headers)
            if self.expect_continue:
                self.expect_continue = False
                self.conn.write(CONTINUE)  # RFC 9110 §10.1.1: we want the body
            loop = self.conn.loop
            waiter = self._waiter = loop.create_future()
            self._timer = loop.call_later(stall, _expire, waiter)
            try:
                await waiter
            finally:
                self._timer.cancel()
                self._timer = None
        chunk = self._chunks.popleft()
        self.read_bytes += len(chunk)
        unbuffer(self.conn, len(chunk))
        if self.read_bytes > limit:
            raise BodyTooLarge
        return chunk

    def take_whole(self) -> bytes:
        """Every body byte received and not yet read, as one ``bytes``, without waiting (the fast
        lane: the body ended and fits the limits, ``fastlane.serve_now``). The common body came
        in one read: that chunk itself, no join and no copy."""
        chunks = self._chunks
        if not chunks:
            return b""
        body = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        n = len(body)
        self.read_bytes += n
        unbuffer(self.conn, n)
        return body

    def discard(self) -> None:
        """Drop what was buffered and not read (a refused request's body)."""
        left = sum(len(c) for c in self._chunks)
        self._chunks.clear()
        if left:
            unbuffer(self.conn, left)


def expects_continue(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"expect" and value.lower() == b"100-continue":
            return True
    return False


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(BodyTimeout())
