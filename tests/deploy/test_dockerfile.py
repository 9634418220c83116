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


def _stages() -> list[list[list[str]]]:
    """The instructions of each ``FROM`` stage, in order."""
    stages: list[list[list[str]]] = []
    for instruction in INSTRUCTIONS:
        if instruction[0].upper() == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def test_the_image_runs_compiled_and_carries_no_compiler() -> None:
    """The build stage compiles the hot modules (hatch_build.py) with a compiler installed there only;
    ``WAFPROXY_COMPILE=1`` by default makes a failed compile fail the image build rather than ship
    pure Python, and ``0`` skips the compiler too."""
    build, runtime = _stages()
    assert ["ARG", "WAFPROXY_COMPILE=1"] in build
    (install,) = [rest for head, *rest in build if head == "RUN" and "gcc" in rest[0]]
    assert '[ "$WAFPROXY_COMPILE" != 0 ]' in install[0] and "apt-get install" in install[0]
    wheel = next(i for i, (head, *rest) in enumerate(build) if head == "RUN" and "pip wheel" in rest[0])
    assert build.index(["ARG", "WAFPROXY_COMPILE=1"]) < wheel  # the ARG is the build's environment
    runtime_runs = " ".join(rest[0] for head, *rest in runtime if head == "RUN")
    assert "gcc" not in runtime_runs and "apt-get" not in runtime_runs
