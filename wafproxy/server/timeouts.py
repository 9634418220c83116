"""A connection's deadlines, on one timer: the head (slowloris), keep-alive idleness, its whole life.

Arming a ``call_later`` per request would cost on every keep-alive request (issue 2), so a wait
only stamps its start; the one pending timer, when it fires early for an older wait, re-arms for
what is left of the current one, and is moved earlier only when a new wait ends sooner than it.
``head_since``: waiting for a complete request head since then (from accept, or from the end of the
previous answer); ``idle_since``: nothing in flight and no byte of a next request since then;
``born``: accepted then, closed ``max_connection_seconds`` later whatever it is doing (a websocket
or a response read a byte a second would otherwise hold a connection slot for ever).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from wafproxy.asgi.limits import ShieldLimits


class ConnectionTimer:
    __slots__ = ("loop", "limits", "head_since", "idle_since", "born", "_handle", "_due", "_on_head_timeout",
                 "_on_idle", "_on_lifetime", "_first")

    def __init__(self, loop: asyncio.AbstractEventLoop, limits: ShieldLimits, *,
                 on_head_timeout: Callable[[], None], on_idle: Callable[[], None],
                 on_lifetime: Callable[[], None] | None = None) -> None:
        self.loop = loop
        self.limits = limits
        self.head_since: float | None = None
        self.idle_since: float | None = None
        self.born = loop.time()
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0  # when the pending handle fires
        self._on_head_timeout = on_head_timeout  # 408 and close (unless an answer is in flight)
        self._on_idle = on_idle  # close quietly
        self._on_lifetime = on_lifetime or on_idle  # close, whatever is in flight
        self._first = min(limits.header_timeout, limits.keep_alive_timeout)  # the sooner wait's length

    def waiting_for_head(self) -> None:
        """From accept: the first head must arrive in time."""
        self.head_since = self.loop.time()
        self.arm()

    def head_begins(self) -> None:
        """The first byte of a request: no longer idle, still waiting for the head."""
        self.idle_since = None
        if self.head_since is None:
            self.head_since = self.loop.time()

    def head_complete(self) -> None:
        self.head_since = None

    def answered(self) -> None:
        """The last answer is out and nothing is queued: idle, and the next head's wait starts."""
        now = self.loop.time()
        self.idle_since = now
        if self.head_since is None:
            self.head_since = now
            # Both waits start now: a pending timer due before either ends fires first and
            # re-arms then (what ``arm`` decides, without the call on every keep-alive answer).
            if self._handle is not None and self._due <= now + self._first:
                return
        self.arm()

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def arm(self) -> None:
        limits = self.limits
        due = self.born + limits.max_connection_seconds
        if self.head_since is not None:
            head_due = self.head_since + limits.header_timeout
            if head_due < due:
                due = head_due
        if self.idle_since is not None:
            idle_due = self.idle_since + limits.keep_alive_timeout
            if idle_due < due:
                due = idle_due
        if self._handle is not None:
            if self._due <= due:
                return  # fires first; re-arms for what is left then
            self._handle.cancel()
        self._due = due
        self._handle = self.loop.call_at(due, self._tick)

    def _tick(self) -> None:
        self._handle = None
        now = self.loop.time()
        if now - self.born >= self.limits.max_connection_seconds:
            self._on_lifetime()
            return
        if self.idle_since is not None and now - self.idle_since >= self.limits.keep_alive_timeout:
            self._on_idle()
            return
        if self.head_since is not None and now - self.head_since >= self.limits.header_timeout:
            # This wait is over: the connection closes, or (an answer in flight) it starts again
            # when the answer is out (``answered``). The lifetime stays armed meanwhile.
            self.head_since = None
            self._on_head_timeout()
        self.arm()
