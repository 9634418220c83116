"""What each ``--workers`` process took of a bench round: its connections and its CPU (from /proc).

Used by ``bench_proxy.py``: a multi-worker figure means little without knowing whether the load was
spread (on one shared listening socket the first worker to wake took all 50 of wrk's connections
and kept them for the run), and the CPU ceiling says what the machine could give at best when the
load generator and the upstream run on the same cores.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
WORKER_MODULE = b"wafproxy.server.worker"
TCP_ESTABLISHED = "01"


def worker_pids(parent: int) -> list[int]:
    """The ``python -m wafproxy.server.worker`` children of ``parent``, sorted."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent and \
                    WORKER_MODULE in Path(f"/proc/{entry}/cmdline").read_bytes():
                found.append(int(entry))
    return sorted(found)


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
    return inodes


def _established_inodes(port: int) -> set[str]:
    """Inodes of the established TCP sockets whose local port is ``port`` (IPv4 and IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == TCP_ESTABLISHED:
                    inodes.add(fields[9])
    return inodes


def connections_by_pid(pids: list[int], port: int) -> dict[int, int]:
    """How many established connections to ``port`` each process holds."""
    established = _established_inodes(port)
    return {pid: len(_socket_inodes(pid) & established) for pid in pids}


def process_cpu(pid: int) -> float:
    """User+system CPU seconds of one process (0 when it is gone)."""
    with contextlib.suppress(OSError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    return 0.0


class ShareSampler:
    """Around one round: each worker's CPU, and its connections sampled ``at`` seconds in."""

    def __init__(self, parent: int, port: int, at: float) -> None:
        self.parent = parent
        self.pids = worker_pids(parent)
        self.port = port
        self.at = at
        self.connections: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        if not self._done.wait(self.at):
            self.connections = connections_by_pid(self.pids, self.port)

    def __enter__(self) -> ShareSampler:
        self._cpu0 = {pid: process_cpu(pid) for pid in [self.parent, *self.pids]}
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.cpu = {pid: process_cpu(pid) - cpu0 for pid, cpu0 in self._cpu0.items()}

    def line(self) -> str:
        """``workers: pid 12: 25 conns, 4.1 s CPU; ...; parent 0.02 s CPU`` (empty for a single
        process). The parent only supervises: it should spend nothing per request."""
        if not self.pids:
            return ""
        parts = [f"pid {pid}: {self.connections.get(pid, 0)} conns, {self.cpu[pid]:.1f} s CPU"
                 for pid in self.pids]
        return f"  workers: {'; '.join(parts)}; parent {self.cpu[self.parent]:.2f} s CPU"


def ceiling_rps(server_us: float, loadgen_us: float, upstream_us: float, processes: int,
                cores: int) -> float:
    """The most req/s this machine could give: every core busy with the server, the load generator
    and the upstream at their measured CPU per request, no server process above one core."""
    if server_us <= 0:
        return float("nan")
    return min(processes * 1e6 / server_us, cores * 1e6 / (server_us + loadgen_us + upstream_us))
