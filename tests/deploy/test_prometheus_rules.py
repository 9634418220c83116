"""The alerting rules in deploy/prometheus: every metric they name is one wafproxy exports, every
alert says how bad and what it means, and (with promtool installed, as ``.ci/run`` does) the rules
load and their unit tests fire on the series they should."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from wafproxy.observability.limits_metrics import LimitsMetrics
from wafproxy.observability.metrics import WafMetrics

RULES_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
ALERTS = RULES_DIR / "alerts.yml"
SEVERITIES = {"critical", "warning", "info"}


def exported_metric_names() -> set[str]:
    """Sample names as Prometheus stores them (counters with ``_total``, histograms' buckets)."""
    registry = CollectorRegistry()
    WafMetrics(registry)
    LimitsMetrics(registry)
    names: set[str] = set()
    for family in registry.collect():
        names.add(family.name)
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}.get(family.type, ())
        names.update(family.name + s for s in suffixes)
    return names


def alert_rules() -> list[dict[str, object]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_every_alert_names_only_exported_metrics() -> None:
    exported = exported_metric_names()
    rules = alert_rules()
    assert len(rules) >= 8
    for rule in rules:
        named = set(re.findall(r"\bwafproxy_[a-z_]+", str(rule["expr"])))
        assert named <= exported, f"{rule['alert']}: unknown metrics {sorted(named - exported)}"


def test_every_alert_has_a_severity_and_says_what_it_means() -> None:
    for rule in alert_rules():
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]  # type: ignore[index]
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"], rule["alert"]  # type: ignore[index]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed (Debian: prometheus)")
def test_promtool_checks_the_rules_and_runs_their_unit_tests() -> None:
    check = subprocess.run(["promtool", "check", "rules", str(ALERTS)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    run = subprocess.run(["promtool", "test", "rules", "alerts.test.yml"], cwd=RULES_DIR,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
