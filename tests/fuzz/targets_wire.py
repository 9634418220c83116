"""Fuzz targets of the bytes a client sends on the wire, before the engine sees a request.

* ``http1``: the proxy server's HTTP/1.1 parsing and framing (``server.connection`` with llhttp and
  ``server.framing``), driven the cheapest real way: an ``HttpConnection`` protocol on a fresh event
  loop, a transport that only collects what is written, and a handler that records each exchange
  and reads its body as the proxy's handler does. It documents no error: a malformed request is
  answered 4xx and the connection closed, so *any* exception out of the protocol is a crash. Checked
  besides: nothing is parsed (let alone forwarded) after a request refused while parsing.
* ``body-decoding``: ``engine.bodycodec`` (gzip/deflate/br with size and ratio caps); documented
  errors ``DecompressionRefused`` and ``UnsupportedEncoding``; output never past ``max_size``.
* ``ws-frames``: ``server.wsframes.FrameGuard``; no documented error; the verdict must not depend on
  how the stream is cut into chunks.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import zlib
from typing import Any

from tests.fuzz.harness import Target
from wafproxy.asgi.limits import ShieldLimits
from wafproxy.engine.bodycodec import BodyDecoder, DecodeLimits, DecompressionRefused, UnsupportedEncoding
from wafproxy.server.connection import HttpConnection
from wafproxy.server.context import ServerContext
from wafproxy.server.exchange import BodyTimeout, BodyTooLarge, ClientGone, Exchange, MalformedBody
from wafproxy.server.wsframes import FrameGuard

# ---- HTTP/1.1 request parsing and framing --------------------------------------------------------

CHUNKED_MARK = b"\x00"  # an input starting with it is delivered in chunks of (next byte + 1) bytes


class _Transport:
    """What the protocol needs of a socket: writes collected, reading paused or not."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False
        self.reading = True

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default

    def write(self, data: bytes) -> None:
        assert not self.closed, "write after close"
        self.written.append(data)

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def close(self) -> None:
        self.closed = True


class _Handler:
    """Stands where ``ProxyHandler`` does: answers exchanges in order, reading each body whole
    (the WAF inspects before forwarding); records what it would have forwarded."""

    def __init__(self) -> None:
        self.seen: list[tuple[Exchange, str]] = []

    def start(self, exchange: Exchange) -> None:
        """As ``ProxyHandler.start`` does when its fast lane does not take the request."""
        exchange.conn._task = exchange.conn.loop.create_task(self.handle(exchange))

    async def handle(self, exchange: Exchange) -> None:
        outcome = "refused" if exchange.error is not None else ""
        outcome = "upgrade" if exchange.upgrade is not None else outcome
        if not outcome:
            try:
                while await exchange.read(5.0, 1 << 20):
                    pass
                outcome = "forwarded"
            except MalformedBody:
                outcome = "malformed"
            except (ClientGone, BodyTimeout, BodyTooLarge):
                outcome = "gone"
        self.seen.append((exchange, outcome))
        exchange.conn.finished(exchange, exchange.keep_alive and outcome == "forwarded")


def _pieces(data: bytes) -> list[bytes]:
    if not data.startswith(CHUNKED_MARK) or len(data) < 2:
        return [data]
    size, body = data[1] + 1, data[2:]
    return [body[i : i + size] for i in range(0, len(body), size)] or [b""]


async def _serve(data: bytes) -> None:
    handler = _Handler()
    ctx = ServerContext(handler, ShieldLimits())  # type: ignore[arg-type]
    conn = HttpConnection(ctx, asyncio.get_running_loop())
    transport = _Transport()
    conn.connection_made(transport)  # type: ignore[arg-type]
    for piece in _pieces(data):
        if transport.reading and not conn.closed:
            conn.data_received(piece)
        for _ in range(3):
            await asyncio.sleep(0)  # the handler's task runs between reads, as on a socket
    refused_while_parsing = conn._broken and conn.tunnel is None and not any(
        e.upgrade is not None for e, _ in handler.seen)
    conn.connection_lost(None)
    pending = asyncio.all_tasks() - {asyncio.current_task()}
    if pending:
        _, stuck = await asyncio.wait(pending, timeout=2.0)
        assert not stuck, f"{len(stuck)} handler task(s) still waiting after the client left"
    _check(handler.seen, refused_while_parsing, ctx)


def _check(seen: list[tuple[Exchange, str]], refused: bool, ctx: ServerContext) -> None:
    outcomes = [o for _, o in seen]
    if "refused" in outcomes:  # the 4xx answer is the last thing: nothing parsed after it
        assert outcomes.index("refused") == len(outcomes) - 1, outcomes
        assert refused and sum(ctx.refusals.values()) > 0, "a refusal that was not counted"
    for exchange, outcome in seen:
        if outcome == "forwarded":  # a body handed on whole was received whole, framing intact
            assert exchange.body_done and not exchange.malformed and exchange.error is None
            assert exchange.received == exchange.read_bytes


def _http1(data: bytes) -> None:
    server_log = logging.getLogger("wafproxy.server")  # one warning per refused input: quiet here
    before, server_log.disabled = server_log.disabled, True
    try:
        asyncio.run(_serve(data))
    finally:
        server_log.disabled = before


H = b"Host: shop.example\r\n"
HTTP1_SEEDS = (
    b"GET /search?q=%3Cscript%3E&page=2 HTTP/1.1\r\n" + H + b"User-Agent: curl/8.4\r\nAccept: */*\r\n"
    b"Cookie: s=1; t=2\r\n\r\n",
    b"POST /login HTTP/1.1\r\n" + H + b"Content-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 22\r\n\r\nuser=admin&pass=x'--+1",
    b"POST /upload HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n"
    b"6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n",
    b"GET /a HTTP/1.1\r\n" + H + b"\r\nGET /b HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n",
    b"GET /wiki/Z\xc3\xbcrich HTTP/1.1\r\n" + H + b"\r\n",
    b"GET /chat HTTP/1.1\r\n" + H + b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\x81\x85abcd",
    b"PUT /x HTTP/1.1\r\n" + H + b"Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    b"GET /old HTTP/1.0\r\n\r\n",
    CHUNKED_MARK + b"\x06POST /c HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
    b"3\r\nabc\r\n0\r\n\r\n"
    b"GET /next HTTP/1.1\r\n" + H + b"\r\n",
)
HTTP1_TOKENS = (b"\r\n", b"\r\n\r\n", b"Transfer-Encoding: chunked\r\n", b"Content-Length: 5\r\n", H,
                b"0\r\n\r\n", b" HTTP/1.0", b" HTTP/2.0", b"\xc3\xbc", b"Upgrade: websocket\r\n",
                b"CONNECT ", b"ffffffff\r\n", b"Expect: 100-continue\r\n", b"\n", b" ")


def _http1_seeds() -> tuple[bytes, ...]:
    from tests.server.test_malformed import MALFORMED  # the framing corpus of the server's tests

    return HTTP1_SEEDS + tuple(raw for _, raw, _ in MALFORMED)


# ---- request-body decoding -----------------------------------------------------------------------

ENCODINGS = ("gzip", "deflate", "br", "x-gzip", "identity", "gzip, deflate")
CODEC_LIMITS = DecodeLimits(max_size=256 * 1024, max_ratio=100)


def _decode(data: bytes) -> None:
    """``[encoding index][chunk size - 1]body``: the body fed in chunks, then finished."""
    if len(data) < 2:
        return
    from wafproxy.engine.bodycodec import encoding_of

    encoding = encoding_of((ENCODINGS[data[0] % len(ENCODINGS)],))
    if encoding == "identity":
        return
    decoder = BodyDecoder(encoding, CODEC_LIMITS)
    size, body = (data[1] + 1) * 16, data[2:]
    produced = 0
    for i in range(0, len(body), size):
        produced += len(decoder.feed(body[i : i + size]))
    produced += len(decoder.finish())
    assert produced == decoder.produced <= CODEC_LIMITS.max_size, (produced, decoder.produced)


_FORM = b"user=admin&q=1%27%20OR%20%271%27%3D%271&comment=" + b"<script>alert(1)</script>" * 8
CODEC_SEEDS = (
    b"\x00\x03" + gzip.compress(_FORM),
    b"\x00\x00" + gzip.compress(b'{"a": "<svg onload=x>"}') + gzip.compress(b"union select 1") + b"\0\0",
    b"\x01\x07" + zlib.compress(_FORM),
    b"\x01\x01" + zlib.compress(_FORM)[2:-4],  # raw deflate, as some clients send it
    b"\x00\x3f" + gzip.compress(b"\0" * (1 << 20)),  # a bomb: refused by the caps
    b"\x01\x3f" + zlib.compress(b"A" * 300_000),
)


# ---- websocket frame headers ---------------------------------------------------------------------

WS_MAX = 4096


def _ws_frames(data: bytes) -> None:
    """``[chunk size - 1]stream``: the verdict fed whole and fed in chunks must agree. Cut, a
    too-large frame's header begun in an earlier chunk has had those bytes passed on already
    (the guard holds no bytes back): at most 13 more than whole."""
    if not data:
        return
    size, stream = data[0] + 1, data[1:]
    whole = FrameGuard(WS_MAX)
    passed_whole = whole.feed(stream)
    cut = FrameGuard(WS_MAX)
    passed = 0
    for i in range(0, len(stream), size):
        piece = stream[i : i + size]
        taken = cut.feed(piece)
        assert 0 <= taken <= len(piece), (taken, len(piece))
        passed += taken
        if cut.violated:
            break
    assert 0 <= passed_whole <= len(stream)
    assert whole.violated == cut.violated, (whole.violated, passed_whole, passed)
    assert passed_whole == passed == len(stream) if not whole.violated else 0 <= passed - passed_whole < 14, (
        passed_whole, passed)


def _frame(payload: int, opcode: int = 0x81, masked: bool = True) -> bytes:
    mask = 0x80 if masked else 0
    if payload < 126:
        head = bytes([opcode, mask | payload])
    elif payload < 1 << 16:
        head = bytes([opcode, mask | 126]) + payload.to_bytes(2, "big")
    else:
        head = bytes([opcode, mask | 127]) + payload.to_bytes(8, "big")
    return head + (b"abcd" if masked else b"") + b"x" * min(payload, 300)


WS_SEEDS = (
    b"\x06" + _frame(5) + _frame(200) + _frame(0, 0x89),
    b"\x00" + _frame(1000, 0x82, masked=False) + _frame(125),
    b"\x02" + _frame(70_000) + _frame(3),
    b"\xff" + _frame(4096) + _frame(4097),
)

BUILDERS: dict[str, Any] = {
    "http1": lambda: Target("http1", _http1, (), _http1_seeds(), HTTP1_TOKENS),
    "body-decoding": lambda: Target("body-decoding", _decode, (DecompressionRefused, UnsupportedEncoding),
                                    CODEC_SEEDS, (b"\x1f\x8b\x08\x00", b"\x78\x9c", b"\0" * 4, b"\xff" * 8)),
    "ws-frames": lambda: Target("ws-frames", _ws_frames, (), WS_SEEDS,
                                (b"\x81\xfe", b"\x82\x7f", b"\xff\xff\xff\xff", b"\x00\x00")),
}
