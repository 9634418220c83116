"""Observability: Prometheus metrics, AWS WAF log records, and the per-request event fan-out.

Wiring (done by the CLI / app factory)::

    metrics = WafMetrics()
    waf_log = WafLogWriter(path, on_drop=metrics.waf_log_dropped, ...)
    events = EventDispatcher([metrics, waf_log], on_error=metrics.sink_error)
    # adapter: events.emit(event) once per request; /metrics serves metrics.render()
    # threat detector: events.subscribe(detector)

Names are imported lazily so that importing this package does not import ``prometheus_client``
before ``PROMETHEUS_MULTIPROC_DIR`` is set (it picks its storage at import time).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "WafMetrics": "wafproxy.observability.metrics",
    "EventDispatcher": "wafproxy.observability.dispatch",
    "WafLogWriter": "wafproxy.observability.waflog_writer",
    "to_log_record": "wafproxy.observability.waflog",
    "Redaction": "wafproxy.observability.redaction",
    "parse_redacted_fields": "wafproxy.observability.redaction",
    "LoggingFilter": "wafproxy.observability.logging_filter",
    "parse_logging_filter": "wafproxy.observability.logging_filter",
    "LoggingConfigError": "wafproxy.observability.errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(import_module(module), name)
