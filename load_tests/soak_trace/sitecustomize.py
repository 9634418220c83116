"""Loaded into the soak's proxy only by ``soak.py --tracemalloc DIR`` (this directory goes first on
its PYTHONPATH). The first SIGUSR2 starts tracing allocations (from then on: tracing from the first
import made the proxy's start-up, compiles included, too slow to wait for) and every SIGUSR2 writes
a snapshot to ``$WAFPROXY_SOAK_TRACE_DIR/snapshot-N.bin``; what the last one holds that the first
does not was allocated after minute 5 and is still alive. Nothing in wafproxy knows about it:
finding a leak must not need a build of the proxy with hooks in it."""

from __future__ import annotations

import itertools
import os
import signal
import tracemalloc
from typing import Any

_DIR = os.environ.get("WAFPROXY_SOAK_TRACE_DIR")
if _DIR:
    _numbers = itertools.count(1)

    def _dump(signum: int, frame: Any) -> None:
        if not tracemalloc.is_tracing():
            tracemalloc.start(int(os.environ.get("WAFPROXY_SOAK_TRACE_FRAMES", "8")))
        path = os.path.join(_DIR, f"snapshot-{next(_numbers)}.bin")
        tracemalloc.take_snapshot().dump(path + ".tmp")
        os.replace(path + ".tmp", path)  # the soak waits for the file: never half of one

    signal.signal(signal.SIGUSR2, _dump)
