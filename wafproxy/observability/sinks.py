"""Where WAF log lines go: stdout (``-``) or a file rotated by size.

Only the writer thread of ``WafLogWriter`` touches these, so they need no locking. Rotation renames
``log`` → ``log.1`` → ``log.2`` … with ``os.replace`` (atomic on POSIX): a reader or shipper never
sees a half-renamed file, and every line lands whole in exactly one file because the size check
happens before a line is written, never in the middle of one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import sys
import time
from collections.abc import Callable
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
        self._pending: list[bytes] = []  # ``append``ed, not yet written: ``flush`` commits them

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

    def would_pass(self, n: int) -> bool:
        """Whether ``n`` more bytes would take a non-empty file past ``max_bytes`` (rotate first)."""
        return self._rotatable and self._size > 0 and self._size + n > self._limit

    def rotate(self) -> None:
        self._rotate()

    def append(self, data: bytes) -> None:
        """Queue as is, no size check (``EncryptedFileSink`` decides where files end)."""
        self._pending.append(data)
        self._size += len(data)

    def flush(self) -> None:
        """Write what ``append`` queued in one commit: all of it, or none (the file cut back)."""
        if self._pending:
            data = b"".join(self._pending)
            self._pending = []
            self._commit(data)

    def write_lines(self, lines: list[bytes]) -> None:
        total = sum(map(len, lines))
        if not self._rotatable or self._size + total <= self._limit:  # no line of it rotates
            self._size += total
            self._commit(b"".join(lines))
            return
        pending: list[bytes] = []
        for line in lines:
            if self.would_pass(len(line)):
                if pending:
                    self._commit(b"".join(pending))
                    pending = []
                self._rotate()
            pending.append(line)
            self._size += len(line)
        if pending:
            self._commit(b"".join(pending))

    def _commit(self, data: bytes) -> None:
        """Write whole lines already counted in ``_size``: all of them or none. A full disk (ENOSPC)
        or a file-size limit (EFBIG) can take part of a write; the file is then cut back to its
        last whole line, so the record written after the disk frees up starts on a line of its
        own instead of continuing a torn one (the caller drops and counts the batch)."""
        fd = self._file.fileno()
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(fd, view) :]
        except OSError:
            self._size -= len(data)
            if self._rotatable:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, self._size)
            raise

    def close(self) -> None:
        self._file.close()


class Framing(Protocol):
    """One file's encryption (``sidecars.kms.logcrypt.LineSealer``): a header, records, an end."""

    def header(self) -> bytes: ...

    def seal(self, line: bytes) -> bytes: ...

    def end(self) -> bytes: ...

    def rewind(self, records: int) -> None:
        """The last ``records`` sealed records never reached the file: reuse their sequence numbers."""
        ...


class FramingSource(Protocol):
    """Gives each new file its own ``Framing`` (a fresh data key). Injected, so this module never
    imports the KMS (observability sits below the sidecars)."""

    def open_file(self) -> Framing:
        """Blocking (one KMS call), run on the writer thread; raises when no key can be had."""
        ...

    def sealed_size(self, n: int) -> int: ...


class PartlyWritten(Exception):
    """A write failed (full disk): the last ``lost`` records of the batch were dropped, the file
    cut back to its last whole record; the records before them are in the file."""

    def __init__(self, lost: int, cause: OSError) -> None:
        super().__init__(f"{lost} WAF log records dropped: {cause.strerror or type(cause).__name__}")
        self.lost = lost
        self.cause = cause


class KeysUnavailable(Exception):
    """No data key for the file: ``lost`` records were dropped (never written in plaintext)."""

    def __init__(self, lost: int, cause: str) -> None:
        super().__init__(f"{lost} WAF log records dropped: no data key ({cause})")
        self.lost = lost
        self.cause = cause


_END_RESERVE = 128  # room kept for the end record, so a file ends within max_bytes


class EncryptedFileSink:
    """A ``RotatingFileSink`` whose every file is header + sealed records + end record.

    The data key is fetched lazily, on the first write after start or rotation (on the writer
    thread, never on the request path; at start the in-process KMS may not be serving yet). When
    that fails the batch is dropped (``KeysUnavailable``) and no new key is asked for during
    ``retry_seconds``: a down KMS costs one failed call per interval, not one per batch. A process
    restart appends a new segment (header … end) to an existing file, as the plaintext log appends.
    """

    def __init__(self, path: str | os.PathLike[str], *, framing: FramingSource, max_bytes: int,
                 backups: int, retry_seconds: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._files = RotatingFileSink(path, max_bytes=max_bytes, backups=backups)
        self._source = framing
        self._current: Framing | None = None
        self._header = "written"  # of the current segment: "queued" (appended), "cut" (by a failed write)
        self._retry_seconds = retry_seconds
        self._retry_at: float | None = None
        self._clock = clock
        self.key_failures = 0

    @property
    def rotations(self) -> int:
        return self._files.rotations

    def _framing(self, lost: int) -> Framing:
        if self._current is not None:
            if self._header == "cut":  # the header was cut back with a failed write: again
                self._files.append(self._current.header())
                self._header = "queued"
            return self._current
        now = self._clock()
        if self._retry_at is not None and now < self._retry_at:
            raise KeysUnavailable(lost, "retrying later")
        try:
            framing = self._source.open_file()
        except Exception as exc:  # noqa: BLE001 — any KMS failure: drop and count, never plaintext
            self.key_failures += 1
            # From when the call gave up, not when it began: a frozen KMS takes the client's whole
            # timeout to fail, and the interval must still separate one attempt from the next.
            self._retry_at = self._clock() + self._retry_seconds
            raise KeysUnavailable(lost, type(exc).__name__) from None
        self._retry_at = None
        self._files.append(framing.header())
        self._current = framing
        self._header = "queued"
        return framing

    def _commit(self, sealed: int, lost: int, *, ending: bool = False) -> None:
        """Write what was appended. On a failed write (full disk) the file is cut back to its last
        whole record and the sealer rewound by the ``sealed`` records that did not land, so the
        next record continues the sequence on disk and the file still decrypts; the segment stays
        open (an end record is written only once it lands)."""
        try:
            self._files.flush()
        except OSError as exc:
            if self._current is not None:
                self._current.rewind(sealed)
            if self._header == "queued":
                self._header = "cut"
            raise PartlyWritten(lost, exc) from exc
        self._header = "written"
        if ending:
            self._current = None

    def write_lines(self, lines: list[bytes]) -> None:
        sealed = 0  # records appended since the last commit
        for i, line in enumerate(lines):
            framing = self._framing(len(lines) - i)
            body = line[:-1] if line.endswith(b"\n") else line
            if self._files.would_pass(self._source.sealed_size(len(body)) + _END_RESERVE):
                if self._current is not None:
                    self._files.append(self._current.end())
                self._commit(sealed, sealed + len(lines) - i, ending=True)
                sealed = 0
                self._files.rotate()
                framing = self._framing(len(lines) - i)
            self._files.append(framing.seal(body))
            sealed += 1
        self._commit(sealed, sealed)

    def close(self) -> None:
        """Seal the file with its end record: ``wafproxy logs decrypt`` tells a closed file from a
        truncated one."""
        if self._current is not None and self._header == "written":
            self._files.append(self._current.end())
            with contextlib.suppress(PartlyWritten):  # a full disk at close: the file stays open
                self._commit(0, 0, ending=True)
        self._files.close()


def open_sink(target: str, *, max_bytes: int, backups: int, framing: FramingSource | None = None) -> LineSink:
    """``-`` → stdout, anything else → a rotating file at that path (encrypted with ``framing``)."""
    if framing is not None:
        if target == "-":
            raise ValueError("an encrypted WAF log needs a file path, not stdout")
        return EncryptedFileSink(target, framing=framing, max_bytes=max_bytes, backups=backups)
    if target == "-":
        return StdoutSink()
    return RotatingFileSink(target, max_bytes=max_bytes, backups=backups)
