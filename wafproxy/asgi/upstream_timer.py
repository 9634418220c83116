"""The read timeout of an upstream connection, on one timer re-armed lazily.

Split from ``upstream_conn`` (the connection's protocol and exchange state): how a wait for the
upstream's next bytes is bounded is its own concern. No call_later + cancel per wait (~2 µs each,
issue 2): a wait only records when it times out; the connection's one pending timer is replaced
only when it would fire too late, and when it fires early (for an older wait) it re-arms for what
is left of the current one, or does nothing when no wait is in progress any more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class ReadTimer:
    __slots__ = ("loop", "_waiting", "_expired", "_handle", "_at", "_until")

    def __init__(self, loop: asyncio.AbstractEventLoop, waiting: Callable[[], bool],
                 expired: Callable[[], None]) -> None:
        self.loop = loop
        self._waiting = waiting  # whether a wait is still in progress when the timer fires
        self._expired = expired  # the wait timed out
        self._handle: asyncio.TimerHandle | None = None
        self._at = 0.0  # when the pending handle fires
        self._until = 0.0  # when the current wait times out

    def expect(self, seconds: float) -> None:
        """A wait starts: it times out ``seconds`` from now unless a byte comes (another ``expect``)."""
        loop = self.loop
        until = loop.time() + seconds
        self._until = until
        handle = self._handle
        if handle is None or self._at > until:
            if handle is not None:
                handle.cancel()
            self._at = until
            self._handle = loop.call_at(until, self._check)

    def _check(self) -> None:
        self._handle = None
        if not self._waiting():
            return  # no wait in progress: the next one arms a timer
        until = self._until
        if self.loop.time() < until:
            self._at = until
            self._handle = self.loop.call_at(until, self._check)
            return
        self._expired()

    def stop(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            try:
                handle.cancel()
            except RuntimeError:
                pass  # its event loop is closed already: the timer went with it
