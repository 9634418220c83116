"""The response side of the differential matrix: generated upstream answers, and what a strict
RFC 9112 client makes of each (``read``), for ``test_smuggle_matrix_responses``.

An answer is well-framed (``Answer``: its status and body as the client must get them, and the
bytes left after it on the connection, which nobody may ever read as a response) or not (None:
the proxy answers 502, or cuts the client connection short if its head is already out). Answers
whose body is delimited by the connection closing are told apart (``CLOSE``): the generator's
upstream keeps its connection open, so those are not sent.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from tests.server.smuggle_ref import DIGITS, FIELD_VALUE, HEX, TCHAR

SMUGGLED = b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled"
BASES = (
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\nhe\r\n3\r\nllo\r\n0\r\nT: 1\r\n\r\n",
    b"HTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\nETag: \"a\"\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
)
PIECES = (
    b" ", b"\t", b"\r", b"\n", b"\r\n", b"\x00", b"\x0b", b"\x7f", b"\xc3\xbc", b":", b";", b",", b"0", b"5",
    b"a", b"-", b"+", b"Content-Length: 5\r\n", b"Content-Length: 0\r\n", b"Content-Length: 13\r\n",
    b"Transfer-Encoding: chunked\r\n", b"Transfer-Encoding: identity\r\n", b"Connection: close\r\n",
    b"Connection: content-length\r\n", b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 101 Switching\r\n\r\n",
    SMUGGLED, b"0\r\n\r\n", b"5\r\nhello\r\n", b"chunked", b"HTTP/1.0", b" 204 ", b"\r\n\r\n",
)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    rest: bytes  # left on the connection after the answer (never relayed)


CLOSE = Answer(0, b"", b"")


class _Bad(Exception):
    pass


def _line(data: bytes, at: int) -> tuple[bytes, int]:
    end = data.find(b"\r\n", at)
    if end < 0 or b"\n" in data[at:end] or b"\r" in data[at:end]:
        raise _Bad
    return data[at:end], end + 2


def _head(data: bytes, at: int) -> tuple[int, list[tuple[bytes, bytes]], int]:
    while data[at:at + 1] in (b"\r", b"\n") and at < len(data):
        at += 1  # CR and LF between messages: skipped (llhttp; RFC 9112 §2.2 for requests)
    line, at = _line(data, at)
    if len(line) < 12 or line[:9] not in (b"HTTP/1.1 ", b"HTTP/1.0 ") or line[12:13] not in (b" ", b""):
        raise _Bad  # no reason, no SP before it: taken (RFC 9112 §4: a client SHOULD accept it)
    if not all(b in DIGITS for b in line[9:12]):
        raise _Bad  # the reason phrase is never relayed (ours is written): any byte but CR/LF
    fields: list[tuple[bytes, bytes]] = []
    while True:
        field, at = _line(data, at)
        if not field:
            return int(line[9:12]), fields, at
        fields.append(_field(field))


def _field(line: bytes) -> tuple[bytes, bytes]:
    name, colon, value = line.partition(b":")
    value = value.strip(b" \t")
    if not colon or not name or any(b not in TCHAR for b in name) or any(b not in FIELD_VALUE for b in value):
        raise _Bad
    return name.lower(), value


def read(data: bytes, head_only: bool = False) -> Answer | None:
    """What a strict client reads from ``data`` as the answer to a GET (``head_only``: a HEAD)."""
    try:
        at = 0
        while True:
            status, fields, at = _head(data, at)
            if status < 100 or status > 599:
                return None
            if status == 101:
                return None  # not asked for
            if status >= 200:
                break  # an interim answer has no body, whatever its fields say (RFC 9110 §15.2)
        te = [v for n, v in fields if n == b"transfer-encoding"]
        cl = [v for n, v in fields if n == b"content-length"]
        if te and (len(te) > 1 or cl or te[0].lower() != b"chunked"):
            return None
        if len(cl) > 1 or (cl and (not cl[0] or any(b not in DIGITS for b in cl[0]))):
            return None
        if head_only or status in (204, 304):
            return Answer(status, b"", data[at:])
        if te:
            body = b""
            while True:
                line, at = _line(data, at)
                size = line.partition(b";")[0]
                if not size or any(b not in HEX for b in size) or len(size) > 15:
                    return None
                n = int(size, 16)
                if not n:
                    break
                if data[at + n:at + n + 2] != b"\r\n":
                    return None
                body, at = body + data[at:at + n], at + n + 2
            while True:
                line, at = _line(data, at)
                if not line:
                    return Answer(status, body, data[at:])
                if _field(line)[0] == b"content-length":
                    return None  # llhttp refuses it in trailers (the head is out: cut short); a
                    # Transfer-Encoding there it takes, and trailers are never relayed
        if cl:
            n = int(cl[0])
            if len(data) < at + n:
                return None  # shorter than declared (the upstream then closes)
            return Answer(status, data[at:at + n], data[at + n:])
        return CLOSE
    except _Bad:
        return None


def answers(seed: int, n: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    for _ in range(n):
        data = rng.choice(BASES)
        for _ in range(rng.randint(1, 2)):
            op, at = rng.random(), rng.randrange(len(data) + 1)
            if op < 0.5:
                data = data[:at] + rng.choice(PIECES) + data[at:]
            elif op < 0.8:
                data = data[:at] + rng.choice(PIECES) + data[at + 1:]
            else:
                data = data[:at] + data[at + rng.randint(1, 3):]
        yield data
