"""Benchmarks (pytest-benchmark): reported, never asserted (2 shared cores).

The point of one database per group: scanning a 1 KB value against 1,000 patterns should cost
about what it costs against 10. Compare ``scan_1000`` with ``scan_10`` per engine in the report.
"""

from __future__ import annotations

import random

import pytest

from wafproxy.engine.matchers import HAVE_HYPERSCAN, Pattern, PatternSet
from wafproxy.engine.transforms import apply_chain

ENGINES = ["re2"] + (["hyperscan"] if HAVE_HYPERSCAN else [])


def _patterns(count: int) -> list[Pattern]:
    rnd = random.Random(count)
    kinds = ["contains", "contains", "starts_with", "contains_word", "regex"]
    out = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        word = "".join(rnd.choices("abcdefghijklmnopqrstuvwxyz", k=rnd.randint(6, 12)))
        text = f"{word}[0-9]+" if kind == "regex" else word
        out.append(Pattern(i, kind, text, caseless=i % 3 == 0))  # type: ignore[arg-type]
    return out


VALUE = ("user=alice&comment=" + "the quick brown fox jumps over the lazy dog " * 30)[:1024]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("count", [10, 1000])
def test_bench_scan(benchmark, engine: str, count: int) -> None:  # type: ignore[no-untyped-def]
    pset = PatternSet.build(_patterns(count), engine=engine)
    benchmark.group = f"PatternSet.scan 1KB {engine}"
    benchmark.extra_info["patterns"] = count
    result = benchmark(pset.scan, VALUE)
    assert isinstance(result, frozenset)


def test_bench_apply_chain_3_steps(benchmark) -> None:  # type: ignore[no-untyped-def]
    value = "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E&x=" + "A%20b+" * 150
    benchmark.group = "apply_chain"
    out = benchmark(apply_chain, ("URL_DECODE", "HTML_ENTITY_DECODE", "LOWERCASE"), value)
    assert "<script>" in out
