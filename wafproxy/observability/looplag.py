"""Event-loop lag probe, for measurement only: ``WAFPROXY_LOOP_LAG=/path/report.json``.

Why: a p99 latency far above the mean means the loop stopped answering for milliseconds now and
then; this says how often, for how long, and what it was doing. Off unless the variable is set
(it costs a timer a millisecond and a ``/proc`` read per tick).

A timer re-armed every ``TICK`` seconds records how late it fires (``time.perf_counter``; uvloop's
``loop.time()`` is cached per loop turn) into a histogram. For each late tick (over
``STALL_SECONDS``) it also records, over the interval since the previous tick: the loop thread's
CPU time (``time.thread_time``) and its wait on the kernel's run queue
(``/proc/thread-self/schedstat``: a stall spent waiting there is the other processes on the cores,
not us), and the time spent in garbage collection (``gc.callbacks``). No stack sampling: a Python
watchdog thread only gets the GIL where the loop thread releases it (its own I/O), so its samples
say where the loop waits, not where it computes (tried: 99 % of them were the loop's own poll).

``SIGUSR2`` writes the report (JSON, atomically) and starts counting afresh, so a bench can read
one report per round (``load_tests/bench_proxy.py --loop-lag``); ``stop()`` writes the last one.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import gc
import json
import os
import signal
import time
from collections import Counter
from typing import Any

ENV = "WAFPROXY_LOOP_LAG"
TICK = 0.001
STALL_SECONDS = 0.002
BOUNDS_MS = (0.5, 1, 2, 3, 5, 8, 12, 20, 50, 100, 1000)
MAX_STALLS = 2000  # stalls listed one by one per report (the histogram counts them all)


def _schedstat(fd: int | None = None) -> tuple[int, int]:
    """(ns on CPU, ns waiting on a run queue) of the thread that opened ``fd`` (or the calling
    thread). The CPU figure moves at the scheduler's tick only (4 ms steps here), hence
    ``time.thread_time`` for CPU."""
    try:
        if fd is None:
            with open("/proc/thread-self/schedstat", "rb") as f:
                data = f.read()
        else:
            data = os.pread(fd, 128, 0)
        run, wait, _ = data.split()
    except (OSError, ValueError):
        return 0, 0
    return int(run), int(wait)


class LoopLagProbe:
    def __init__(self, path: str) -> None:
        self.path = path
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._fd: int | None = None
        self._reset()

    def _reset(self) -> None:
        self.counts = [0] * (len(BOUNDS_MS) + 1)
        self.ticks = 0
        self.stalls: list[dict[str, Any]] = []
        self.gc_by_gen: Counter[int] = Counter()
        self.gc_ms_by_gen: dict[int, float] = {}
        self.gc_max_ms: dict[int, float] = {}
        self.gc_max_cpu_ms: dict[int, float] = {}
        self.since = time.time()
        self.cpu_since = time.thread_time()
        self.process_cpu_since = time.process_time()
        self.runqueue_since = _schedstat(self._fd)[1]
        self._gc_in_interval = 0.0
        self._gc_gen_in_interval = -1

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        with contextlib.suppress(OSError):  # this (the loop's) thread's: one pread per tick
            self._fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        self.runqueue_since = _schedstat(self._fd)[1]
        gc.callbacks.append(self._on_gc)
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGUSR2, self._report_and_reset)
        self._cpu = time.thread_time()
        self._wait = _schedstat(self._fd)[1]
        self._due = time.perf_counter() + TICK
        self._gc_started = self._gc_cpu_started = 0.0
        self._handle = loop.call_later(TICK, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._on_gc)
        if self._loop is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                self._loop.remove_signal_handler(signal.SIGUSR2)
        self.write()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # --- measuring ---------------------------------------------------------------------------

    def _tick(self) -> None:
        now = time.perf_counter()
        late = now - self._due
        self.ticks += 1
        self.counts[bisect.bisect_left(BOUNDS_MS, late * 1000)] += 1
        cpu, wait = time.thread_time(), _schedstat(self._fd)[1]
        if late > STALL_SECONDS and len(self.stalls) < MAX_STALLS:
            cpu_ms, wait_ms = (cpu - self._cpu) * 1000, (wait - self._wait) / 1e6
            self.stalls.append({
                "at": round(time.time() - self.since, 3), "late_ms": round(late * 1000, 2),
                "cpu_ms": round(cpu_ms, 2), "runqueue_ms": round(wait_ms, 2),
                # Neither running nor runnable while the loop had work: waiting for the GIL (another
                # thread of ours held it) or in a blocking call. Counted past the first ``TICK`` of
                # the interval (the loop may have idled then), so it errs low by up to a tick.
                "off_cpu_ms": round(max(0.0, late * 1000 - cpu_ms - wait_ms), 2),
                "gc_ms": round(self._gc_in_interval * 1000, 2), "gc_gen": self._gc_gen_in_interval,
            })
        self._cpu, self._wait = cpu, wait
        self._gc_in_interval = 0.0
        self._gc_gen_in_interval = -1
        self._due = time.perf_counter() + TICK
        assert self._loop is not None
        self._handle = self._loop.call_later(TICK, self._tick)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
            self._gc_cpu_started = time.thread_time()
            return
        ms = (time.perf_counter() - self._gc_started) * 1000
        cpu_ms = (time.thread_time() - self._gc_cpu_started) * 1000  # without the kernel's preemptions
        gen = int(info.get("generation", -1))
        self.gc_by_gen[gen] += 1
        self.gc_ms_by_gen[gen] = self.gc_ms_by_gen.get(gen, 0.0) + ms
        self.gc_max_ms[gen] = max(self.gc_max_ms.get(gen, 0.0), ms)
        self.gc_max_cpu_ms[gen] = max(self.gc_max_cpu_ms.get(gen, 0.0), cpu_ms)
        self._gc_in_interval += ms / 1000
        self._gc_gen_in_interval = max(self._gc_gen_in_interval, gen)

    # --- reporting ---------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        labels = [f"<={b}" for b in BOUNDS_MS] + [f">{BOUNDS_MS[-1]}"]
        return {
            "seconds": round(time.time() - self.since, 3), "ticks": self.ticks,
            "cpu_s": round(time.thread_time() - self.cpu_since, 3),
            "process_cpu_s": round(time.process_time() - self.process_cpu_since, 3),
            "runqueue_s": round((_schedstat(self._fd)[1] - self.runqueue_since) / 1e9, 3),
            "lag_ms": dict(zip(labels, self.counts, strict=True)),
            "gc": {str(g): {"n": self.gc_by_gen[g], "ms": round(self.gc_ms_by_gen[g], 2),
                            "max_ms": round(self.gc_max_ms[g], 2),
                            "max_cpu_ms": round(self.gc_max_cpu_ms[g], 2)} for g in sorted(self.gc_by_gen)},
            "gc_tracked": len(gc.get_objects()), "gc_frozen": gc.get_freeze_count(),
            "stalls": self.stalls,
        }

    def write(self) -> None:
        tmp = f"{self.path}.tmp"
        with open(tmp, "w") as f:
            json.dump(self.report(), f)
        os.replace(tmp, self.path)

    def _report_and_reset(self) -> None:
        self.write()
        self._reset()


def probe_from_env() -> LoopLagProbe | None:
    """The probe ``WAFPROXY_LOOP_LAG`` asks for (None: off, the normal case)."""
    path = os.environ.get(ENV)
    if not path:
        return None
    return LoopLagProbe(path)
