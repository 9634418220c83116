"""A pytest plugin (``-p tests.support.compiled_guard``) for the child run of
``tests/test_compiled_suite.py``: it refuses to run the tests unless ``import wafproxy`` loaded the
extracted compiled wheel, every module of ``MODULES`` from its C extension. Without this check a
child that silently imported the checkout's ``.py`` files would pass and prove nothing.

Loaded by ``-p``, this module is imported before any conftest: pytest's ``prepend`` import mode then
puts the checkout's root first on ``sys.path`` to import ``tests/conftest.py``, but ``wafproxy`` is
already in ``sys.modules`` by then, and its submodules are found through its ``__path__`` (the
wheel's directory). The session-start hook checks again after every conftest has run, and the
terminal summary a last time, printing the line the parent test asserts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import wafproxy
from tests.support.wheels import EXPECT_ENV
from wafproxy.compiled import describe, implementation, loaded


def _check() -> str:
    """The loaded package is the expected one and runs compiled; else a UsageError saying what ran."""
    expected = os.environ.get(EXPECT_ENV)
    if not expected:
        raise pytest.UsageError(f"{EXPECT_ENV} is not set: this plugin is for tests/test_compiled_suite.py")
    package = Path(wafproxy.__file__).resolve().parent
    if package != Path(expected).resolve():
        raise pytest.UsageError(f"wafproxy was imported from {package}, not from {expected}")
    if implementation() != "compiled":
        pure = sorted(name for name, native in loaded().items() if not native)
        raise pytest.UsageError(f"not every compiled module runs compiled ({describe()}): {pure}")
    return f"wafproxy under test: {package} ({describe()})"


_check()  # at import, before any conftest can put the checkout first on sys.path


def pytest_sessionstart(session: pytest.Session) -> None:
    _check()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The line the parent looks for (shown under ``-q`` too): the guard ran, and checked again last."""
    terminalreporter.write_line(_check())
