"""deploy/compose: what ``docker compose up`` brings up, checked without a container runtime (none
runs on CI): the services, the one published data port, that both replicas share one Redis, that
Prometheus scrapes both and Grafana is provisioned with the shipped dashboard, and that every file
the compose file mounts exists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

COMPOSE_DIR = Path(__file__).resolve().parents[2] / "deploy" / "compose"


def compose() -> dict[str, Any]:
    return yaml.safe_load((COMPOSE_DIR / "compose.yaml").read_text())


def test_the_stack_has_every_part() -> None:
    services = compose()["services"]
    assert {"app", "wafproxy-1", "wafproxy-2", "balancer", "redis", "prometheus", "grafana"} <= set(services)


def test_replicas_share_one_redis_and_sit_behind_one_port() -> None:
    services = compose()["services"]
    replicas = [services["wafproxy-1"], services["wafproxy-2"]]
    assert {r["environment"]["WAFPROXY_REDIS"] for r in replicas} == {"redis://redis:6379/0"}
    assert all(r["read_only"] is True for r in replicas)
    assert not any("ports" in r for r in replicas)  # only the balancer publishes the data path
    assert services["balancer"]["ports"] == ["8080:8080"]
    nginx = (COMPOSE_DIR / "nginx.conf").read_text()
    assert "server wafproxy-1:8080" in nginx and "server wafproxy-2:8080" in nginx


def test_prometheus_scrapes_both_replicas_and_grafana_gets_the_dashboard() -> None:
    prometheus = yaml.safe_load((COMPOSE_DIR / "prometheus.yml").read_text())
    targets = prometheus["scrape_configs"][0]["static_configs"][0]["targets"]
    assert sorted(targets) == ["wafproxy-1:9090", "wafproxy-2:9090"]
    provisioning = COMPOSE_DIR / "grafana" / "provisioning"
    datasource = yaml.safe_load((provisioning / "datasources" / "prometheus.yaml").read_text())
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((provisioning / "dashboards" / "wafproxy.yaml").read_text())
    dashboards_dir = provider["providers"][0]["options"]["path"]
    mounts = compose()["services"]["grafana"]["volumes"]
    (dashboard_mount,) = [m for m in mounts if m.split(":")[1].startswith(dashboards_dir)]
    dashboard = json.loads((COMPOSE_DIR / dashboard_mount.split(":")[0]).read_text())
    assert dashboard["panels"]


def test_every_mounted_file_exists() -> None:
    for name, service in compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE_DIR / source).exists(), f"{name}: {source}"
        build = service.get("build")
        if build:
            assert (COMPOSE_DIR / build["context"] / build["dockerfile"]).is_file()
