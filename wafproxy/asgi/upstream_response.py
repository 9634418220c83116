"""``UpstreamResponse``: status and headers at once, the body streamed chunk by chunk.

The connection goes back to its pool the moment the last body byte is handed out (before the
caller even forwards it), so the next request can reuse it; a response released early closes its
connection instead, because the stream is mid-message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from wafproxy.asgi.upstream_errors import MID_RESPONSE, UpstreamError

if TYPE_CHECKING:
    from wafproxy.asgi.upstream import UpstreamPool
    from wafproxy.asgi.upstream_conn import UpstreamConnection


class UpstreamResponse:
    """Status and headers of an upstream response; the body is read with ``read_chunk``/``async for``.

    Read it to the end (the connection goes back to the pool) or call ``release()`` (an unread
    connection is closed, never reused: its stream is mid-message).
    """

    __slots__ = ("status", "headers", "_conn", "_pool")

    def __init__(self, pool: UpstreamPool, conn: UpstreamConnection) -> None:
        self.status = conn.status
        self.headers = conn.headers
        self._conn: UpstreamConnection | None = conn
        self._pool = pool

    @property
    def finished(self) -> bool:
        """True once the whole body was handed out (or the response was released)."""
        return self._conn is None

    async def read_chunk(self) -> bytes:
        """The next body chunk; b"" at the end. Raises ``UpstreamError`` if the upstream fails."""
        conn = self._conn
        if conn is None:
            return b""
        try:
            chunk = await conn.read_chunk()
        except UpstreamError:
            self._pool.count_failure(MID_RESPONSE)  # the connection is closed, never reused
            self.release()
            raise
        except BaseException:
            self.release()
            raise
        if conn.body_done:
            self.release()
        return chunk

    def take_body(self) -> bytes | None:
        """The whole body if the upstream already sent all of it (the connection is then
        released), else None and nothing changes: read it with ``read_chunk``."""
        conn = self._conn
        if conn is None:
            return None
        body = conn.take_body()
        if body is not None:
            self.release()
        return body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while chunk := await self.read_chunk():
            yield chunk

    async def aread(self) -> bytes:
        return b"".join([chunk async for chunk in self])

    def release(self) -> None:
        """Give the connection back: reused if the body was fully read, else closed."""
        conn = self._conn
        if conn is not None:
            self._conn = None
            self._pool._release(conn, conn.reusable)

    async def aclose(self) -> None:
        self.release()
