"""The server's reading of a client's bytes, in process and cut any way: the other half of the
differential matrix (``smuggle_ref`` is the strict reader it is compared with).

An ``HttpConnection`` (llhttp and ``server.framing``, as served) on a fresh event loop, a transport
that collects what is written, and a handler standing where ``ProxyHandler`` does: it answers
exchanges in order and reads each body whole before "forwarding" it (the WAF reads before it
forwards), recording ``(method, target, body)`` as the upstream would get them. The bytes are
delivered in the pieces asked for, with the event loop turning between them as on a socket, so
the same request cut at every byte exercises every path a real client's segmentation can take.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from wafproxy.asgi.limits import ShieldLimits
from wafproxy.server.connection import HttpConnection
from wafproxy.server.context import ServerContext
from wafproxy.server.exchange import BodyTimeout, BodyTooLarge, ClientGone, Exchange, MalformedBody

Request = tuple[bytes, bytes, bytes]


@dataclass
class Served:
    forwarded: list[Request] = field(default_factory=list)
    refused: int = 0  # the status the server answered instead of the next request, 0 if none
    malformed: bool = False  # a body broke after its head was accepted (its request not forwarded)
    upgrade: bool = False  # an upgrade/CONNECT handed to the handler (not a plain request)

    def key(self) -> tuple[object, ...]:
        return tuple(self.forwarded), self.refused, self.malformed, self.upgrade


class _Transport:
    def __init__(self) -> None:
        self.closed = False
        self.reading = True

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default

    def write(self, data: bytes) -> None:
        pass

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def close(self) -> None:
        self.closed = True


class _Handler:
    def __init__(self, served: Served) -> None:
        self.served = served

    def start(self, exchange: Exchange) -> None:
        exchange.conn._task = exchange.conn.loop.create_task(self.handle(exchange))

    async def handle(self, ex: Exchange) -> None:
        served = self.served
        keep = False
        if ex.error is not None:
            served.refused = ex.error[0]
        elif ex.upgrade is not None:
            served.upgrade = True
        else:
            body = b""
            try:
                while chunk := await ex.read(5.0, 1 << 22):
                    body += chunk
            except MalformedBody:
                served.malformed = True
            except (ClientGone, BodyTimeout, BodyTooLarge):
                pass
            else:
                served.forwarded.append((ex.method.encode(), ex.target, body))
                keep = ex.keep_alive
        ex.conn.finished(ex, keep)


async def _serve(pieces: list[bytes]) -> Served:
    served = Served()
    ctx = ServerContext(_Handler(served), ShieldLimits())  # type: ignore[arg-type]
    conn = HttpConnection(ctx, asyncio.get_running_loop())
    transport = _Transport()
    conn.connection_made(transport)  # type: ignore[arg-type]
    for piece in pieces:
        for _ in range(50):  # a paused transport (a full queue) resumes once the handler catches up
            if transport.reading or conn.closed:
                break
            await asyncio.sleep(0)
        if conn.closed:
            break
        conn.data_received(piece)
        for _ in range(4):
            await asyncio.sleep(0)
    for _ in range(20):
        await asyncio.sleep(0)
    conn.connection_lost(None)
    pending = asyncio.all_tasks() - {asyncio.current_task()}
    if pending:
        await asyncio.wait(pending, timeout=2.0)
    return served


def serve(pieces: list[bytes]) -> Served:
    """What the server forwards of ``pieces``, delivered one read each."""
    log = logging.getLogger("wafproxy.server")
    before, log.disabled = log.disabled, True
    try:
        return asyncio.run(_serve(pieces))
    finally:
        log.disabled = before


def cuts(data: bytes, rng: random.Random, randoms: int = 3) -> Iterator[tuple[str, list[bytes]]]:
    """Ways to deliver ``data``: whole, a byte a read, a line a read (split after each LF and
    before each CR), and ``randoms`` random cuts."""
    yield "whole", [data]
    yield "bytes", [data[i:i + 1] for i in range(len(data))]
    lines, at = [], 0
    for i, b in enumerate(data):
        if b == 0x0A:
            lines.append(data[at:i + 1])
            at = i + 1
    lines.append(data[at:])
    yield "lines", [p for p in lines if p]
    split_cr, at = [], 0
    for i, b in enumerate(data):
        if b == 0x0D and i > at:
            split_cr.append(data[at:i])
            at = i
    split_cr.append(data[at:])
    yield "before-cr", [p for p in split_cr if p]
    for n in range(randoms):
        count = min(len(data) - 1, rng.randint(1, 6))
        points = sorted(rng.sample(range(1, len(data)), count)) if count > 0 else []
        edges = [0, *points, len(data)]
        yield f"random{n}", [data[a:b] for a, b in zip(edges, edges[1:]) if b > a]
