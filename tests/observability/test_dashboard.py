"""deploy/grafana/wafproxy.json: importable dashboard JSON whose PromQL names only our series.

There is no Grafana here, so the test checks what makes a dashboard load unchanged: the import
input for the data source, schemaVersion, unique panel ids, a grid that fits, and for every query
that each metric it names is exported by ``WafMetrics`` and each label it filters or groups by is a
label of those metrics.
"""

from __future__ import annotations

import json
import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.observability import factories as f
from tests.support.servers import REPO
from wafproxy.observability.metrics import WafMetrics

DASHBOARD = REPO / "deploy" / "grafana" / "wafproxy.json"
DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
PROMQL_WORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
}
GRAFANA_VARS = {"$__rate_interval", "$__range", "$__interval", "$web_acl"}


def exported() -> dict[str, set[str]]:
    """Series name → label names, from a real render after every kind of observation."""
    m = WafMetrics()
    m.emit(f.event())
    m.emit(f.event(f.allowed_decision(), upstream_seconds=0.01, response_status=200))
    m.fail_open("engine_error")
    m.config_reload("success", 1.0)
    m.ip_set_entries("blocklist", 1)
    m.waf_log_dropped()
    m.sink_error("Sink")
    series: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(m.render()[0].decode()):
        for s in family.samples:
            series.setdefault(s.name, set()).update(s.labels)
    return series


def load() -> dict[str, object]:
    return json.loads(DASHBOARD.read_text())


def targets(dashboard: dict[str, object]) -> list[tuple[str, dict[str, object]]]:
    out = []
    for p in dashboard["panels"]:  # type: ignore[union-attr]
        for t in p.get("targets", []):
            out.append((p["title"], t))
    return out


def metric_names(expr: str) -> set[str]:
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    e = re.sub(r"\{[^}]*\}", "", e)  # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)  # range selectors
    e = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", e)
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        word = m.group(0)
        rest = e[m.end() :].lstrip()
        if rest.startswith("(") or word in PROMQL_WORDS:
            continue  # function or aggregation
        names.add(word)
    return names


def labels_used(expr: str) -> set[str]:
    used = set()
    for matchers in re.findall(r"\{([^}]*)\}", expr):
        used.update(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", matchers))
    for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
        used.update(x.strip() for x in group.split(",") if x.strip())
    return used


def test_importable_shape() -> None:
    d = load()
    assert isinstance(d["schemaVersion"], int) and d["schemaVersion"] >= 36
    assert d["uid"] and d["title"] and d["id"] is None
    inputs = d["__inputs"]
    assert inputs == [
        {"name": "DS_PROMETHEUS", "label": "Prometheus", "description": inputs[0]["description"],  # type: ignore[index]
         "type": "datasource", "pluginId": "prometheus", "pluginName": "Prometheus"}
    ]  # fmt: skip
    panels = d["panels"]
    ids = [p["id"] for p in panels]  # type: ignore[union-attr]
    assert len(ids) == len(set(ids))
    for p in panels:  # type: ignore[union-attr]
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24 and g["h"] > 0, p["title"]
        assert p["type"] in {"row", "stat", "timeseries", "bargauge", "table"}
        if p["type"] != "row":
            assert p["datasource"] == DS and p["targets"], p["title"]


def test_required_views_are_present() -> None:
    titles = " | ".join(p["title"].lower() for p in load()["panels"])  # type: ignore[union-attr]
    for needed in (
        "traffic by action",
        "block ratio",
        "top rules",
        "latency percentiles",
        "upstream errors",
        "reload",
    ):
        assert needed in titles


def test_every_query_names_only_exported_series_and_their_labels() -> None:
    series = exported()
    checked = 0
    for title, t in targets(load()):
        assert t["datasource"] == DS, title
        expr = str(t["expr"])
        assert expr.count("(") == expr.count(")"), title
        for var in re.findall(r"\$[A-Za-z_]+", expr):
            assert var in GRAFANA_VARS, (title, var)
        names = metric_names(expr)
        assert names, title
        unknown = names - set(series)
        assert not unknown, f"{title}: {unknown}"
        known_labels = set().union(*(series[n] for n in names))
        assert labels_used(expr) <= known_labels, (title, labels_used(expr) - known_labels)
        if "histogram_quantile" in expr:
            assert all(n.endswith("_bucket") for n in names), title
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    "bad",
    [
        'sum(rate(wafproxy_request_total{web_acl=~"$web_acl"}[5m]))',
        "sum by (client_ip) (wafproxy_requests_total)",
    ],
)
def test_the_check_catches_a_wrong_series_or_label(bad: str) -> None:
    series = exported()
    names = metric_names(bad)
    labels = labels_used(bad)
    wrong = bool(names - set(series)) or not labels <= set().union(*(series.get(n, set()) for n in names))
    assert wrong


def test_variable_queries_use_exported_series() -> None:
    series = exported()
    for var in load()["templating"]["list"]:  # type: ignore[index]
        if var["type"] == "query":
            metric, label = re.fullmatch(r"label_values\((\w+), (\w+)\)", var["definition"]).groups()  # type: ignore[union-attr]
            assert label in series[metric]
