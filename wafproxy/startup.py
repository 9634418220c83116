"""Start-up progress of ``wafproxy serve`` / ``demo``: compile fast, say what runs, finish behind.

From an empty cache the default web ACL's hyperscan databases take ~80 s of CPU to compile (the
first start used to sit silent for minutes). So the start-up compile runs with deferred hyperscan
builds (``engine.matchers._deferred``): every pattern set whose databases are not cached starts on
RE2 — same decisions, built in about a second — and the servers answer at once, while
``compile_in_background`` compiles the databases on one thread per core (hyperscan releases the
GIL) and swaps each set onto hyperscan as it is done, logging "k of N" as it goes.

``--workers N``: the parent (admin) process and every worker do the same, the workers quietly
(one set of start-up lines); a database is compiled once, by whichever process takes its lock in
the disk cache first (``matchers._cache``), and the others load it. ``compile_now`` is the
foreground variant (the test suite's warm-up).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the engine is imported when serving, not for ``wafproxy version``
    from wafproxy.engine.matchers import PendingBuild

logger = logging.getLogger("wafproxy.startup")
PROGRESS_EVERY = 3.0  # seconds between "k of N" lines (the last one is always printed)


def begin(acl: Path, *, quiet: bool = False) -> None:
    """Before the start-up compile: defer hyperscan builds, and say what runs and what is happening."""
    from wafproxy.compiled import describe
    from wafproxy.engine.matchers import defer_hyperscan

    defer_hyperscan(True)
    if not quiet:
        logger.info("running %s", describe())  # compiled or pure Python: once, from the parent
        logger.info("compiling web ACL %s", acl)


def compile_in_background(*, quiet: bool = False) -> threading.Thread | None:
    """After the start-up compile: build what was deferred on daemon threads (the process can
    stop at any time; a half-built cache entry is never visible, ``_cache`` renames into place).
    Later compiles (reloads) build hyperscan before they swap, as before. ``quiet``: errors only."""
    return _start(background=True, quiet=quiet)


def compile_now() -> None:
    """Build what was deferred before returning (``--workers``: the workers load the cache)."""
    thread = _start(background=False)
    if thread is not None:
        thread.join()


def _start(*, background: bool, quiet: bool = False) -> threading.Thread | None:
    from wafproxy.engine.matchers import defer_hyperscan, take_pending

    defer_hyperscan(False)
    builds = take_pending()
    if not builds:
        return None
    total = sum(b.databases for b in builds)
    threads = max(1, min(len(builds), os.cpu_count() or 1))
    if total and not quiet:
        meanwhile = "; serving meanwhile with RE2 (same decisions, more CPU)" if background else ""
        logger.info("compiling %d hyperscan pattern databases (not in the cache yet) on %d threads%s",
                    total, threads, meanwhile)
    runner = _Runner(builds, 0 if quiet else total, threads)
    thread = threading.Thread(target=runner.run, name="wafproxy-hyperscan", daemon=True)
    thread.start()
    return thread


class _Runner:
    """``threads`` daemon workers over a queue of builds; progress and the summary are logged."""

    def __init__(self, builds: list[PendingBuild], total: int, threads: int) -> None:
        self._queue: queue.SimpleQueue[PendingBuild] = queue.SimpleQueue()
        for build in builds:
            self._queue.put(build)
        self._total = total
        self._threads = threads
        self._lock = threading.Lock()
        self._done = 0
        self._failed = 0
        self._started = self._last = time.monotonic()

    def run(self) -> None:
        workers = [threading.Thread(target=self._work, name=f"wafproxy-hyperscan-{i}", daemon=True)
                   for i in range(self._threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if self._total:
            elapsed = time.monotonic() - self._started
            if self._failed:
                logger.error("hyperscan: %d of %d pattern databases compiled in %.1f s; %d pattern sets "
                             "stay on RE2", self._done, self._total, elapsed, self._failed)
            else:
                logger.info("hyperscan: all %d pattern databases compiled in %.1f s; matching now runs on "
                            "hyperscan", self._total, elapsed)

    def _work(self) -> None:
        while True:
            try:
                build = self._queue.get_nowait()
            except queue.Empty:
                return
            try:
                build.run()
            except Exception as exc:  # a regex hyperscan refuses, a hyperscan error: stay on RE2, say why
                logger.error("hyperscan: a pattern set stays on RE2 (same decisions, slower): %s", exc)
                with self._lock:
                    self._failed += 1
                continue
            self._progress(build.databases)

    def _progress(self, databases: int) -> None:
        with self._lock:
            self._done += databases
            now = time.monotonic()
            if databases and self._done < self._total and now - self._last >= PROGRESS_EVERY:
                self._last = now
                logger.info("hyperscan: %d of %d pattern databases compiled", self._done, self._total)
