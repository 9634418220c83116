"""EventDispatcher: every subscriber gets every event; a failing one affects nobody else."""

from __future__ import annotations

import logging

import pytest

from tests.observability import factories as f
from wafproxy.events import RequestEvent
from wafproxy.observability.dispatch import EventDispatcher
from wafproxy.observability.metrics import WafMetrics


class Recorder:
    def __init__(self) -> None:
        self.events: list[RequestEvent] = []

    def emit(self, event: RequestEvent) -> None:
        self.events.append(event)


class Exploding:
    def emit(self, event: RequestEvent) -> None:
        raise RuntimeError(f"boom on {event.request.client_ip}")


def test_failing_subscriber_does_not_affect_the_others(caplog: pytest.LogCaptureFixture) -> None:
    before, after = Recorder(), Recorder()
    metrics = WafMetrics()
    dispatcher = EventDispatcher([before, Exploding(), after, metrics], on_error=metrics.sink_error)
    events = [f.event(), f.event(f.allowed_decision())]
    with caplog.at_level(logging.WARNING):
        for ev in events:
            dispatcher.emit(ev)  # must not raise
    assert before.events == events and after.events == events
    assert dispatcher.errors == {"Exploding": 2}
    body = metrics.render()[0].decode()
    assert 'wafproxy_event_sink_errors_total{sink="Exploding"} 2.0' in body
    assert 'wafproxy_requests_total{action="BLOCK",web_acl="main"} 1.0' in body
    # Logged once (rate-limited), by type, without the request data the message quoted.
    warnings = [r for r in caplog.records if "Exploding" in r.getMessage()]
    assert len(warnings) == 1
    assert "203.0.113.7" not in caplog.text


def test_subscribe_and_unsubscribe() -> None:
    dispatcher = EventDispatcher([])
    late = Recorder()
    dispatcher.emit(f.event())
    dispatcher.subscribe(late)
    dispatcher.emit(f.event())
    assert len(late.events) == 1
    dispatcher.unsubscribe(late)
    dispatcher.emit(f.event())
    assert len(late.events) == 1


def test_subscribe_refuses_a_non_sink() -> None:
    with pytest.raises(TypeError):
        EventDispatcher([object()])  # type: ignore[list-item]
