"""The wheel is complete (issue 11): the default wheel (``default_wheel``, ``tests/conftest.py``: built
by pip from the sdist, compiled when this machine has a C compiler, once per session) carries every
shipped rule file and no generator source; installed into a fresh virtual environment (no access to
this checkout), its ``wafproxy version`` and ``wafproxy serve`` say which implementation runs, and
``serve`` finds and serves its own default web ACL.

Slow (``-m slow``): a wheel build, a venv, and an install that takes the dependencies from pip's
cache or PyPI. ``.ci/run`` runs it with the rest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.output import Lines
from tests.support.servers import REPO, RunningServer, free_port
from tests.support.upstream import probe_default_acl, recording_upstream
from tests.support.wheels import can_compile
from wafproxy.compiled import MODULES

RULES = REPO / "rules"
RULE_SUFFIXES = (".json", ".yaml", ".yml")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def test_wheel_ships_every_rule_file_and_no_generator(default_wheel: Path) -> None:
    names = zipfile.ZipFile(default_wheel).namelist()
    shipped = {n.removeprefix("wafproxy/rules/") for n in names if n.startswith("wafproxy/rules/")}
    expected = {p.relative_to(RULES).as_posix() for p in RULES.rglob("*") if p.suffix in RULE_SUFFIXES}
    assert shipped == expected
    # Deliberately out: the managed groups' generator (rules/managed/*.py) is a development tool;
    # the engine only reads the JSON it writes.
    assert {p.name for p in (RULES / "managed").glob("*.py")}, "the generator moved: update this test"
    # Every module of the package is in, and nothing stray (bytecode) is.
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "wafproxy").rglob("*.py")}
    assert modules <= set(names)
    # The AWS APIs' input shapes (awsapi/inputcheck): without them requests go unchecked.
    shapes = REPO / "wafproxy" / "awsapi" / "models"
    models = {p.relative_to(REPO).as_posix() for p in shapes.glob("*.json.gz")}
    assert len(models) == 5 and models <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


@pytest.fixture(scope="module")
def installed(default_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) with the wheel and its dependencies; its bin/."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    bin_dir = venv / "bin"
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "--prefer-binary", str(default_wheel)], check=True, timeout=1000, env=_outside_env())
    return bin_dir


def _outside_env(**extra: str) -> dict[str, str]:
    """The environment without anything pointing at this checkout or the test venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[RunningServer, list[str]]]:
    with recording_upstream() as up:
        yield up


def test_installed_wheel_serves_its_default_acl(
    installed: Path, upstream: tuple[RunningServer, list[str]], tmp_path: Path
) -> None:
    where = subprocess.run(
        [str(installed / "python"), "-c",
         "import wafproxy, wafproxy.shipped as s; print(wafproxy.__file__); print(s.DEFAULT_ACL)"],
        cwd=tmp_path, env=_outside_env(), capture_output=True, text=True, check=True,
    ).stdout.split()
    site = installed.parent / "lib"
    assert all(Path(p).is_relative_to(site) for p in where), where
    version = subprocess.run([str(installed / "wafproxy"), "version"], cwd=tmp_path, env=_outside_env(),
                             capture_output=True, text=True, check=True).stdout.strip()
    running = f"compiled with mypyc ({len(MODULES)} modules)" if can_compile() else "pure Python (the build"
    assert version.startswith(f"wafproxy 0.1.0, {running}"), version
    server, seen = upstream
    port, admin = free_port(), free_port()
    proc = subprocess.Popen(
        [str(installed / "wafproxy"), "serve", "--upstream", server.url, "--listen", f"127.0.0.1:{port}",
         "--admin-listen", f"127.0.0.1:{admin}"],  # no --acl: the shipped default
        cwd=tmp_path, env=_outside_env(WAFPROXY_HS_CACHE=str(tmp_path / "hs-cache")),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        out = Lines(proc)
        probe_default_acl(f"http://127.0.0.1:{port}", seen, proc, 120)
        assert out.wait_for(f"web ACL {where[1]}", 30) >= 0
        # the start-up log says it too, once
        implementation = version.split(", ", 1)[1]
        assert len([line for line in out.snapshot() if line.endswith(f"running {implementation}")]) == 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
