"""The tests of the compiled modules, run on the compiled build (issue 11).

An installed wheel runs ``wafproxy.compiled.MODULES`` compiled by mypyc, but the suite runs on the
checkout, as plain Python; ``tests/test_compiled.py`` only compares decisions. mypyc can differ where
decisions do not show it (``framing.escape_spaces``: ``data[-1:0]`` raised ``SystemError`` compiled
and closed the connection). So this test runs the test directories that exercise those modules in a
child pytest on the session's default wheel (``default_wheel``, built once, extracted here):

- the engine's (``wafproxy.engine``): ``tests/engine`` (evaluation, transforms, matchers, detectors,
  parsing, memos, ip sets), ``tests/rules`` (8 k payload rows, ~25 s compiled), ``tests/bodystream``
  (whole-body streaming through the proxy server) and ``tests/fuzz`` (the HTTP/1 and body parsers
  under mutation: it found the ``escape_spaces`` crash too);
- the proxy server's (``wafproxy.server``): ``tests/server`` (wire parsing, framing, smuggling
  probes, limits, faults, workers);
- the ASGI layer's (``wafproxy.asgi``: upstream connection, inspector, request building and
  forwarding): ``tests/asgi``;
- ``wafproxy.observability`` (dispatch, tally): ``tests/observability`` (~10 s);
- the threat detector's request path (``wafproxy.sidecars.detector``) once it is compiled:
  ``tests/sidecars/detector`` (~30 s).

An area runs only when ``MODULES`` has a module in it (``TESTS_OF``). Left out: the rest of the
sidecars, the control plane, stores, KMS and deployment tests: they reach the compiled modules only
through a served request, which the directories above cover, and cost minutes. The child takes about 4 minutes
(wall clock, 2 shared cores; ``tests/server``, ``tests/engine`` and ``tests/asgi`` ~3 of them).

The child imports ``wafproxy`` from the extracted wheel and ``tests`` from the checkout
(``PYTHONPATH=<wheel>:<checkout>``, ``PYTHONSAFEPATH=1`` so neither it nor the ``python -m wafproxy``
servers its tests start put their working directory, the checkout, first); the plugin
``tests.support.compiled_guard`` refuses to run unless every compiled module is loaded from the
wheel's extensions, and prints the line this test looks for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.support.servers import REPO
from tests.support.wheels import EXPECT_ENV, can_compile, is_pure
from wafproxy.compiled import MODULES, PURE_ENV

#: The tests of each area holding compiled modules: an area runs when ``MODULES`` has a module in it
#: (``test_every_compiled_module_has_its_tests``: a module of a new area must be given its tests).
TESTS_OF: dict[str, tuple[str, ...]] = {
    "wafproxy.engine": ("tests/engine", "tests/rules", "tests/bodystream", "tests/fuzz"),
    "wafproxy.server": ("tests/server",),
    "wafproxy.asgi": ("tests/asgi",),
    "wafproxy.observability": ("tests/observability",),
    "wafproxy.sidecars.detector": ("tests/sidecars/detector",),
}


def _areas() -> list[str]:
    return [area for area in TESTS_OF if any(m.startswith(area + ".") for m in MODULES)]


def chosen() -> list[str]:
    """The test paths of every area that has compiled modules, each once, in ``TESTS_OF``'s order."""
    return list(dict.fromkeys(path for area in _areas() for path in TESTS_OF[area]))


CHILD_TIMEOUT = 3000  # seconds; the parent's limit (the marker) adds the wheel build's


def _summary(output: str, lines: int = 60) -> str:
    """pytest's short test summary (the failures, one a line) and what follows, else the tail."""
    text = output.splitlines()
    for i, line in enumerate(text):
        if "short test summary info" in line:
            return "\n".join(text[i:])
    return "\n".join(text[-lines:])


@pytest.mark.slow
@pytest.mark.timeout(CHILD_TIMEOUT + 1200)
@pytest.mark.skipif(not can_compile(), reason="no C compiler or Python headers: the default build is pure")
def test_the_compiled_modules_pass_their_tests_compiled(default_wheel: Path, tmp_path: Path) -> None:
    assert not is_pure(default_wheel), f"this machine can compile, yet {default_wheel.name} is pure"
    site = tmp_path / "site"
    zipfile.ZipFile(default_wheel).extractall(site)
    # The tests name the checkout's rules (``REPO/rules/default-web-acl.json``): beside the wheel's
    # own copy of the managed groups every group would be defined twice. The package reads the
    # checkout's instead (the same files: tests/test_wheel.py), through the wheel's layout.
    shutil.rmtree(site / "wafproxy" / "rules")
    (site / "wafproxy" / "rules").symlink_to(REPO / "rules", target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if k != PURE_ENV}
    env.update(PYTHONPATH=os.pathsep.join(map(str, (site, REPO))), PYTHONSAFEPATH="1",
               PYTHONUNBUFFERED="1", **{EXPECT_ENV: str(site / "wafproxy")})
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfE", "--maxfail=10", "-p", "no:randomly",
         "-p", "tests.support.compiled_guard", *chosen()],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT,
    )
    took = time.monotonic() - started
    output = done.stdout + done.stderr
    code = done.returncode  # (not ``done`` in the assertion: pytest would print all its output)
    assert code == 0, f"compiled run failed ({took:.0f} s, exit {code}):\n{_summary(output)}"
    described = f"compiled with mypyc ({len(MODULES)} modules)"
    guard = f"wafproxy under test: {(site / 'wafproxy').resolve()} ({described})"
    assert guard in done.stdout.splitlines(), _summary(output)


def test_every_compiled_module_has_its_tests() -> None:
    """A module of ``MODULES`` outside every area of ``TESTS_OF`` would run compiled untested."""
    assert [m for m in MODULES if not any(m.startswith(area + ".") for area in TESTS_OF)] == []
    assert all((REPO / path).exists() for paths in TESTS_OF.values() for path in paths)
    assert "tests/server" in chosen() and "tests/engine" in chosen()
