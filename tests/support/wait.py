"""Waiting for a condition, the one way tests do it: poll until true or a generous deadline.

Deadlines are bounds for 2 cores shared by several test runs, never a measured time: a test
that waits must fail only when the condition never comes, not when the machine is slow.
"""

from __future__ import annotations

import time
from collections.abc import Callable

DEADLINE = 60.0  # seconds; the default bound on any wait for a real process or server
POLL = 0.05


def eventually(predicate: Callable[[], object], timeout: float = DEADLINE, interval: float = POLL) -> bool:
    """True as soon as ``predicate()`` is truthy; False once ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def until(predicate: Callable[[], object], timeout: float = DEADLINE, what: str = "condition") -> None:
    """``eventually``, asserting: the failure names what never happened."""
    assert eventually(predicate, timeout), f"{what} not met within {timeout:.0f} s"
