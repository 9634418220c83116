"""Generated request streams for the differential matrix, and the verdict on one.

``streams(seed, n)``: well-framed requests of each framing (none, Content-Length, chunked with
extensions and trailers, HTTP/1.0 keep-alive, raw UTF-8, an unknown method, spaces in the target,
``HTTP/1.2``, absolute-form), alone or pipelined, each mutated one to three times at a random
place by a byte or a piece of syntax that matters to framing (CR, LF, NUL, VT, FF, DEL, a UTF-8
byte, a colon, a comma, a quote, a framing field, a chunk, a request line...). Most mutants are
broken; which ones, and how, is for ``smuggle_ref`` to say and the server to agree with.

``verdict(reading, served)``: None when the server's reading agrees with the strict one, else
the kind of disagreement. The server may be *fussier* (refuse a request the strict reader takes:
an llhttp limit, documented in ``server.framing``), never *looser*: it never forwards a request
the strict reader refuses, never one the strict reader reads otherwise.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from tests.server import smuggle_ref as ref
from tests.server.smuggle_drive import Served

H = b"Host: x\r\n"
BASES = (
    b"GET /a HTTP/1.1\r\n" + H + b"\r\n",
    b"POST /b HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n\r\nhello",
    b"POST /c HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"POST /d HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
    b"GET /e HTTP/1.0\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nhi",
    b"GET /wiki/Z\xc3\xbcrich HTTP/1.1\r\n" + H + b"\r\n",
    b"PURGE /f HTTP/1.1\r\n" + H + b"Content-Length: 3\r\n\r\nabc",
    b"GET /g h HTTP/1.2\r\n" + H + b"\r\n",
    b"POST http://x/h HTTP/1.1\r\n" + H + b"Content-Length: 1\r\n\r\nz",
)
PIECES = (
    b" ", b"\t", b"\r", b"\n", b"\r\n", b"\x00", b"\x0b", b"\x0c", b"\x7f", b"\xc3\xbc", b"\xff", b":", b";",
    b",", b"0", b"5", b"a", b"x", b'"', b"=", b"-", b"_", b"+", b"  ",
    b"Transfer-Encoding: chunked\r\n", b"Transfer-Encoding: identity\r\n", b"Content-Length: 5\r\n",
    b"Content-Length: 0\r\n", b"Host: y\r\n", b"Connection: close\r\n", b"Connection: keep-alive\r\n",
    b"Expect: 100-continue\r\n", b"Upgrade: websocket\r\n", b"Connection: Upgrade\r\n",
    b"chunked", b"HTTP/1.0", b"HTTP/1.1", b" HTTP/1.1\r\n", b"GET ", b"PURGE ", b"http://x",
    b"0\r\n\r\n", b"5\r\nhello\r\n", b"1\r\nx\r\n", b"ffffffffffffffff",
    b"\r\n\r\n", b"Transfer-Encoding: chunked, chunked\r\n", b"Content-Length: 5, 5\r\n",
    b"Connection: content-length\r\n", b"Content_Length: 5\r\n", b"Trailer: x\r\n", b"HTTP/1.2",
    b"OPTIONS * ", b"CONNECT x:80 ", b"HEAD ", b"Connection: keep-alive, close\r\n", b" \r\n",
)


def mutate(rng: random.Random, data: bytes) -> bytes:
    for _ in range(rng.randint(1, 3)):
        op, at = rng.random(), rng.randrange(len(data) + 1)
        if op < 0.45:
            data = data[:at] + rng.choice(PIECES) + data[at:]
        elif op < 0.75:
            data = data[:at] + rng.choice(PIECES) + data[at + 1:]
        elif op < 0.9:
            data = data[:at] + data[at + rng.randint(1, 3):]
        else:
            data += rng.choice(BASES)
    return data


def streams(seed: int, n: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    for _ in range(n):
        data = rng.choice(BASES)
        if rng.random() < 0.3:
            data += rng.choice(BASES)
        yield mutate(rng, data)


def verdict(reading: ref.Reading, served: Served) -> str | None:
    want, got = reading.requests, served.forwarded
    if got[:len(want)] != want[:len(got)]:
        return "read otherwise"
    if len(got) > len(want) + (reading.end == ref.EITHER):
        return "forwarded what the strict reader refuses"
    if len(got) == len(want) + 1 and reading.meaning is not None and got[-1] != reading.meaning:
        return "read otherwise"
    return None

