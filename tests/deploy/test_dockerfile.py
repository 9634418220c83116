"""The Dockerfile's promises, read from the file (no container runtime runs on CI): a multi-stage
build from the wheel, an unprivileged user, the pattern databases compiled at build time, a
HEALTHCHECK on the admin listener's /healthz, SIGTERM to stop (wafproxy drains on it)."""

from __future__ import annotations

import re
from pathlib import Path

DOCKERFILE = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()
INSTRUCTIONS = [line.split(None, 1) for line in re.sub(r"\\\n", " ", DOCKERFILE).splitlines()
                if line.strip() and not line.lstrip().startswith("#")]


def instructions(name: str) -> list[str]:
    return [rest for head, *rest_list in INSTRUCTIONS for rest in rest_list if head.upper() == name]


def test_multi_stage_build_installs_the_wheel() -> None:
    assert len(instructions("FROM")) == 2
    assert any("pip wheel" in run for run in instructions("RUN"))
    assert any("pip install" in run and "/wheels/" in run for run in instructions("RUN"))


def test_runs_unprivileged_after_installing() -> None:
    users = instructions("USER")
    assert users == ["wafproxy"]
    last_user = max(i for i, (head, *_) in enumerate(INSTRUCTIONS) if head.upper() == "USER")
    runs_after = [rest for head, *rest in INSTRUCTIONS[last_user:] if head.upper() == "RUN"]
    assert runs_after == [["wafproxy check"]]  # only the cache warm-up runs as the user


def test_healthcheck_and_stop_signal() -> None:
    (health,) = instructions("HEALTHCHECK")
    assert "/healthz" in health and "9090" in health
    assert instructions("STOPSIGNAL") == ["SIGTERM"]
    assert "WAFPROXY_HS_CACHE=/opt/wafproxy/hyperscan" in " ".join(instructions("ENV"))
