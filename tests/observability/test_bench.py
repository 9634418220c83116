"""Per-event cost of the observability sinks (pytest-benchmark; reported, not pass/fail on time).

Named after the traffic they model: ``blocked_sqli`` is a request blocked inside a managed rule
group with a COUNT rule and two labels along the way; ``allowed_default`` is the common case, the
default action with nothing matched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.observability import factories as f
from wafproxy.observability.dispatch import EventDispatcher
from wafproxy.observability.metrics import WafMetrics
from wafproxy.observability.waflog import to_log_record
from wafproxy.observability.waflog_writer import WafLogWriter

BLOCKED = f.event()
ALLOWED = f.event(f.allowed_decision(), upstream_seconds=0.004, response_status=200)
FAST = pytest.mark.benchmark(max_time=0.25, min_rounds=50, warmup=False)


@FAST
@pytest.mark.parametrize("name", ["blocked_sqli", "allowed_default"])
def test_metrics_observe(benchmark: Any, name: str) -> None:
    m = WafMetrics()
    ev = BLOCKED if name == "blocked_sqli" else ALLOWED
    benchmark(m.observe, ev)
    assert m.requests.labels("main", ev.decision.action.value)._value.get() >= 1


@FAST
@pytest.mark.parametrize("name", ["blocked_sqli", "allowed_default"])
def test_to_log_record(benchmark: Any, name: str) -> None:
    ev = BLOCKED if name == "blocked_sqli" else ALLOWED
    rec = benchmark(to_log_record, ev)
    assert rec["action"] == ev.decision.action.value


@FAST
def test_to_log_line_json(benchmark: Any) -> None:
    """What the writer thread does per record: build it and serialise it."""
    line = benchmark(lambda: json.dumps(to_log_record(BLOCKED), separators=(",", ":")))
    assert json.loads(line)["terminatingRuleId"] == "AWS-AWSManagedRulesSQLiRuleSet"


@FAST
def test_request_path_fan_out(benchmark: Any, tmp_path: Path) -> None:
    """What the request path pays: dispatcher → metrics + log writer enqueue."""
    metrics = WafMetrics()
    writer = WafLogWriter(str(tmp_path / "waf.log"), queue_size=1_000_000, on_drop=metrics.waf_log_dropped)
    dispatcher = EventDispatcher([metrics, writer], on_error=metrics.sink_error)
    try:
        benchmark(dispatcher.emit, BLOCKED)
    finally:
        writer.close()
    assert writer.dropped == 0 and writer.written >= 1
