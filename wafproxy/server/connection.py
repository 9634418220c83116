"""One client connection: an asyncio Protocol feeding httptools, answering requests in order.

Bytes arrive in ``data_received`` and go to llhttp (httptools) after the request line's raw UTF-8
bytes are masked (``framing.mask_line``). Each complete head becomes an ``Exchange``, checked for
framing ambiguity (``framing.framing_error``) and queued; the handler answers the queue's head
while later (pipelined) requests wait their turn, each inspected on its own. Any parse error
queues a 400 behind what is in flight and stops reading: nothing after a malformed byte is ever
parsed, let alone forwarded.

Limits kept here, where the bytes arrive: the head size (64 KiB, 431; 414 while in the target) and
header count (256, 431), both raised with the Shield's own limits (``ServerContext.head_cap``).
The Shield's header timeout (slowloris: 408 and close) and the keep-alive idle timeout run on one
``timeouts.ConnectionTimer``; what they do, and the connections per client and per process, is
the connection's ``lifecycle`` (once per connection, not per request). Pausing and resuming
reading and writing is its ``flow`` control.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from functools import partial
from typing import Any

import httptools

from wafproxy.asgi.forwarding import Via
from wafproxy.server.context import MAX_PIPELINED, ServerContext
from wafproxy.server.exchange import Exchange
from wafproxy.server.flow import pause, release_drain, resume, writing_paused
from wafproxy.server.framing import (
    escape_spaces,
    framing_error,
    line_version,
    origin_form,
    partial_line,
    stand_in_method,
    target_of,
)
from wafproxy.server.lifecycle import admit, head_timed_out, idle_timed_out, lived, release
from wafproxy.server.timeouts import ConnectionTimer
from wafproxy.server.unusual import (
    ParseStop,
    behind_body,
    fail,
    mask,
    pipelined_rest,
    refused_status,
    says_close,
    unusual_header,
    upgraded,
)

logger = logging.getLogger("wafproxy.server")


class HttpConnection(asyncio.Protocol):
    """A client connection. Created by the event loop's server, one per accepted socket."""

    def __init__(self, ctx: ServerContext, loop: asyncio.AbstractEventLoop) -> None:
        self.ctx = ctx
        self.loop = loop
        self.transport: Any = None
        self.peer = ""
        self.scheme = "https" if ctx.tls else "http"
        self.closed = False
        self.client: str | None = None  # its key in the per-client table, while counted (``lifecycle``)
        self._parser = httptools.HttpRequestParser(self)
        self._queue: deque[Exchange] = deque()
        self._task: asyncio.Task[None] | None = None  # the handler's, when it needed one
        self._active = False  # the queue's head was handed to the handler (fast lane or task)
        self._parsing: Exchange | None = None
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_bytes = 0
        self._head_cap = ctx.head_cap
        self._field_cap = ctx.field_cap
        self._in_head = False
        self._idle = True  # between messages: the next byte starts a request line
        self._line: bytes | None = None  # the original (unmasked) request line, when masked
        self._partial: bytearray | None = None  # a request line's start, until its LF (``partial_line``)
        self._line_ended = True
        self._method: bytes | None = None  # the method as sent, when llhttp was fed a stand-in
        self._version: str | None = None  # the HTTP version of the line that started a read
        self._broken = False  # a parse error happened: read nothing more
        self._buffered = 0
        self._reading = True
        self._write_paused = False
        self._drain: asyncio.Future[None] | None = None
        self._timer = ConnectionTimer(loop, ctx.limits, on_head_timeout=partial(head_timed_out, self),
                                      on_idle=partial(idle_timed_out, self), on_lifetime=partial(lived, self))
        self.tunnel: Any = None  # a websocket relay, once the upstream accepted the upgrade
        # What forwarding adds to each request of a peer that is not a trusted proxy (None: one is).
        self.via: Via | None = None

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = str(peer[0]) if isinstance(peer, tuple) else ""
        if admit(self):
            self._timer.waiting_for_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not release(self):
            return  # refused at accept: never counted
        self._timer.cancel()
        for exchange in self._queue:
            exchange.abandon()
        release_drain(self)
        if self.tunnel is not None:
            self.tunnel.client_closed()

    def pause_writing(self) -> None:
        writing_paused(self, True)

    def resume_writing(self) -> None:
        writing_paused(self, False)

    def data_received(self, data: bytes) -> None:
        self._receive(data)
        # Answered once this read is parsed (as a task started by the first head would be): the
        # fast lane then sees a body that arrived with its head as complete.
        if not self._active and self._queue:
            self._active = True  # ``_start`` inlined: one call less per request
            ctx: Any = self.ctx
            ctx.handler.start(self._queue[0])

    def _receive(self, data: bytes) -> None:
        if self.tunnel is not None:
            self.tunnel.from_client(data)
            return
        if self._broken:
            return
        queued = len(self._queue) if self._idle else -1  # where a read starts a request (``pipelined_rest``)
        # A read inside a body: its exchange, and how much of the body came before (``behind_body``).
        started = self._parsing
        before = started.received if started is not None else 0
        if self._idle:
            # A request line is read whole (its method, raw UTF-8, spaces): held until its LF.
            partial = self._partial
            # ``find``, not ``in``: CPython 3.11's ``bytes in bytes`` first tries the needle as an
            # int and formats a TypeError it drops (~1,800 instructions a test). Found once.
            end = data.find(b"\n")
            if partial is None and end < 0 and partial_line(data):
                partial = self._partial = bytearray()
                self._timer.head_begins()
            if partial is not None:
                partial += data
                if end < 0:
                    if len(partial) > self._head_cap:
                        fail(self, 414, "URI too long", "url_too_long")
                    return
                data, self._partial = bytes(partial), None
                end = data.find(b"\n")
            data, method = stand_in_method(data)
            if method is not None:
                self._method = method
                end = data.find(b"\n")
            escaped = escape_spaces(data, end)
            if escaped is not data:
                data = escaped
                end = data.find(b"\n")
            self._version = line_version(data, end)  # for its head's ``on_headers_complete``
        if not data.isascii():
            data = mask(self, data)
        in_head = self._in_head or self._idle
        head_before = self._head_bytes
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:
            upgraded(self, data[int(exc.args[0]):])
            return
        except httptools.HttpParserCallbackError as exc:
            stop = exc.__context__
            if isinstance(stop, ParseStop):
                fail(self, stop.status, stop.reason, stop.limit)
                return
            raise
        except httptools.HttpParserError as exc:
            rest = (pipelined_rest(self, data, queued) if queued >= 0
                    else behind_body(self, data, started, before))
            if rest is None:
                logger.warning("Invalid HTTP request received (%s) from %s.", exc, self.peer)
                status = refused_status(data) if queued >= 0 else 400
                fail(self, status, "Invalid HTTP request" if status == 400 else "HTTP version not supported")
                return
        else:
            rest = None
        if rest is not None:
            # Read outside the ``except`` block: a ``ParseStop`` raised while parsing it would
            # otherwise be chained to the refusal handled here (Python sets ``__context__`` on
            # raise), and ``HttpParserCallbackError.__context__`` would no longer be the stop.
            self._receive(rest)
            return
        if self._in_head and (0 <= queued < len(self._queue) or started is not None and started.body_done):
            # Requests completed in this read and the next one's head began: its request line is
            # read as a read of its own (``pipelined_rest``), as if it had come alone.
            rest = (pipelined_rest(self, data, queued) if queued >= 0
                    else behind_body(self, data, started, before))
            if rest is not None:
                self._receive(rest)
                return
        # A head still incomplete after this chunk: count its bytes not yet seen by a callback
        # (a 1 MB header value arrives in many chunks before ``on_header`` fires once).
        if in_head and self._in_head and self._head_bytes == head_before:
            self._head_bytes += len(data)
            if self._head_bytes > self._head_cap:
                self._head_too_large()

    def eof_received(self) -> bool | None:
        return None  # close our side too (no half-open request/response)

    # -- httptools callbacks ------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._idle = False
        self._in_head = True
        timer = self._timer  # ``ConnectionTimer.head_begins``, without the call
        timer.idle_since = None
        if timer.head_since is None:
            timer.head_since = self.loop.time()
        self._url = b""
        self._headers = []
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._head_bytes += len(url)
        if self._head_bytes > self._head_cap:
            logger.warning("Request target over %d bytes refused (414).", self._head_cap)
            raise ParseStop(414, "URI too long", "url_too_long")

    def on_header(self, name: bytes, value: bytes) -> None:
        # Runs once per header field of every request: one test for the common field.
        size = self._head_bytes = self._head_bytes + len(name) + len(value) + 4
        headers = self._headers
        if size > self._head_cap or len(headers) >= self._field_cap or not self._in_head:
            unusual_header(self)
            return
        headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._timer.head_since = None  # ``ConnectionTimer.head_complete``, without the call
        parser = self._parser
        # ``get_http_version`` formats a new string each call: the version read from the line
        # when this head's line started a read (nearly always), else llhttp's.
        version, self._version = self._version or parser.get_http_version(), None
        headers = self._headers
        error = framing_error(version, headers)
        if error is not None:
            logger.warning("Invalid HTTP request received (%s) from %s.", error[1], self.peer)
            raise ParseStop(*error)
        target = self._url
        line, self._line = self._line, None
        if line is not None:
            target = target_of(line) or target
        keep_alive = parser.should_keep_alive() and not self.ctx.draining
        if keep_alive and version == "1.0" and says_close(headers):
            keep_alive = False
        method, self._method = self._method or parser.get_method(), None
        if target[:1] != b"/":  # absolute-, asterisk- or authority-form (``framing.origin_form``)
            origin = origin_form(method, target, headers)
            if origin is None:
                raise ParseStop(400, "invalid request target")
            target = origin
        exchange = Exchange(self, method.decode(), target, headers, version, keep_alive)  # a token: ASCII
        self._parsing = exchange
        queue = self._queue  # ``_enqueue`` inlined: one call less per request
        queue.append(exchange)
        if len(queue) > MAX_PIPELINED:
            pause(self)

    def on_body(self, body: bytes) -> None:
        if self._parsing is not None:
            self._parsing.feed(body)

    def on_message_complete(self) -> None:
        self._idle = True
        exchange, self._parsing = self._parsing, None
        if exchange is not None:
            exchange.body_done = True  # ``Exchange.finish`` inlined for the reader-less common case
            if exchange._waiter is not None:
                exchange.finish()

    # -- parsing helpers ----------------------------------------------------------------------

    def _head_too_large(self) -> None:
        logger.warning("Request head over %d bytes refused (431).", self._head_cap)
        fail(self, 431, "Request header fields too large", "headers_too_large")

    # -- the queue of requests ----------------------------------------------------------------

    def _enqueue(self, exchange: Exchange) -> None:
        """Queued; ``data_received`` hands the queue's head to the handler after the parse."""
        self._queue.append(exchange)
        if len(self._queue) > MAX_PIPELINED:
            pause(self)

    def _start(self) -> None:
        """The queue's head to the handler: answered at once when it can be (``fastlane``), else
        by a task."""
        self._active = True
        # Any: a stand-in handler (the wire fuzz target) is not a ProxyHandler, which compiled
        # code would check for.
        ctx: Any = self.ctx
        ctx.handler.start(self._queue[0])

    def finished(self, exchange: Exchange, keep_alive: bool) -> None:
        """The handler is done with ``exchange``: close, or answer the next queued request."""
        if self._queue and self._queue[0] is exchange:
            self._queue.popleft()
        self._task = None
        self._active = False
        if not keep_alive or self.closed:
            self.close()
            return
        if self._queue:
            if len(self._queue) <= MAX_PIPELINED and not self._broken:
                resume(self)
            self._start()
            return
        # Draining or not, an answer sent without ``Connection: close`` lets the client send its
        # next request at once: cutting the connection now would reset that request. Its next
        # request is parsed with keep-alive off (answered, then closed); if none comes, the idle
        # timeout ends it.
        self._timer.answered()

    # -- writing (its flow control: ``flow``) ---------------------------------------------------

    def write(self, data: bytes) -> None:
        if not self.closed:
            self.transport.write(data)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.transport.close()

    @property
    def idle(self) -> bool:
        """No request in flight (graceful drain closes these at once)."""
        return not self._queue and not self._active

    @property
    def requests(self) -> int:
        """Requests parsed and not yet answered (the one being answered included)."""
        return len(self._queue)
