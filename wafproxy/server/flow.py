"""A client connection's flow control: reading paused while too much waits, writing waited on
while the client's socket buffer is full.

Reading stops when the body bytes received but not yet read pass ``HIGH_WATER`` (TCP then pushes
back on the client) or when more than ``MAX_PIPELINED`` requests are queued, and resumes below
``LOW_WATER`` with the queue short again. Writing: asyncio's ``pause_writing`` / ``resume_writing``
on ``HttpConnection`` land here; a streamed response awaits ``drain`` between chunks, so a slow
reader holds one chunk, never a whole response. A websocket relay (``HttpConnection.tunnel``) is
told too, and stops reading the upstream.

A GET answered at once (``fastlane``) calls none of this: it runs when bodies are buffered,
requests pipelined, sockets full or relays busy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wafproxy.server.context import MAX_PIPELINED

if TYPE_CHECKING:
    from wafproxy.server.connection import HttpConnection

HIGH_WATER = 256 * 1024
LOW_WATER = 64 * 1024


def unbuffer(conn: HttpConnection, n: int) -> None:
    """``n`` buffered body bytes read (or dropped)."""
    conn._buffered -= n
    if (not conn._reading and conn._buffered < LOW_WATER and len(conn._queue) <= MAX_PIPELINED
            and not conn._broken):  # reading: nothing to resume (no call)
        resume(conn)


def pause(conn: HttpConnection) -> None:
    """Stop reading the client's socket."""
    if conn._reading and not conn.closed:
        conn._reading = False
        conn.transport.pause_reading()


def resume(conn: HttpConnection) -> None:
    """Read the client's socket again."""
    if not conn._reading and not conn.closed:
        conn._reading = True
        conn.transport.resume_reading()


def writing_paused(conn: HttpConnection, paused: bool) -> None:
    """asyncio's ``pause_writing`` (``paused``) or ``resume_writing``: a relay stops or resumes
    reading its upstream; on resume, whoever awaits ``drain`` goes on."""
    conn._write_paused = paused
    if conn.tunnel is not None:
        conn.tunnel.client_paused(paused)
    if not paused:
        release_drain(conn)


def release_drain(conn: HttpConnection) -> None:
    """Wake a ``drain`` waiter: the socket took the bytes, or the connection is gone."""
    drain, conn._drain = conn._drain, None
    if drain is not None and not drain.done():
        drain.set_result(None)


async def drain(conn: HttpConnection) -> None:
    """Wait while the client's socket buffer is full (back-pressure on streamed responses)."""
    if conn._write_paused and not conn.closed:
        if conn._drain is None:
            conn._drain = conn.loop.create_future()
        await conn._drain
