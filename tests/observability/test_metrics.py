"""WafMetrics: the issue's series, bounded labels, and correct sums across worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.observability import factories as f
from tests.support.servers import REPO
from wafproxy.observability import metric_families
from wafproxy.observability.metric_families import OTHER
from wafproxy.observability.metrics import WafMetrics

ISSUE_SERIES = {
    "wafproxy_requests_total", "wafproxy_rule_matches_total", "wafproxy_label_matches_total",
    "wafproxy_evaluation_duration_seconds", "wafproxy_upstream_requests_total",
    "wafproxy_upstream_request_duration_seconds", "wafproxy_request_body_bytes",
    "wafproxy_oversize_requests_total", "wafproxy_fail_open_total", "wafproxy_open_connections",
    "wafproxy_config_reloads_total", "wafproxy_config_last_reload_success_timestamp_seconds",
    "wafproxy_ip_set_entries", "wafproxy_build_info",
}  # fmt: skip


def samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(body: str, name: str, **labels: str) -> float:
    return samples(body)[(name, tuple(sorted(labels.items())))]


def test_one_blocked_request_updates_its_series() -> None:
    m = WafMetrics()
    m.emit(f.event())
    body = m.render()[0].decode()
    assert value(body, "wafproxy_requests_total", web_acl="main", action="BLOCK") == 1
    assert (
        value(
            body,
            "wafproxy_rule_matches_total",
            web_acl="main",
            rule_group="",
            rule="CountBots",
            action="COUNT",
        )
        == 1
    )
    sqli = dict(rule_group="AWSManagedRulesSQLiRuleSet", rule="SQLi_QUERYARGUMENTS", action="BLOCK")
    assert value(body, "wafproxy_rule_matches_total", web_acl="main", **sqli) == 1
    assert (
        value(
            body, "wafproxy_label_matches_total", web_acl="main", label="awswaf:111122223333:webacl:main:bot"
        )
        == 1
    )
    # 0.42 ms lands in the 0.5 ms bucket, not the 0.25 ms one.
    assert value(body, "wafproxy_evaluation_duration_seconds_bucket", web_acl="main", le="0.0005") == 1
    assert value(body, "wafproxy_evaluation_duration_seconds_bucket", web_acl="main", le="0.00025") == 0
    assert value(body, "wafproxy_request_body_bytes_sum", web_acl="main") == 20000
    assert value(body, "wafproxy_oversize_requests_total", web_acl="main") == 1
    # Not forwarded upstream: no upstream series.
    assert value(body, "wafproxy_upstream_request_duration_seconds_count") == 0
    names = {fam.name for fam in text_string_to_metric_families(body)}
    assert {n.removesuffix("_total") for n in ISSUE_SERIES} <= names


def test_forwarded_request_counts_upstream_and_helpers() -> None:
    m = WafMetrics()
    m.emit(f.event(f.allowed_decision(), upstream_seconds=0.02, response_status=502))
    m.upstream_request("error")
    m.fail_open("engine_error")
    m.config_reload("failure")
    m.config_reload("success", 1_700_000_123.0)
    m.ip_set_entries("blocklist", 42)
    m.oversize("main")
    m.open_connections.inc()
    m.waf_log_dropped("queue_full", 3)
    body = m.render()[0].decode()
    assert value(body, "wafproxy_upstream_requests_total", code="502") == 1
    assert value(body, "wafproxy_upstream_requests_total", code="error") == 1
    assert value(body, "wafproxy_upstream_request_duration_seconds_count") == 1
    assert value(body, "wafproxy_fail_open_total", reason="engine_error") == 1
    assert value(body, "wafproxy_config_reloads_total", result="failure") == 1
    assert value(body, "wafproxy_config_last_reload_success_timestamp_seconds") == 1_700_000_123.0
    assert value(body, "wafproxy_ip_set_entries", ip_set="blocklist") == 42
    assert value(body, "wafproxy_oversize_requests_total", web_acl="main") == 1
    assert value(body, "wafproxy_open_connections") == 1
    assert value(body, "wafproxy_waf_log_records_dropped_total", reason="queue_full") == 3
    build = [k for k in samples(body) if k[0] == "wafproxy_build_info"]
    assert len(build) == 1 and ("version", "0.1.0") in build[0][1]


def test_labels_never_carry_request_data() -> None:
    m = WafMetrics()
    m.emit(f.event())
    body = m.render()[0].decode()
    for secretish in ("203.0.113.7", "/login", "curl/8.5.0", "admin", "session="):
        assert secretish not in body


def test_label_values_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metric_families, "_CAP_IP_SET", 3)
    m = WafMetrics()
    for i in range(10):
        m.ip_set_entries(f"set{i}", i)
    body = m.render()[0].decode()
    got = {dict(k[1])["ip_set"] for k in samples(body) if k[0] == "wafproxy_ip_set_entries"}
    assert got == {"set0", "set1", "set2", OTHER}


def test_upstream_code_outside_http_range_is_bounded() -> None:
    m = WafMetrics()
    m.upstream_request(99999)
    m.upstream_request("<script>")
    assert value(m.render()[0].decode(), "wafproxy_upstream_requests_total", code=OTHER) == 2


def _run(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.observability.mp_worker", *args],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_multiprocess_mode_sums_two_real_worker_processes(tmp_path: Path) -> None:
    mp_dir = tmp_path / "prom"
    mp_dir.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(mp_dir)}
    workers = [_run(["observe", "3", "1000"], env), _run(["observe", "5", "2000"], env)]
    for w in workers:
        _, err = w.communicate(timeout=60)
        assert w.returncode == 0, err
    renderer = _run(["render"], env)
    out, err = renderer.communicate(timeout=60)
    assert renderer.returncode == 0, err
    content_type, body = out.split("\n", 1)
    assert content_type.startswith("text/plain")
    assert value(body, "wafproxy_requests_total", web_acl="main", action="BLOCK") == 8
    assert value(body, "wafproxy_requests_total", web_acl="main", action="ALLOW") == 8
    assert value(body, "wafproxy_upstream_requests_total", code="200") == 8
    assert value(body, "wafproxy_evaluation_duration_seconds_count", web_acl="main") == 16
    assert value(body, "wafproxy_fail_open_total", reason="engine_error") == 2
    # Gauges merge by their meaning: connections add up, the same IP set is not double counted,
    # the last successful reload is the latest of the two.
    assert value(body, "wafproxy_open_connections") == 2
    assert value(body, "wafproxy_ip_set_entries", ip_set="blocklist") == 7
    assert value(body, "wafproxy_config_last_reload_success_timestamp_seconds") == 2000
    build = [k for k in samples(body) if k[0] == "wafproxy_build_info"]
    assert len(build) == 1 and samples(body)[build[0]] == 1
