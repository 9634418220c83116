"""The compiled-database cache (``matchers._cache``): same inputs, same database; disk round trip;
an unsafe or corrupt cache is never trusted."""

from __future__ import annotations

import os
from pathlib import Path

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
