"""Fan one per-request event out to every interested sink (metrics, WAF log, threat detector).

The adapter holds one ``EventSink``; this is it. Each sink is called in turn, on the request's
thread, and must not block (``ports.EventSink``). A sink that raises is isolated: the exception is
counted and logged (at most once a minute per sink, without the event — it may hold request data)
and the remaining sinks and the request carry on. Subscribing is copy-on-write, so ``emit`` never
takes a lock and a subscriber added mid-request sees the next event, not half of this one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from wafproxy.events import RequestEvent
from wafproxy.ports import EventSink

log = logging.getLogger(__name__)

_LOG_INTERVAL_SECONDS = 60.0
_MAX_SINKS = 64  # subscribers are code, not data; a loop subscribing forever is a bug to surface


def sink_name(sink: EventSink) -> str:
    """A bounded, non-sensitive name for a sink (its class), for logs and metric labels."""
    return type(sink).__qualname__


class EventDispatcher:
    """An ``EventSink`` that forwards each event to several sinks, isolating their failures."""

    def __init__(
        self,
        sinks: Sequence[EventSink] = (),
        *,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        """``on_error(sink_name)`` is told of every failure (e.g. ``WafMetrics.sink_error``)."""
        self._sinks: tuple[EventSink, ...] = ()
        self._lock = threading.Lock()
        self._on_error = on_error
        self._errors: dict[str, int] = {}
        self._last_logged: dict[str, float] = {}
        for sink in sinks:
            self.subscribe(sink)

    @property
    def sinks(self) -> tuple[EventSink, ...]:
        return self._sinks

    @property
    def errors(self) -> dict[str, int]:
        """Failures so far, per sink name."""
        return dict(self._errors)

    def subscribe(self, sink: EventSink) -> None:
        """Add a subscriber: it receives every event emitted from now on."""
        if not callable(getattr(sink, "emit", None)):
            raise TypeError(f"{sink_name(sink)} has no emit(event) method")
        with self._lock:
            if len(self._sinks) >= _MAX_SINKS:
                raise ValueError(f"at most {_MAX_SINKS} event sinks")
            self._sinks = (*self._sinks, sink)

    def unsubscribe(self, sink: EventSink) -> None:
        with self._lock:
            self._sinks = tuple(s for s in self._sinks if s is not sink)

    def emit(self, event: RequestEvent) -> None:
        for sink in self._sinks:
            try:
                sink.emit(event)
            except Exception as exc:  # noqa: BLE001 — isolation is the point
                self._failed(sink, exc)

    def _failed(self, sink: EventSink, exc: Exception) -> None:
        name = sink_name(sink)
        self._errors[name] = self._errors.get(name, 0) + 1
        if self._on_error is not None:
            try:
                self._on_error(name)
            except Exception:  # noqa: BLE001 — an error hook must not fail the request either
                log.debug("event sink error hook failed", exc_info=True)
        now = time.monotonic()
        if now - self._last_logged.get(name, -_LOG_INTERVAL_SECONDS) >= _LOG_INTERVAL_SECONDS:
            self._last_logged[name] = now
            # Type only: the message of an exception raised on request data may quote that data.
            log.warning(
                "event sink %s raised %s (%d failures so far)", name, type(exc).__name__, self._errors[name]
            )
