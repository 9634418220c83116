"""What a probe is and wants (``Want``, ``Probe``), and the request builder the probe classes
share (``probegen``, ``probegen_head``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

H = b"Host: x\r\n"
HELLO = b"5\r\nhello\r\n0\r\n\r\n"
BAD = frozenset({400})
NOT_IMPLEMENTED = frozenset({501})  # chunked final after codings we do not decode (RFC 9112 §6.1)
VERSION = frozenset({400, 505})


Request = tuple[bytes, bytes, bytes]  # (method, target, body) as the upstream reads it


@dataclass(frozen=True)
class Want:
    """``reached``: what the upstream reads, in order (each answered 200). ``statuses`` non-empty:
    then the probe's last request is refused with one of them, the connection closed, and nothing
    after it read."""

    statuses: frozenset[int] = frozenset()
    reached: tuple[Request, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.statuses)


@dataclass(frozen=True)
class Probe:
    cls: str
    id: str
    data: bytes
    want: Want


def refuse(statuses: Iterable[int] = BAD, after: tuple[Request, ...] = ()) -> Want:
    return Want(frozenset(statuses), after)


def accept(method: bytes, target: bytes, body: bytes = b"") -> Want:
    return Want(reached=((method, target, body),))


def request(
    method: bytes = b"POST",
    target: bytes = b"/p",
    fields: bytes = b"",
    body: bytes = b"",
    version: bytes = b"HTTP/1.1",
    host: bytes = H,
) -> bytes:
    return method + b" " + target + b" " + version + b"\r\n" + host + fields + b"\r\n" + body
