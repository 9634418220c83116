"""The compiled-database cache (``matchers._cache``): same inputs, same database; disk round trip;
an unsafe or corrupt cache is never trusted."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from wafproxy.engine.matchers import HAVE_HYPERSCAN, Pattern, PatternSet, _cache

pytestmark = pytest.mark.skipif(not HAVE_HYPERSCAN, reason="hyperscan not installed")


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "hs"
    monkeypatch.setenv(_cache.CACHE_ENV, str(path))
    monkeypatch.setattr(_cache, "_memory", {})
    return path


def _set(regex: str) -> PatternSet:
    return PatternSet.build([Pattern(7, "regex", regex)], engine="hyperscan")


def test_database_is_written_and_reused_from_disk(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _set(r"(?i)union\s+select").scan("1 UNION  SELECT 2") == {7}
    files = sorted(cache_dir.glob("*.hsdb"))
    assert files, "no database stored"
    monkeypatch.setattr(_cache, "_memory", {})  # a new process: only the disk cache is left
    again = _set(r"(?i)union\s+select")
    assert again.scan("x union select y") == {7} and again.scan("union all") == frozenset()
    assert sorted(cache_dir.glob("*.hsdb")) == files


def test_corrupt_file_is_rebuilt(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _set(r"ab+c")
    for path in cache_dir.glob("*.hsdb"):
        path.write_bytes(b"not a database")
    monkeypatch.setattr(_cache, "_memory", {})
    assert _set(r"ab+c").scan("xabbbc") == {7}


def test_group_writable_directory_is_not_used(cache_dir: Path) -> None:
    cache_dir.mkdir(parents=True)
    os.chmod(cache_dir, 0o777)
    assert _cache.cache_dir() is None
    assert _set(r"zz+").scan("azzz") == {7}  # still compiles, just not cached
    assert not list(cache_dir.glob("*.hsdb"))


def test_disabled_by_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_cache.CACHE_ENV, "off")
    assert _cache.cache_dir() is None


def test_key_depends_on_every_input() -> None:
    base = _cache.cache_key("v", 1, [b"a"], [0], [1])
    assert base != _cache.cache_key("v", 1, [b"b"], [0], [1])
    assert base != _cache.cache_key("v", 1, [b"a"], [2], [1])
    assert base != _cache.cache_key("v", 1, [b"a"], [0], [2])
    assert base != _cache.cache_key("w", 1, [b"a"], [0], [1])
    assert base == _cache.cache_key("v", 1, [b"a"], [0], [1])


def _waiting_on(path: Path) -> bool:
    """Whether some process waits for a lock on ``path`` (Linux ``/proc/locks``: ``->`` lines)."""
    inode = f":{os.stat(path).st_ino} "
    return any("->" in line and inode in line for line in Path("/proc/locks").read_text().splitlines())


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")
def test_a_build_waits_for_another_process_building_the_same_database(cache_dir: Path) -> None:
    """While another holder builds ``key``, a build of the same database waits for it and loads
    what it stored instead of compiling again (here: a planted database, to tell them apart)."""
    import hyperscan

    from wafproxy.engine.matchers._engines import _HS_VERSION, HS_BASE

    cache_dir.mkdir(mode=0o700)
    expressions, flags, ids = [b"needle"], [HS_BASE], [0]
    key = _cache.cache_key(_HS_VERSION, hyperscan.HS_MODE_BLOCK, expressions, flags, ids)
    lock = cache_dir / f"{key}.lock"
    holder = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)
    built: list[object] = []

    def compile_it() -> object:
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(expressions=expressions, ids=ids, elements=1, flags=flags)
        built.append(db)
        return db

    results: list[object] = []
    waiter = threading.Thread(
        target=lambda: results.append(_cache.cached(key, hyperscan.HS_MODE_BLOCK, hyperscan, compile_it))
    )
    try:
        waiter.start()
        deadline = time.monotonic() + 30
        while not _waiting_on(lock):
            assert time.monotonic() < deadline and waiter.is_alive(), "the build did not wait for the lock"
            time.sleep(0.01)
        planted = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        planted.compile(expressions=[b"other"], ids=[0], elements=1, flags=[HS_BASE])
        (cache_dir / f"{key}.hsdb").write_bytes(hyperscan.dumpb(planted))
    finally:
        os.close(holder)
        waiter.join(timeout=30)
    assert built == [] and len(results) == 1  # loaded, not compiled
    db: Any = results[0]
    hits: list[int] = []
    db.scan(b"an other thing", match_event_handler=lambda *a: hits.append(a[0]),
            scratch=hyperscan.Scratch(db))
    assert hits == [0]
