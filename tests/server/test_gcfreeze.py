"""``GcFreezer``: what is loaded is frozen, a swapped-out ACL with reference cycles is still freed,
a burst of swaps costs one refreeze; and a real ``wafproxy serve`` runs frozen (its loop-lag
probe reports the permanent generation)."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import Recorder
from tests.support.servers import RunningServer, free_port, wafproxy_process
from tests.support.wait import eventually, until
from wafproxy.server import gcfreeze
from wafproxy.server.gcfreeze import GcFreezer


class Acl:
    """Stands for a compiled ACL: it holds a reference cycle, as the real one does."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    """The freeze is process-wide: whatever a test froze is given back to the collector."""
    yield
    gc.unfreeze()


def test_freeze_moves_what_is_alive_to_the_permanent_generation() -> None:
    alive = Acl()
    assert any(o is alive for o in gc.get_objects())  # in a generation the collector walks
    GcFreezer().freeze()
    assert gc.get_freeze_count() > 0
    assert not any(o is alive for o in gc.get_objects())  # permanent: no pass walks it
    assert alive.me is alive


def test_a_swapped_out_acl_with_cycles_is_freed_by_the_refreeze() -> None:
    freezer = GcFreezer()
    old = Acl()
    gone = weakref.ref(old)
    freezer.freeze()  # ``old`` is frozen now, as the ACL loaded at start is
    del old
    gc.collect()
    assert gone() is not None  # frozen: no collection frees its cycle
    freezer.swapped(Acl())  # no running loop: refrozen at once
    assert gone() is None
    assert gc.get_freeze_count() > 0


def test_a_burst_of_swaps_costs_one_refreeze(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gcfreeze, "REFREEZE_DELAY", 0.05)

    async def scenario() -> int:
        freezer = GcFreezer()
        for _ in range(5):
            freezer.swapped(Acl())
        assert freezer.freezes == 0  # deferred: requests still on the old ACL end first
        for _ in range(1200):  # up to 60 s on a loaded machine
            if freezer.freezes:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # room for a second (wrong) refreeze to show up
        return freezer.freezes

    assert asyncio.run(scenario()) == 1


def test_refreezes_once_the_start_up_compile_thread_is_done(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gcfreeze, "REFREEZE_DELAY", 0.01)
    monkeypatch.setattr(gcfreeze, "POLL_SECONDS", 0.01)
    release = threading.Event()
    compile_thread = threading.Thread(target=release.wait, daemon=True)
    compile_thread.start()

    async def scenario() -> tuple[int, int]:
        freezer = GcFreezer()
        freezer.after(compile_thread)
        await asyncio.sleep(0.2)
        before = freezer.freezes  # the thread still runs: nothing yet
        release.set()
        for _ in range(1200):
            if freezer.freezes:
                break
            await asyncio.sleep(0.05)
        freezer.close()
        return before, freezer.freezes

    assert asyncio.run(scenario()) == (0, 1)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _probe_report(pid: int, path: Path) -> dict:
    path.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR2)
    until(path.exists, what="the loop-lag report")
    report: dict = {}
    until(lambda: report.update(json.loads(path.read_text())) is None and bool(report), what="a whole report")
    return report


def test_served_process_runs_frozen_and_refreezes_after_a_hot_reload(
    upstream: tuple[RunningServer, Recorder], acl_path: Path, tmp_path: Path
) -> None:
    server, _ = upstream
    port, admin = free_port(), free_port()
    report = tmp_path / "lag.json"
    args = ("serve", "--upstream", server.url, "--acl", str(acl_path),
            "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
            "--log-level", "warning", "--assess-interval", "0")  # nobody reads its output pipe
    with wafproxy_process(*args, env={"WAFPROXY_LOOP_LAG": str(report), "WAFPROXY_DETECTOR": "off"},
                          wait_ports=(port, admin)) as proc:
        # The sockets listen before the loop serves them; SIGUSR2 before the probe's handler is in
        # place would end the process: wait for an answer first.
        until(lambda: _answers(f"http://127.0.0.1:{admin}/healthz"), what="the admin answer")
        first = _probe_report(proc.pid, report)
        assert first["gc_frozen"] > 10_000  # the engine, the ACL, every module loaded
        assert sum(first["lag_ms"].values()) == first["ticks"] > 0
        os.kill(proc.pid, signal.SIGHUP)  # hot reload: a new ACL, the old one must not stay frozen
        assert eventually(lambda: _probe_report(proc.pid, report)["gc"].get("2", {}).get("n", 0) >= 1)
        assert _probe_report(proc.pid, report)["gc_frozen"] > 10_000
