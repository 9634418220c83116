"""Durable writes and the audit trail of the control plane.

Every change the API makes is written with write-temp → fsync → rename → fsync(dir), so a crash
leaves either the old file or the new one, never a torn one, and a restart serves what the last
successful call returned. The audit log is append-only JSON lines (who, what, when, which ARN,
the outcome): it never holds request bodies, so no secrets and no addresses of remediated clients.

State is private to the process's user: directories we create are 0700, files 0600 (the IP sets
name who is blocked, the audit names who changed what).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> None:
    """``mkdir -p`` where every directory created is 0700 (``Path.mkdir(parents=True, mode=...)``
    applies the mode to the last one only); existing directories are left as they are."""
    missing = []
    while not path.exists():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue
        os.chmod(directory, PRIVATE_DIR)  # whatever the umask


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (POSIX rename) and durably (fsync file and dir)."""
    private_dir(path.parent)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def atomic_remove(path: Path) -> None:
    """Unlink ``path`` (if present) and make the removal durable."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def dump_json(document: Mapping[str, Any]) -> bytes:
    """Stable, human-diffable JSON: operators keep these files in git."""
    return (json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode()


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One change: ``who`` is the SigV4 principal ARN (or ``file``/``sighup``/``ttl`` for reloads)."""

    time: float
    who: str
    operation: str
    resource: str
    outcome: str  # "ok" or the AWS error code
    detail: str = ""  # e.g. "3 addresses, ttl 600s" — counts, never the values


class AuditLog:
    """Append-only JSON lines; one ``write`` + flush per record so concurrent writers interleave
    whole lines (O_APPEND), and ``fsync`` so an acknowledged change is also an audited one."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path is not None:
            private_dir(path.parent)

    def record(self, who: str, operation: str, resource: str, outcome: str = "ok", detail: str = "") -> None:
        rec = AuditRecord(time.time(), who, operation, resource, outcome, detail)
        if self.path is None:
            return
        line = (json.dumps(asdict(rec), separators=(",", ":")) + "\n").encode()
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def read(self) -> list[dict[str, Any]]:
        """All records (tests, ``wafproxy audit``-style tooling)."""
        if self.path is None or not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]
