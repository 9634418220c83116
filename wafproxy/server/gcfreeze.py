"""Keep what a serving process loaded at start out of the garbage collector's full passes.

Why: a full (generation 2) collection walks every container object alive, the compiled web ACL
and everything imported included, while the event loop waits. Measured under the served GET
(``WAFPROXY_LOOP_LAG``, ``load_tests/bench_proxy.py --loop-lag``): one full pass of 36–119 ms
every 2.5 s (threat detector and WAF log on: their queued events survive into the old
generation) to every ~30 s (both off), each one stopping all 50 connections at once.

``gc.freeze()`` moves every object alive into the permanent generation, which no collection
walks; full passes then only walk what came later. It is done once the process has loaded what
it serves (``freeze``), and again after every web ACL swap (hot reload, TTL expiry, the start-up's
hyperscan swap; ``swapped``, ``after``): a compiled ACL holds reference cycles (~3,300 objects for
the default one), so a replaced ACL left in the permanent generation would never be freed. The
refreeze therefore unfreezes, collects (one full pass, once per swap, ``REFREEZE_DELAY`` after
it so the requests still on the old ACL have ended and a burst of swaps costs one pass) and
freezes again. An old ACL a very long request still held at that moment is freed by the next
refreeze: at most one old ACL is ever kept.

Only ``wafproxy serve``'s processes use it (``cli.serve_in_process``, ``server.worker``): the
freeze is process-wide, so tests serving in-process leave it alone.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from typing import Any

log = logging.getLogger("wafproxy.server")
REFREEZE_DELAY = 2.0  # seconds after a swap
POLL_SECONDS = 1.0  # how often ``after`` looks at the thread it waits for


class GcFreezer:
    def __init__(self) -> None:
        self._pending: asyncio.TimerHandle | None = None
        self.freezes = 0

    def freeze(self) -> None:
        """Collect what is garbage now, then freeze everything alive."""
        started = time.perf_counter()
        gc.unfreeze()  # a refreeze: what a swap replaced is collectable again
        gc.collect()
        gc.freeze()
        self.freezes += 1
        log.debug("gc: %d objects frozen in %.1f ms", gc.get_freeze_count(),
                  (time.perf_counter() - started) * 1000)

    def swapped(self, _acl: Any = None) -> None:
        """A ``Reloader``/``FileAcl`` swap callback: refreeze ``REFREEZE_DELAY`` from now (a swap
        before then moves it on: one pass per burst)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a swap from a thread, or at start): at once
            self.freeze()
            return
        if self._pending is not None:
            self._pending.cancel()
        self._pending = loop.call_later(REFREEZE_DELAY, self._refreeze)

    def after(self, thread: threading.Thread | None) -> None:
        """Refreeze once ``thread`` (``startup.compile_in_background``'s) has finished: it swaps
        pattern sets from RE2 onto hyperscan."""
        if thread is None:
            return
        loop = asyncio.get_running_loop()

        def check() -> None:
            if thread.is_alive():
                loop.call_later(POLL_SECONDS, check)
            else:
                self.swapped()

        loop.call_later(POLL_SECONDS, check)

    def _refreeze(self) -> None:
        self._pending = None
        self.freeze()

    def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
