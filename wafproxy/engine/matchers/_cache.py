"""A cache of compiled hyperscan databases: in the process, and (optionally) on disk.

Why: the managed rule groups put ~100 grammar regexes into each (field, chain) pattern group, and
hyperscan spends about a second of CPU per group compiling them. ``wafproxy serve``, every worker,
every reload and every test process would pay that again for the same expressions. A database is a
pure function of (hyperscan version, mode, expressions, flags, ids), so it is cached under the
SHA-256 of exactly that:

* in memory, for the life of the process (bounded: ``_MAX_MEMORY`` entries);
* on disk, in ``$WAFPROXY_HS_CACHE`` (default ``$XDG_CACHE_HOME/wafproxy/hyperscan`` or
  ``~/.cache/wafproxy/hyperscan``; ``off`` disables it). This is compile-time I/O at the edge of
  the engine, never request-time. A database that is unreadable or was built by another hyperscan
  build fails ``loadb`` and is simply compiled again. The directory must belong to the current user
  and not be group/world-writable (a planted database could match nothing); otherwise it is not
  used. Files are written to a temporary name and renamed, so concurrent workers never read a
  partial file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX (hyperscan, the only user, is Linux-only)
    fcntl = None  # type: ignore[assignment]

CACHE_ENV = "WAFPROXY_HS_CACHE"
_MAX_MEMORY = 512
_memory: dict[str, Any] = {}


def cache_dir() -> Path | None:
    """The on-disk cache directory, or None when disabled or unsafe."""
    configured = os.environ.get(CACHE_ENV, "")
    if configured.lower() in ("off", "0", "none", "false"):
        return None
    if configured:
        path = Path(configured)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "wafproxy" / "hyperscan"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
    except OSError:
        return None
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return path


def cache_key(version: str, mode: int, expressions: list[bytes], flags: list[int], ids: list[int]) -> str:
    digest = hashlib.sha256(f"{version}\0{mode}\0{len(expressions)}\0".encode())
    for expr, flag, ident in zip(expressions, flags, ids, strict=True):
        digest.update(b"%d\0%d\0%d\0" % (ident, flag, len(expr)))
        digest.update(expr)
    return digest.hexdigest()


def cached(key: str, mode: int, hs: Any, build: Callable[[], Any]) -> Any:
    """The database for ``key``: from memory, from disk, or ``build()`` (then stored in both).

    A build holds an exclusive ``flock`` on ``<key>.lock`` in the cache directory: processes
    compiling the same database at once (``--workers``, parallel test runs, a reload racing the
    start-up build) wait for the first and load its result instead of compiling it again. The lock
    goes with the process if it dies; without a usable directory, each process just compiles.
    """
    db = lookup(key, mode, hs)
    if db is not None:
        return db
    directory = cache_dir()
    with _build_lock(directory, key):
        db = lookup(key, mode, hs) if directory is not None else None
        if db is None:
            db = build()
            if directory is not None:
                _store(directory / f"{key}.hsdb", hs.dumpb(db))
            _remember(key, db)
    return db


@contextlib.contextmanager
def _build_lock(directory: Path | None, key: str) -> Iterator[None]:
    if directory is None or fcntl is None:
        yield
        return
    try:
        fd = os.open(directory / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock; the empty file stays (removing it would race a waiter)


def lookup(key: str, mode: int, hs: Any) -> Any:
    """The database for ``key`` from memory or disk, or None when it would have to be compiled
    (what decides, at start-up, whether a pattern set can use hyperscan at once)."""
    db = _memory.get(key)
    if db is not None:
        return db
    directory = cache_dir()
    if directory is None:
        return None
    try:
        db = hs.loadb((directory / f"{key}.hsdb").read_bytes(), mode)
    except (OSError, hs.error, TypeError, ValueError):
        return None
    _remember(key, db)
    return db


def _remember(key: str, db: Any) -> None:
    if len(_memory) >= _MAX_MEMORY:
        _memory.pop(next(iter(_memory)), None)  # another thread may have taken it: the pop is best-effort
    _memory[key] = db


def _store(path: Path, data: bytes) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".hsdb")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except (OSError, UnboundLocalError):
            pass
