"""The loop-lag probe (``WAFPROXY_LOOP_LAG``): a loop blocked in a callback shows as a stall of at
least that long, not on CPU when it slept; a collection is counted by generation; SIGUSR2 writes the
report and starts afresh."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import time
from pathlib import Path

import pytest

from wafproxy.observability.looplag import ENV, LoopLagProbe, probe_from_env


async def _blocked(seconds: float) -> None:
    """Block the loop from one of its callbacks, as a stall does."""
    done = asyncio.get_running_loop().create_future()

    def block() -> None:
        time.sleep(seconds)
        done.set_result(None)

    asyncio.get_running_loop().call_soon(block)
    await done


def test_off_unless_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert probe_from_env() is None
    monkeypatch.setenv(ENV, str(tmp_path / "r.json"))
    probe = probe_from_env()
    assert probe is not None and probe.path == str(tmp_path / "r.json")


def test_a_blocked_loop_and_a_collection_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "report.json"

    async def scenario() -> None:
        probe = LoopLagProbe(str(path))
        probe.start()
        await asyncio.sleep(0.05)  # some ticks on time
        await _blocked(0.05)  # the loop blocked 50 ms, off CPU
        await asyncio.sleep(0.01)
        gc.collect()
        await asyncio.sleep(0.01)
        probe.stop()

    asyncio.run(scenario())
    report = json.loads(path.read_text())
    assert sum(report["lag_ms"].values()) == report["ticks"] > 3
    blocked = [s for s in report["stalls"] if s["late_ms"] >= 45]
    assert blocked, report["stalls"]
    assert blocked[0]["cpu_ms"] < blocked[0]["late_ms"] / 2  # asleep, not computing
    assert report["gc"]["2"]["n"] >= 1


def test_sigusr2_writes_the_report_and_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "report.json"

    async def scenario() -> tuple[dict, dict]:
        probe = LoopLagProbe(str(path))
        probe.start()
        await _blocked(1.0)  # longer than any preemption a loaded machine gives the second report
        await asyncio.sleep(0.01)
        os.kill(os.getpid(), signal.SIGUSR2)
        for _ in range(1200):
            if path.exists():
                break
            await asyncio.sleep(0.05)
        first = json.loads(path.read_text())
        await asyncio.sleep(0.01)
        probe.stop()
        return first, json.loads(path.read_text())

    first, last = asyncio.run(scenario())
    assert any(s["late_ms"] >= 900 for s in first["stalls"])
    assert not any(s["late_ms"] >= 900 for s in last["stalls"])  # counted afresh after the report
