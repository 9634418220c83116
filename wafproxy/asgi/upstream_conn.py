"""One keep-alive HTTP/1.1 connection to an upstream: an asyncio Protocol fed to httptools.

Why not httpx/httpcore: their per-request machinery costs milliseconds of CPU (encode/httpx#3215),
more than the whole WAF. A Protocol receives bytes in a callback, httptools (llhttp, C) parses them,
and the body is handed out chunk by chunk. Flow control runs both ways: when the consumer falls
behind by more than ``HIGH_WATER`` bytes we ``pause_reading()`` so a 50 MB response is never held in
memory; when the upstream socket's send buffer fills, request-body writes wait for ``resume_writing``.

No ``wait_for`` task per read: the read timeout bounds each silence of the upstream on one lazily
re-armed timer (``upstream_timer``), the optional total deadline bounds the whole exchange.

A ``listener`` (the proxy server's fast lane, ``server.fastlane``) may follow an exchange instead
of a coroutine: it is told after each read, on a timeout and when the connection is lost, always
outside llhttp's callbacks (so it may hand the connection back to the pool and reuse it at once).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol, cast

import httptools

from wafproxy.asgi.upstream_errors import UpstreamError, UpstreamProtocolError, UpstreamTimeout
from wafproxy.asgi.upstream_framing import check_coding, eof_framed, without_length
from wafproxy.asgi.upstream_head import ResponseHead, read_whole
from wafproxy.asgi.upstream_timer import ReadTimer

# llhttp puts no bound on a response head; a broken or hostile upstream must not make us buffer
# one without limit (nginx's proxy_buffer_size is 4-8 KiB; we allow generous cookies).
MAX_HEAD_BYTES = 64 * 1024
HIGH_WATER = 256 * 1024  # buffered, unconsumed response bytes before we stop reading the socket
LOW_WATER = 64 * 1024


class Listener(Protocol):
    def upstream_progress(self) -> None:
        """Something happened on the exchange (bytes, end, error, timeout): look at the connection."""


class UpstreamConnection(asyncio.Protocol):
    """A connection carrying one exchange at a time. Owned by ``UpstreamPool``."""

    def __init__(self, loop: asyncio.AbstractEventLoop, upstream: str, read_timeout: float) -> None:
        self.loop = loop
        self.upstream = upstream
        self.read_timeout = read_timeout
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.exchanges = 0  # completed exchanges, so the pool knows whether a failure was "stale reuse"
        self.idle_since = 0.0
        self.deadline: float | None = None  # loop.time() by which the current exchange must end
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[None] | None = None
        self._read_timer = ReadTimer(loop, self._waiting, self._on_timeout)  # one per connection
        self._drain: asyncio.Future[None] | None = None
        self._write_paused = False
        self._reading_paused = False
        self.listener: Listener | None = None
        self._head = False
        self._chunks: deque[bytes] = deque()
        self.begin(False)  # the exchange's fields, as for the first one
        self.in_use = False

    # -- exchange API (used by the pool and UpstreamResponse) -------------------------------

    def begin(self, head_request: bool) -> None:
        """Prepare for a new request/response on this connection."""
        if self._head:
            # After a HEAD response llhttp still expects Content-Length bytes of body; a fresh
            # parser is the only way to tell it the message ended (httptools cannot skip a body).
            self._parser = httptools.HttpResponseParser(self)
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.parsed: ResponseHead | None = None  # the head when ``upstream_head`` read the response
        self.headers_done = False
        self.complete = False
        self.keep_alive = False
        self.error: UpstreamError | None = None
        self.got_bytes = False
        self.request_sent = False  # the whole request went out: required before reuse
        self._head = head_request
        if self._chunks:  # an empty one (the previous body all taken) serves again: no allocation
            self._chunks = deque()
        self._buffered = 0
        self._head_bytes = 0
        self.in_use = True
        if self.closed:
            self.error = UpstreamProtocolError("upstream closed the connection", self.upstream)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    async def drain(self) -> None:
        """Wait until the socket accepts more request body (``resume_writing``) or the exchange fails."""
        if not self._write_paused or self.closed:
            return
        fut = self.loop.create_future()
        self._drain = fut
        timer = self.loop.call_later(self._timeout(), self._on_timeout)
        try:
            await fut
        finally:
            timer.cancel()
            self._drain = None

    async def wait_head(self) -> None:
        """Wait for the response status line and headers; raise the exchange's error if any."""
        while not self.headers_done:
            if self.error is not None:
                raise self.error
            await self._wait()
        if self.error is not None and not self._chunks:
            raise self.error

    async def read_chunk(self) -> bytes:
        """The next body chunk, or b"" when the body is complete. Raises on a broken exchange."""
        while True:
            chunks = self._chunks
            if chunks:
                chunk = chunks.popleft()
                self._buffered -= len(chunk)
                if self._reading_paused and self._buffered <= LOW_WATER and self.transport is not None:
                    self._reading_paused = False
                    self.transport.resume_reading()
                return chunk
            if self.complete:
                return b""
            if self.error is not None:
                raise self.error
            await self._wait()

    def take_body(self) -> bytes | None:
        """The whole body when it is all parsed already (then handed out), else None."""
        if not self.complete or self.error is not None or self._reading_paused:
            return None
        chunks = self._chunks
        if not chunks:
            return b""
        body = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        self._buffered = 0
        return body

    @property
    def body_done(self) -> bool:
        """True once every body byte was parsed and handed out."""
        return self.complete and not self._chunks

    @property
    def reusable(self) -> bool:
        """Both messages ended cleanly and both sides keep the connection alive."""
        return self.complete and not self._chunks and self.keep_alive and self.request_sent

    def abort(self) -> None:
        self.closed = True
        self._read_timer.stop()
        if self.transport is not None:
            try:
                self.transport.abort()
            except RuntimeError:
                pass  # its event loop is closed already: the socket goes with the transport

    def _timeout(self) -> float:
        if self.deadline is None:
            return self.read_timeout
        return max(0.0, min(self.read_timeout, self.deadline - self.loop.time()))

    async def _wait(self) -> None:
        loop = self.loop
        fut = loop.create_future()
        self._waiter = fut
        self.expect_bytes()
        try:
            await fut
        finally:
            self._waiter = None

    def expect_bytes(self) -> None:
        """Start the read timeout of a wait (``_wait``, or a ``listener`` after each read)."""
        self._read_timer.expect(self.read_timeout if self.deadline is None else self._timeout())

    def _waiting(self) -> bool:
        waiter = self._waiter
        return (waiter is not None and not waiter.done()) or self.listener is not None

    def _on_timeout(self) -> None:
        total = self.deadline is not None and self.loop.time() >= self.deadline - 1e-3
        phase = "total" if total else "read"
        self._fail(UpstreamTimeout(f"{phase} timeout", self.upstream, phase=phase))
        self.abort()
        if self.listener is not None:
            self.listener.upstream_progress()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, error: UpstreamError) -> None:
        if self.error is None and not self.complete:
            self.error = error
        self._wake()
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not asyncio subclasses

    def data_received(self, data: bytes) -> None:
        if not self.in_use:
            self.abort()  # bytes on an idle connection: the stream is out of sync, never reuse it
            return
        if not self.got_bytes:  # the exchange's first read: llhttp stands between two messages
            self.got_bytes = True
            if not self._head:
                parsed = read_whole(data)
                if parsed is not None:  # the whole common response, read without llhttp
                    self._took(parsed, data)
                    if self.listener is not None:
                        self.listener.upstream_progress()
                    return
        self._feed(data)
        if self.listener is not None:
            self.listener.upstream_progress()

    def _took(self, parsed: ResponseHead, data: bytes) -> None:
        """What llhttp's callbacks record for the response ``read_whole`` took (``on_headers_complete``,
        ``on_body``, ``on_message_complete``); llhttp, never fed it, waits for the next message."""
        self.parsed = parsed
        self.status = parsed.status
        self.headers = list(parsed.headers)
        self.headers_done = True
        if parsed.length:
            self._chunks.append(data[len(data) - parsed.length:])
            self._buffered = parsed.length
        self.complete = True
        self.keep_alive = parsed.keep_alive
        if self._waiter is not None:
            self._wake()

    def _feed(self, data: bytes) -> None:
        """``data`` to llhttp (its callbacks below), its refusals as the exchange's error."""
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(UpstreamProtocolError("upstream switched protocols", self.upstream))
            self.abort()
        except httptools.HttpParserError as exc:
            self._fail(UpstreamProtocolError(f"malformed response: {exc}", self.upstream))
            self.abort()
        else:
            if not self.headers_done:  # still inside the head after this read: bound it
                self._head_bytes += len(data)
                if self._head_bytes > MAX_HEAD_BYTES:
                    self._fail(UpstreamProtocolError("response head larger than 64 KiB", self.upstream))
                    self.abort()

    def eof_received(self) -> bool | None:
        return None  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._read_timer.stop()
        if self.headers_done and not self.complete and self.error is None and eof_framed(self.headers):
            # RFC 9112 §6.3 item 8: no Content-Length, not chunked -> the body ends at close.
            self.complete = True
            self.keep_alive = False
            self._wake()
        else:
            self._fail(UpstreamProtocolError("upstream closed the connection", self.upstream))
        if self.listener is not None:
            self.listener.upstream_progress()

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)

    # -- httptools callbacks --------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes | None) -> None:
        if not self.headers_done:  # trailers (after a chunked body) are dropped, never forwarded
            value = value or b""
            if len(name) == 17 and name.lower() == b"transfer-encoding":
                check_coding(value, self.headers, self.upstream)
            self.headers.append((name, value))

    def on_message_begin(self) -> None:
        if self.complete or not self.in_use:
            # A second response to one request: the upstream and we disagree on framing (or it
            # pipelines garbage). Raising stops llhttp mid-buffer, before the extra message's
            # head or body can touch the finished one; data_received then drops the connection.
            # Here, not in ``on_headers_complete``: an extra head that never ends would leave
            # llhttp mid-message on a connection handed back to the pool.
            raise UpstreamProtocolError("unexpected extra response", self.upstream)

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200:
            return  # interim (100 Continue, 103 Early Hints): skipped in on_message_complete
        self.status = status
        self.headers_done = True
        if self._head or status in (204, 304):
            if status == 204:
                self.headers = without_length(self.headers)  # the fast lane reads them here too
            self.complete = True
            self.keep_alive = self._parser.should_keep_alive()
        if self._waiter is not None:  # a coroutine waits (the fast lane's listener is told later)
            self._wake()

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        buffered = self._buffered = self._buffered + len(body)
        if buffered > HIGH_WATER and not self._reading_paused and self.transport is not None:
            self._reading_paused = True
            self.transport.pause_reading()
        if self._waiter is not None:
            self._wake()

    def on_message_complete(self) -> None:
        if not self.headers_done:
            self.headers = []  # end of an interim 1xx response; the real one follows
            return
        if self._head:
            return  # already complete at headers
        self.complete = True
        self.keep_alive = self._parser.should_keep_alive()
        if self._waiter is not None:
            self._wake()

