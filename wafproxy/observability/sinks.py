"""Where WAF log lines go: stdout (``-``) or a file rotated by size.

Only the writer thread of ``WafLogWriter`` touches these, so they need no locking. Rotation renames
``log`` → ``log.1`` → ``log.2`` … with ``os.replace`` (atomic on POSIX): a reader or shipper never
sees a half-renamed file, and every line lands whole in exactly one file because the size check
happens before a line is written, never in the middle of one.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from pathlib import Path
from typing import BinaryIO, Protocol

log = logging.getLogger(__name__)


class LineSink(Protocol):
    def write_lines(self, lines: list[bytes]) -> None: ...

    def close(self) -> None: ...


class StdoutSink:
    """Writes to the process's stdout (``--waf-log -``), as bytes, flushed per batch."""

    def __init__(self) -> None:
        self._out: BinaryIO = sys.stdout.buffer

    def write_lines(self, lines: list[bytes]) -> None:
        self._out.write(b"".join(lines))
        self._out.flush()

    def close(self) -> None:
        self._out.flush()


class RotatingFileSink:
    """Appends lines to ``path``; when the next line would pass ``max_bytes``, rotates first.

    ``backups`` old files are kept (``path.1`` newest); with 0 the file is simply started afresh.
    A single line longer than ``max_bytes`` still gets written (to a fresh file) rather than lost.
    """

    def __init__(self, path: str | os.PathLike[str], *, max_bytes: int, backups: int) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        if backups < 0:
            raise ValueError("backups must be >= 0")
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.backups = backups
        self.rotations = 0
        self.rotation_errors = 0
        self._file = self._open()
        st = os.fstat(self._file.fileno())
        # A FIFO or character device (a log shipper's pipe, /dev/null) is never rotated.
        self._rotatable = stat.S_ISREG(st.st_mode)
        self._size = st.st_size if self._rotatable else 0
        self._limit = max_bytes

    def _open(self) -> BinaryIO:
        # 0o600: the log holds client addresses and request lines.
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return os.fdopen(fd, "ab")

    def _rotate(self) -> None:
        """Shift the backups and start a new file. When a rename fails (permissions, a directory
        in the way) keep appending to the current file and retry after another ``max_bytes``:
        an oversized file is better than lost records. Failures are counted and logged once."""
        self._file.close()
        try:
            if self.backups == 0:
                os.unlink(self.path)
            else:
                for i in range(self.backups - 1, 0, -1):
                    older = self.path.with_name(f"{self.path.name}.{i}")
                    if older.exists():
                        os.replace(older, self.path.with_name(f"{self.path.name}.{i + 1}"))
                os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))
            self.rotations += 1
        except OSError as exc:
            if not self.rotation_errors:
                log.warning("WAF log rotation failed, appending past max_bytes: %s", type(exc).__name__)
            self.rotation_errors += 1
        self._file = self._open()
        self._size = os.fstat(self._file.fileno()).st_size
        self._limit = self._size + self.max_bytes if self._size else self.max_bytes

    def write_lines(self, lines: list[bytes]) -> None:
        pending: list[bytes] = []
        for line in lines:
            if self._rotatable and self._size > 0 and self._size + len(line) > self._limit:
                if pending:
                    self._file.write(b"".join(pending))
                    pending = []
                self._rotate()
            pending.append(line)
            self._size += len(line)
        if pending:
            self._file.write(b"".join(pending))
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def open_sink(target: str, *, max_bytes: int, backups: int) -> LineSink:
    """``-`` → stdout, anything else → a rotating file at that path."""
    if target == "-":
        return StdoutSink()
    return RotatingFileSink(target, max_bytes=max_bytes, backups=backups)
