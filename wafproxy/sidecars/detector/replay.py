"""Offline replay: the in-band scenarios over a log file (``wafproxy detect --log``).

Lines are parsed (``logformats``), malformed ones counted and skipped, and each observation goes
through the same ``Detector.observe`` the proxy runs; bans are kept in the detector's gate only
(nothing is written to an IP set), so the replay also says who would have been banned and when.
``follow`` tails a growing file (``tail -F`` style: reopen on rotation), polling every 0.2 s.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from wafproxy.sidecars.detector.detector import Detector
from wafproxy.sidecars.detector.logformats import PARSERS, sniff


@dataclass
class ReplayStats:
    lines: int = 0
    malformed: int = 0
    hits: int = 0
    seconds: float = 0.0


def _lines(path: Path, follow: bool, poll: float = 0.2) -> Iterator[str]:
    fh: IO[str] = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115 — reopened on rotation
    try:
        inode = os.fstat(fh.fileno()).st_ino
        pending = ""
        while True:
            chunk = fh.readline()
            if chunk:
                if not chunk.endswith("\n") and follow:
                    pending += chunk
                    continue
                yield pending + chunk
                pending = ""
                continue
            if not follow:
                if pending:
                    yield pending
                return
            time.sleep(poll)
            try:
                if os.stat(path).st_ino != inode:
                    fh.close()
                    fh = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
                    inode = os.fstat(fh.fileno()).st_ino
            except FileNotFoundError:
                continue
    finally:
        fh.close()


def replay(detector: Detector, path: Path, fmt: str = "auto", *, follow: bool = False,
           on_hit: object = None) -> ReplayStats:
    stats = ReplayStats()
    parse = PARSERS.get(fmt)
    started = time.perf_counter()
    observe = detector.observe
    for line in _lines(path, follow):
        if not line.strip():
            continue
        if parse is None:
            parse = PARSERS[sniff(line)]
        stats.lines += 1
        obs = parse(line)
        if obs is None:
            stats.malformed += 1
            continue
        if detector.gate.verdict(obs.ip, obs.ts) is not None:
            detector.refused += 1  # the proxy would have refused it: it reaches no scenario
            continue
        hits = observe(obs)
        if hits:
            stats.hits += len(hits)
            if callable(on_hit):
                for hit in hits:
                    on_hit(hit)
    stats.seconds = time.perf_counter() - started
    return stats
