"""Wheels built the way a user's ``pip`` builds them (real builds in pip's isolated environment), for
the tests of the build hook and of the installed package. ``tests/conftest.py`` builds the default
wheel once per session: a compiled build is a minute of CPU."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from hatch_build import ENV, missing_toolchain  # the checkout's build hook (on sys.path: the repo root)

PURE_TAG = "py3-none-any"
EXT_SUFFIX: str = sysconfig.get_config_var("EXT_SUFFIX")
#: The ``wafproxy`` directory (an extracted wheel's) the child run of ``tests/test_compiled_suite.py``
#: must import; ``tests/support/compiled_guard.py`` refuses to run the tests otherwise.
EXPECT_ENV = "WAFPROXY_EXPECT_COMPILED_AT"


def can_compile() -> bool:
    """What the build hook checks first: a C compiler and this Python's headers."""
    return missing_toolchain() is None


def build_env(**extra: str) -> dict[str, str]:
    """This environment without ``WAFPROXY_COMPILE`` (the default build), plus ``extra``."""
    return {**{k: v for k, v in os.environ.items() if k != ENV}, **extra}


def fresh_venv(where: Path) -> Path:
    """A new virtual environment with nothing installed (a user's first ``pip install .``); its python.
    Builds run there, not in the test venv, whose site-packages a build must not depend on."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=300)
    return where / "bin" / "python"


def pip_wheel(
    python: Path, source: Path, out: Path, *, verbose: bool = False, **env: str
) -> tuple[Path, str]:
    """``pip wheel --no-deps source`` into ``out`` with ``python``'s pip: the wheel and pip's output
    (``verbose``: with the build hook's)."""
    done = subprocess.run(
        [str(python), "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
         "-v" if verbose else "-q", "-w", str(out), str(source)],
        check=True, timeout=1500, env=build_env(**env), capture_output=True, text=True,
    )
    (built,) = out.glob("wafproxy-*.whl")
    return built, done.stdout + done.stderr


def sdist(source: Path, out: Path) -> Path:
    """``python -m build --sdist``, as a release is made."""
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(out), str(source)],
                   check=True, timeout=600, env=build_env(), capture_output=True)
    (built,) = out.glob("wafproxy-*.tar.gz")
    return built


def is_pure(wheel: Path) -> bool:
    return wheel.name.endswith(f"-{PURE_TAG}.whl")


def names(wheel: Path) -> set[str]:
    return set(zipfile.ZipFile(wheel).namelist())


def extensions(wheel: Path) -> list[str]:
    return sorted(n for n in names(wheel) if n.endswith((".so", ".pyd")))
