"""``upstream_head.read_whole`` against llhttp: every response it takes, it reads as llhttp does.

The reference is the same ``UpstreamConnection`` fed through llhttp only (``_feed``); the
connection under test gets the bytes as a socket read (``data_received``), where ``read_whole``
may take them first. For every generated message the two must end in the same state: status,
headers, framing, keep-alive, body, and an error exactly when llhttp refuses. And it must take
the common responses (else the fast path silently went away).
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Iterator

import pytest

from wafproxy.asgi import upstream_head
from wafproxy.asgi.upstream_conn import UpstreamConnection
from wafproxy.asgi.upstream_head import _RETRY, MEMO_MAX, parse_head, read_whole

NGINX = (b"HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nDate: Mon, 07 Dec 2026 22:00:00 GMT\r\n"
         b"Content-Type: text/html\r\nContent-Length: %d\r\nConnection: keep-alive\r\n\r\n")

STATUS_LINES = [b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found", b"HTTP/1.1 503 Busy", b"HTTP/1.1 200 ",
                b"HTTP/1.1 200", b"HTTP/1.0 200 OK", b"HTTP/1.1 204 No Content", b"HTTP/1.1 304 Not Modified",
                b"HTTP/1.1 100 Continue", b"HTTP/1.1 101 Switching", b"HTTP/1.1 600 Odd", b"HTTP/1.1 099 X",
                b"HTTP/1.1  200 OK", b"HTTP/1.1 2OO OK", b"HTTP/2.0 200 OK", b"http/1.1 200 OK",
                b"HTTP/1.1 200 O\x01K", b"HTTP/1.1 200 \xc3\xa9", b"HTTP/1.1 200 OK\tfine"]
FIELDS = [b'Server: nginx', b'X-A: b', b'x-a:b', b'X-A:  b', b'X-A:\tb', b'X-A: b ', b'X-A: b\t',
          b'X-A: ', b'X-A:', b'X-A : b', b' X-A: b', b'\tX-A: b', b'X A: b', b'X-A b', b': b',
          b'X-A: a\rb', b'X-A: a\nb', b'X-A: a\x00b', b'X-A: a\x7fb', b'X-A: \xc3\xa9', b'X-\xc3\xa9: b',
          b'X-A: a, b; q="c"', b'Connection: keep-alive', b'Connection: close',
          b'Connection: Keep-Alive', b'connection: CLOSE', b'Connection: upgrade',
          b'Connection: keep-alive, close', b'Connection: X-A', b'Keep-Alive: timeout=5',
          b'Transfer-Encoding: chunked', b'Transfer-Encoding: identity', b'Upgrade: h2c',
          b'Proxy-Connection: close', b'Content-Length: 5', b'content-length: 5', b'Content-Length: 05',
          b'Content-Length:5', b'Content-Length: 5 ', b'Content-Length: +5', b'Content-Length: -1',
          b'Content-Length: 5, 5', b'Content-Length: 0x5', b'Content-Length: 4', b'Content-Length: 6',
          b'Content-Length: 0', b'Content-Length: 99999999999999999999', b'Trailer: X-B',
          b'TE: trailers', b'Set-Cookie: a=b; Path=/; HttpOnly', b'ETag: "5f2-1a"',
          b"X-!#$%&'*+.^_`|~: v"]


def _conn(loop: asyncio.AbstractEventLoop) -> UpstreamConnection:
    conn = UpstreamConnection(loop, "http://upstream.test", 30.0)
    conn.begin(False)
    return conn


def _state(conn: UpstreamConnection) -> tuple[object, ...]:
    return (conn.status, conn.headers, conn.headers_done, conn.complete, conn.keep_alive,
            type(conn.error).__name__ if conn.error is not None else None, b"".join(conn._chunks))


def _messages(seed: int, n: int) -> Iterator[bytes]:
    rnd = random.Random(seed)
    for _ in range(n):
        line = rnd.choice(STATUS_LINES) if rnd.random() < 0.3 else b"HTTP/1.1 200 OK"
        fields = rnd.sample(FIELDS, rnd.randrange(0, 5))
        if rnd.random() < 0.7:
            fields.insert(rnd.randrange(len(fields) + 1), b"Content-Length: 5")
        body = rnd.choice([b"hello", b"hello", b"hell", b"hello!", b"", b"hello" + NGINX % 5 + b"world"])
        yield b"\r\n".join([line, *fields]) + b"\r\n\r\n" + body


def _compare(message: bytes, loop: asyncio.AbstractEventLoop) -> bool:
    """Both ways end alike; whether ``read_whole`` took ``message``."""
    upstream_head._RUN.unseen = 0  # each message parsed (not left to llhttp as one of a run of new heads)
    reference = _conn(loop)
    reference.got_bytes = True
    reference._feed(message)
    fast = _conn(loop)
    fast.data_received(message)
    assert _state(fast) == _state(reference), message
    if fast.parsed is not None:
        assert reference.error is None and reference.complete, message  # taken: never what llhttp refuses
    return fast.parsed is not None


def test_read_whole_reads_as_llhttp_does() -> None:
    loop = asyncio.new_event_loop()
    try:
        taken = sum(_compare(message, loop) for message in _messages(7, 6000))
        for line, field in itertools.product(STATUS_LINES, FIELDS):  # each mutation alone, too
            taken += _compare(line + b"\r\nContent-Length: 5\r\n" + field + b"\r\n\r\nhello", loop)
            taken += _compare(line + b"\r\n" + field + b"\r\nContent-Length: 5\r\n\r\nhello", loop)
    finally:
        loop.close()
    assert taken > 400, "the common responses must be read without llhttp"


@pytest.mark.parametrize("message", [
    NGINX % 5 + b"hello",
    NGINX % 0,
    b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nConnection: close\r\n\r\nnot",
])
def test_the_common_responses_are_taken(message: bytes) -> None:
    loop = asyncio.new_event_loop()
    try:
        assert _compare(message, loop)
    finally:
        loop.close()


@pytest.mark.parametrize("message", [
    NGINX % 5 + b"hell",  # the body still arriving
    NGINX % 5 + b"hello" + NGINX % 8 + b"smuggled",  # a second response behind the first
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nX-A : v\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 100 Continue\r\n\r\n" + NGINX % 5 + b"hello",
    b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
])
def test_what_llhttp_frames_otherwise_is_left_to_it(message: bytes) -> None:
    assert read_whole(message) is None
    loop = asyncio.new_event_loop()
    try:
        assert not _compare(message, loop)
    finally:
        loop.close()


def test_a_head_response_is_left_to_llhttp() -> None:
    """A HEAD's response announces a length it does not send: llhttp is told (a fresh parser)."""
    loop = asyncio.new_event_loop()
    try:
        conn = UpstreamConnection(loop, "http://upstream.test", 30.0)
        conn.begin(True)
        conn.data_received(NGINX % 5)
        assert conn.parsed is None and conn.complete and conn.status == 200 and not conn._chunks
    finally:
        loop.close()


def test_a_kept_alive_connection_reads_its_next_response_either_way() -> None:
    """Taken by ``read_whole`` or by llhttp, one response leaves llhttp ready for the next."""
    loop = asyncio.new_event_loop()
    try:
        conn = _conn(loop)
        for message in [NGINX % 5 + b"hello", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b"5\r\nhello\r\n0\r\n\r\n", NGINX % 5 + b"hello", NGINX % 5 + b"hel"]:
            conn.data_received(message)
            if not conn.complete:
                conn.data_received(b"lo")
            assert (conn.complete, conn.error, b"".join(conn._chunks)) == (True, None, b"hello"), message
            conn._chunks.clear()
            conn.begin(False)
    finally:
        loop.close()


def test_the_memo_is_bounded_and_reused() -> None:
    upstream_head._MEMO.clear()
    first = read_whole(NGINX % 5 + b"hello")
    assert first is not None and read_whole(NGINX % 5 + b"hello") is first
    for i in range(MEMO_MAX * 2):
        upstream_head._RUN.unseen = 0
        assert read_whole(b"HTTP/1.1 200 OK\r\nX-N: %d\r\nContent-Length: 0\r\n\r\n" % i) is not None
        assert len(upstream_head._MEMO) <= MEMO_MAX
        assert len(upstream_head._LINES) <= MEMO_MAX


def test_a_run_of_new_heads_is_mostly_left_to_llhttp() -> None:
    """An upstream whose every head is new (a request id in each) pays a lookup per response, not a
    parse: one in ``_RETRY`` is looked at, llhttp reads the others; a head seen again is taken again."""
    upstream_head._MEMO.clear()
    upstream_head._RUN.unseen = 0
    unique = [b"HTTP/1.1 200 OK\r\nX-Id: %d\r\nContent-Length: 0\r\n\r\n" % i for i in range(20 * _RETRY)]
    taken = sum(read_whole(message) is not None for message in unique)
    assert _RETRY <= taken <= 2 * _RETRY + 20
    # The last one was parsed (its turn): in the memo now, and seen again at the next look.
    assert any(read_whole(unique[-1]) is not None for _ in range(_RETRY))
    assert read_whole(NGINX % 5 + b"hello") is not None  # after a hit, a new head is parsed again


def test_parse_head_keeps_names_as_sent() -> None:
    parsed = parse_head(b"HTTP/1.1 201 Created\r\nX-Mixed-Case:\tv\r\nContent-Length: 0\r\nConnection: close")
    assert parsed is not None
    assert (parsed.status, parsed.headers, parsed.length, parsed.keep_alive) == (
        201, [(b"X-Mixed-Case", b"v"), (b"Content-Length", b"0"), (b"Connection", b"close")], 0, False)
