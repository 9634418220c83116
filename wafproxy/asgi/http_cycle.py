"""One ``transport.write`` per small response instead of two (head, then body).

uvicorn's ``RequestResponseCycle.send`` writes the status line and headers on
``http.response.start`` and the body on ``http.response.body``: two syscalls and two TCP segments
for a response the proxy already holds whole (py-spy: the second largest cost of the proxy path
after the engine). An app that will send the complete body right after the start message says so
with ``BODY_FOLLOWS: True`` in the start message; the cycle then holds the serialized head and
writes it together with the body. Any other app, and any other server, is unaffected: the key is
ignored without this cycle, and without the key this cycle is uvicorn's.

The serialization itself stays uvicorn's (header validation, Content-Length accounting, keep-alive):
``send`` runs uvicorn's code against a stand-in transport that captures or prefixes the write.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

__all__ = ["BODY_FOLLOWS", "CoalescingCycle"]

BODY_FOLLOWS = "wafproxy.body_follows"
"""Start-message key: the app sends the complete body in the very next message, without awaiting
anything else in between (so holding the head delays nothing)."""


class _Capture:
    """Stands in for the transport while uvicorn serializes the head: keeps the bytes."""

    __slots__ = ("data",)

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data


class _Prefix:
    """Stands in for the transport while uvicorn writes the body: the held head goes first."""

    __slots__ = ("real", "head")

    def __init__(self, real: Any, head: bytes) -> None:
        self.real = real
        self.head: bytes | None = head

    def write(self, data: bytes) -> None:
        head, self.head = self.head, None
        self.real.write(head + data if head is not None else data)

    def close(self) -> None:
        self.flush()
        self.real.close()

    def flush(self) -> None:
        head, self.head = self.head, None
        if head is not None:
            self.real.write(head)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class CoalescingCycle(RequestResponseCycle):
    """uvicorn's cycle, holding the head of a ``BODY_FOLLOWS`` response until its body.

    ``BoundedHttpToolsProtocol`` switches each new cycle to this class (same layout, no copy)."""

    _held_head: bytes | None = None

    async def send(self, message: Any) -> None:
        head = self._held_head
        if head is not None:
            self._held_head = None
            real = self.transport
            prefix = _Prefix(real, head)
            self.transport = prefix  # type: ignore[assignment]
            try:
                await super().send(message)
            finally:
                self.transport = real
                if not self.disconnected:
                    prefix.flush()  # uvicorn refused the message before writing: head as before
            return
        if (
            message.get(BODY_FOLLOWS)
            and not self.response_started
            and not self.disconnected
            and not self.flow.write_paused
            and self.scope["method"] != "HEAD"  # a HEAD body is never written: nothing to join
        ):
            real = self.transport
            capture = _Capture()
            self.transport = capture  # type: ignore[assignment]
            try:
                await super().send(message)
            finally:
                self.transport = real
            self._held_head = capture.data or None
            return
        await super().send(message)
