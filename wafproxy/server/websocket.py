"""Websocket upgrades: the handshake is inspected like any GET, then bytes are relayed both ways.

The WAF has already allowed the handshake when ``relay_upgrade`` runs. It opens a dedicated
connection to the upstream (``UpstreamPool.open_tunnel``: never pooled), sends the handshake with
``Connection: upgrade`` and the client's ``Upgrade`` restored (they are hop-by-hop, so
``upstream_headers`` removed them), and from then on copies bytes: the upstream's answer (its
``101``, or a refusal, which ends the relay) and the frames that follow, with back-pressure each
way (a side whose peer cannot keep up stops being read). Frames are not inspected: AWS WAF does
not inspect websocket messages either; only the client's frame headers are read, to refuse a frame
over ``max_websocket_frame_bytes`` with close code 1009 (``wsframes``). A relay with no byte either
way for ``websocket_idle_timeout`` seconds is closed with 1001 to both sides (as nginx's
``proxy_read_timeout`` ends an idle websocket): one stamp per chunk relayed, one timer per relay
that re-arms for what is left when it fires early. The relay is a tunnel only once the upstream
answered ``101``: until then the client's bytes wait (bounded: reading stops), and an upstream
that refuses the upgrade (any other status) has its answer relayed to its end, then both sides
are closed: the client's bytes behind a refused handshake never reach the upstream, where they
would be read as requests the WAF never saw (websocket smuggling); a 101 that switches to
another protocol than websocket is a 502. Only ``Upgrade: websocket`` on a GET is relayed; any
other upgrade (``h2c``) or CONNECT is refused (501 / 405): we speak HTTP/1.1 to upstreams only.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httptools

from wafproxy.asgi.upstream import UpstreamError, UpstreamPool
from wafproxy.asgi.upstream_framing import switched_to
from wafproxy.server.connection import HttpConnection
from wafproxy.server.exchange import Exchange
from wafproxy.server.flow import pause, resume
from wafproxy.server.writer import text_response
from wafproxy.server.wsframes import CLOSE_GOING_AWAY, CLOSE_TOO_BIG, FrameGuard, close_frame

_WAITING_MAX = 64 * 1024  # client bytes held until the upstream's 101, before reading stops


class _UpstreamSide(asyncio.Protocol):
    """The upstream half of a relay: what it sends goes to the client as is."""

    def __init__(self, conn: HttpConnection) -> None:
        self.conn = conn
        self.transport: Any = None
        self.status = 0
        self.last_byte = conn.loop.time()  # either way: the websocket idle timeout counts from it
        self._first = b""
        self._refusal: Any = None  # parses a non-101 answer, to close the relay at its end
        self.done: asyncio.Future[None] = conn.loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.last_byte = self.conn.loop.time()
        if not self.status:
            self._first += data
            line, sep, _ = self._first.partition(b"\r\n")
            if not sep and len(self._first) <= 64:
                return
            parts = line.split(b" ", 2)
            self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 502
            if self.status == 101 and not self._switched():
                return
            data, self._first = self._first, b""
            if self.status != 101:
                self._refusal = httptools.HttpResponseParser(self)
            elif self.conn.tunnel is not None:
                self.conn.tunnel.flush()
        self.conn.write(data)
        if self._refusal is not None:
            try:
                self._refusal.feed_data(data)
            except httptools.HttpParserError:
                self.on_message_complete()

    def _switched(self) -> bool:
        """A 101 whose head is all here and switches to websocket, the protocol the client asked
        for. A head still coming waits; a switch to another (``h2c``) is a 502 to the client and
        the end of both sides: that tunnel would carry a protocol the WAF never reads."""
        end = self._first.find(b"\r\n\r\n")
        if end < 0 and len(self._first) <= _WAITING_MAX:
            self.status = 0
            return False
        if switched_to(self._first[:end], b"websocket"):
            return True
        self.status = 502
        self.conn.write(text_response(502, b"Bad Gateway: the upstream switched protocols\n", close=True))
        self.on_message_complete()
        return False

    def on_message_complete(self) -> None:
        """The upstream's refusal of the upgrade ended: so does the relay."""
        self.transport.close()
        self.conn.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)
        self.conn.close()

    # the upstream's socket is full: stop reading the client
    def pause_writing(self) -> None:
        pause(self.conn)

    def resume_writing(self) -> None:
        resume(self.conn)


class Tunnel:
    """The client half, installed on the connection (``HttpConnection.tunnel``)."""

    def __init__(self, upstream: _UpstreamSide, max_frame: int, idle_timeout: float = 0.0) -> None:
        self.upstream = upstream
        self.guard = FrameGuard(max_frame)
        self.idle_timeout = idle_timeout  # 0: off
        self._waiting: bytes | None = b""  # the client's bytes until the upstream's 101 (None: sent)
        self._idle: asyncio.TimerHandle | None = None
        if idle_timeout > 0:
            self._idle = upstream.conn.loop.call_later(idle_timeout, self._idle_check)

    def _idle_check(self) -> None:
        loop = self.upstream.conn.loop
        left = self.upstream.last_byte + self.idle_timeout - loop.time()
        if left > 0:
            self._idle = loop.call_later(left, self._idle_check)
            return
        self._idle = None
        conn = self.upstream.conn
        conn.ctx.refuse("websocket_idle", conn.peer)
        self.close(CLOSE_GOING_AWAY)

    def stop(self) -> None:
        """The relay ended: its idle timer goes with it."""
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def flush(self) -> None:
        """The upstream answered 101: what the client sent meanwhile goes on."""
        waiting, self._waiting = self._waiting, None
        resume(self.upstream.conn)
        if waiting:
            self.from_client(waiting)

    def from_client(self, data: bytes) -> None:
        self.upstream.last_byte = self.upstream.conn.loop.time()
        if self._waiting is not None:
            if self.upstream.status == 101:
                self.flush()
            elif not self.upstream.status:
                self._waiting += data
                if len(self._waiting) > _WAITING_MAX:
                    pause(self.upstream.conn)
                return
            else:
                return  # the upgrade was refused: nothing more goes upstream
        guard = self.guard
        if guard.violated:
            return
        ok = guard.feed(data)
        if ok:
            self.upstream.transport.write(data if ok == len(data) else data[:ok])
        if guard.violated:
            conn = self.upstream.conn
            conn.ctx.refuse("websocket_frame_too_large", conn.peer)
            self.close(CLOSE_TOO_BIG)

    def close(self, code: int) -> None:
        """Close both sides with ``code`` (each its own close frame), then the sockets."""
        self.upstream.transport.write(close_frame(code, masked=True))
        self.upstream.transport.close()
        conn = self.upstream.conn
        conn.write(close_frame(code, masked=False))
        conn.close()

    def going_away(self) -> None:
        """The connection's lifetime is over (``max_connection_seconds``)."""
        self.close(CLOSE_GOING_AWAY)

    def client_paused(self, paused: bool) -> None:
        # the client's socket is full: stop reading the upstream
        if paused:
            self.upstream.transport.pause_reading()
        else:
            self.upstream.transport.resume_reading()

    def client_closed(self) -> None:
        self.upstream.transport.close()


def _upgrade_value(ex: Exchange) -> bytes | None:
    for name, value in ex.headers:
        if name == b"upgrade":
            return value
    return None


async def relay_upgrade(
    ex: Exchange, pool: UpstreamPool, headers: list[tuple[bytes, bytes]]
) -> tuple[int, bool]:
    """Relay an allowed Upgrade exchange until either side closes: (status, keep-alive=False)."""
    conn = ex.conn
    upgrade = _upgrade_value(ex)
    if ex.method == "CONNECT":
        conn.write(text_response(405, b"Method Not Allowed: this is not a forward proxy\n", close=True))
        return 405, False
    if ex.method != "GET" or upgrade is None or upgrade.strip().lower() != b"websocket":
        conn.write(text_response(501, b"Not Implemented: only websocket upgrades are relayed\n", close=True))
        return 501, False
    side = _UpstreamSide(conn)
    try:
        await pool.open_tunnel(ex.target, [*headers, (b"connection", b"upgrade"), (b"upgrade", upgrade)],
                               lambda: side)
    except UpstreamError:
        conn.write(text_response(502, b"Bad Gateway: the upstream is unreachable\n", close=True))
        return 502, False
    except ValueError:
        conn.write(text_response(400, b"Bad Request: invalid request target or header\n", close=True))
        return 400, False
    if conn.closed:
        side.transport.close()
        return 499, False
    limits = conn.ctx.limits
    conn.tunnel = tunnel = Tunnel(side, limits.max_websocket_frame_bytes, limits.websocket_idle_timeout)
    try:
        if ex.upgrade:
            tunnel.from_client(ex.upgrade)  # what the client sent right behind its handshake
        ex.started = True
        resume(conn)
        await side.done
    finally:
        tunnel.stop()
    return side.status or 502, False
