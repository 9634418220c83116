"""Deferred hyperscan builds (``matchers._deferred``): a set starts on RE2 and moves onto hyperscan
in place, and a web ACL decides the same on either engine (the shared corpora, every field of the
``Decision``), so a cold start may serve on RE2 while hyperscan compiles.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rules import corpuskit as ck
from wafproxy import startup
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import CompiledWebACL, evaluate
from wafproxy.engine.matchers import (
    HAVE_HYPERSCAN,
    Pattern,
    PatternError,
    PatternSet,
    _cache,
    defer_hyperscan,
    take_pending,
)

pytestmark = pytest.mark.skipif(not HAVE_HYPERSCAN, reason="hyperscan not installed")

PATTERNS = (
    Pattern(0, "regex", r"(?:union\s+select|sleep\s*\()", caseless=True),
    Pattern(1, "regex", r"^[^a]{2}$"),  # bytes vs characters: é is two bytes, one character
    Pattern(2, "contains_word", "admin"),
    Pattern(3, "starts_with", "/.git"),
    Pattern(4, "regex", r"<script[^>]*>"),
)
VALUES = ("", "UNION  select 1", "é", "xy", "the admin page", "badmin", "/.git/config", "<script src=x>",
          "\xff\xfe", "caf\u00e9 <script>")


@pytest.fixture
def cold_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty hyperscan cache (disk and memory) and deferred builds on; both undone after."""
    directory = tmp_path / "hs"
    monkeypatch.setenv(_cache.CACHE_ENV, str(directory))
    monkeypatch.setattr(_cache, "_memory", {})
    defer_hyperscan(True)
    try:
        yield directory
    finally:
        defer_hyperscan(False)
        take_pending()


def test_a_deferred_set_starts_on_re2_and_upgrades_in_place(cold_cache: Path) -> None:
    deferred = PatternSet.build(PATTERNS)
    assert deferred.engine == "re2"
    assert deferred.missing_databases() == 2  # byte mode and UTF-8 mode
    before = {v: deferred.scan(v) for v in VALUES}
    assert PatternSet.build(PATTERNS) is deferred  # a second compile shares the queued set
    builds = take_pending()
    assert [b.pattern_set for b in builds] == [deferred] and builds[0].databases == 2
    builds[0].run()
    assert deferred.engine == "hyperscan"
    assert {v: deferred.scan(v) for v in VALUES} == before
    assert len(list(cold_cache.glob("*.hsdb"))) == 2
    # Cached now: the next build of the same patterns is on hyperscan at once, nothing queued.
    assert PatternSet.build(PATTERNS).engine == "hyperscan"
    assert take_pending() == []


def test_without_deferral_build_compiles_hyperscan_first(cold_cache: Path) -> None:
    defer_hyperscan(False)
    assert PatternSet.build(PATTERNS).engine == "hyperscan"
    assert take_pending() == []


def test_a_regex_hyperscan_refuses_keeps_its_set_on_re2_and_is_named(cold_cache: Path) -> None:
    # Deferred sets are validated by RE2 when built and by their hyperscan compile later;
    # (?U) (ungreedy) is RE2 syntax hyperscan does not parse.
    pattern_set = PatternSet.build((Pattern(0, "regex", "(?U)a+b"), Pattern(1, "contains", "zz")))
    assert pattern_set.engine == "re2"
    (build,) = take_pending()
    with pytest.raises(PatternError, match="not supported by hyperscan") as caught:
        build.run()
    assert "(?U)a+b" in str(caught.value)
    assert pattern_set.engine == "re2"
    assert pattern_set.scan("xaab") == {0} and pattern_set.scan("azz") == {1}


def test_startup_logs_k_of_n_and_the_end(cold_cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    PatternSet.build(PATTERNS)
    PatternSet.build(PATTERNS[:2])
    with caplog.at_level(logging.INFO, logger="wafproxy.startup"):
        startup.compile_now()
    messages = [r.getMessage() for r in caplog.records]
    assert any("compiling 4 hyperscan pattern databases" in m for m in messages), messages
    assert any("all 4 pattern databases compiled" in m for m in messages), messages


def _engines(acl: CompiledWebACL) -> set[str]:
    return {group.pattern_set.engine for group in acl.groups}


@pytest.mark.slow
@pytest.mark.skipif(not ck.available(), reason="../shared corpus not present")
def test_default_acl_decides_identically_on_re2_and_hyperscan(cold_cache: Path) -> None:
    """Every shared corpus case, every ``Decision`` field: RE2 (a cold start) == hyperscan."""
    on_re2 = load_web_acl(ck.DEFAULT_ACL)
    assert _engines(on_re2) == {"re2"}
    take_pending()  # never built: this ACL stays on RE2
    defer_hyperscan(False)
    _cache._memory.clear()
    os.environ.pop(_cache.CACHE_ENV)  # the shared warm cache: compiling 80 s of CPU here is not the point
    on_hyperscan = load_web_acl(ck.DEFAULT_ACL)
    assert _engines(on_hyperscan) == {"hyperscan"}
    target = ck._waf_eval().Target("http://127.0.0.1:8080", None)
    build = ck._waf_eval().build_request
    compared = 0
    for name in ("evasion-dev.jsonl", "benign-dev.jsonl", "crs-attacks.jsonl"):
        for case in ck.load(name):
            request = ck.parse_raw(build(case, target, True))
            assert evaluate(on_re2, request) == evaluate(on_hyperscan, request), case["id"]
            compared += 1
    assert compared > 5000
