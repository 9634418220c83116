"""PatternSet and validate_regex, on both engines (hyperscan and the google-re2 fallback).

Every table row runs on each engine, so the fallback is tested as thoroughly as the default.
A reference implementation of the AWS positional constraints in plain Python checks big random
sets, so the escaping into one database cannot silently drift from AWS semantics.
"""

from __future__ import annotations

import random

import pytest

from wafproxy.engine.matchers import HAVE_HYPERSCAN, Pattern, PatternError, PatternSet, validate_regex

ENGINES = ["re2"] + (["hyperscan"] if HAVE_HYPERSCAN else [])

# kind, text, caseless, value, matches
ROWS = [
    ("exactly", "abc", False, "abc", True),
    ("exactly", "abc", False, "abcd", False),
    ("exactly", "abc", False, "abc\n", False),
    ("exactly", "ABC", True, "abc", True),
    ("starts_with", "/admin", False, "/admin/x", True),
    ("starts_with", "/admin", False, "/x/admin", False),
    ("ends_with", ".php", False, "/index.php", True),
    ("ends_with", ".php", False, "/index.php5", False),
    ("ends_with", ".PHP", False, "/index.php", False),
    ("contains", "<script", True, "x=<ScRiPt>", True),
    ("contains", "<script", False, "x=<ScRiPt>", False),
    ("contains", "a.b*c", False, "xa.b*cx", True),  # metacharacters are literal
    ("contains", "a.b*c", False, "axbbc", False),
    ("contains", "(?i)[x]", False, "(?i)[x]", True),
    ("contains", "café", False, "un café noir", True),
    ("contains", "É", True, "é", False),  # caseless is ASCII-only, like AWS's LOWERCASE
    ("contains", "\udcff", False, "a\udcffb", True),  # a raw (invalid UTF-8) byte
    ("contains", "\udcc3", False, "é", True),  # literals are bytes, as AWS matches them
    ("contains", "\udcc3", False, "a", False),
    ("contains_word", "BadBot", False, "BadBot", True),
    ("contains_word", "BadBot", False, "a;BadBot;b", True),
    ("contains_word", "BadBot", False, "-BadBot", True),
    ("contains_word", "BadBot", False, "éBadBot", True),  # non-ASCII is not a word character
    ("contains_word", "BadBot", False, "xBadBot", False),
    ("contains_word", "BadBot", False, "BadBot_", False),
    ("contains_word", "BadBot", False, "BadBot9", False),
    ("contains_word", "BadBot", False, "BadBots BadBot", True),
    ("regex", r"^/api/v[0-9]+/", False, "/api/v2/users", True),
    ("regex", r"^/api/v[0-9]+/", False, "/api/vx/users", False),
    ("regex", r"^a.c$", False, "aéc", True),  # UTF-8 mode for valid UTF-8: '.' is a character
    ("regex", r"^a.c$", False, "a\udcffc", True),  # byte mode for invalid UTF-8: '.' is a byte
    ("regex", r"(?i)union\s+select", False, "1 UNION  SELECT 2", True),
    ("regex", r"union\s+select", True, "1 UNION SELECT 2", True),
    ("regex", r"union\s+select", False, "1 UNION SELECT 2", False),
    ("regex", r"\x{4e2d}", False, "中文", True),
    ("regex", r"\bfoo\b", False, "a foo b", True),
    ("regex", r"\bfoo\b", False, "afoob", False),
    # PCRE '$' (outside multiline) also matches before a final newline; RE2 is rewritten to agree
    ("regex", r"abc$", False, "abc\n", True),
    ("regex", r"abc$", False, "abc\nx", False),
    ("regex", r"a[$]b\$", False, "a$b$", True),
    ("regex", r"(?m)^abc$", False, "x\nabc\ny", True),
    ("regex", r"abc\Z", False, "abc\n", True),
    ("regex", r"abc\Z", False, "abc\nx", False),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("kind", "text", "caseless", "value", "matches"), ROWS)
def test_row(engine: str, kind: str, text: str, caseless: bool, value: str, matches: bool) -> None:
    pset = PatternSet.build([Pattern(7, kind, text, caseless)], engine=engine)  # type: ignore[arg-type]
    assert pset.scan(value) == (frozenset({7}) if matches else frozenset())


@pytest.mark.parametrize("engine", ENGINES)
def test_all_matching_ids_are_reported_once(engine: str) -> None:
    patterns = [
        Pattern(1, "contains", "select"),
        Pattern(2, "contains", "union"),
        Pattern(3, "regex", "sel+ect"),
        Pattern(2, "starts_with", "1"),  # ids may repeat (two patterns of one rule)
        Pattern(4, "contains", "drop"),
    ]
    pset = PatternSet.build(patterns, engine=engine)
    assert pset.scan("1 union select select") == {1, 2, 3}
    assert pset.scan("") == frozenset()
    assert PatternSet.build([], engine=engine).scan("anything") == frozenset()


def _reference(p: Pattern, value: str) -> bool:
    """AWS positional constraints, written the obvious way."""
    text, val = p.text, value
    if p.caseless:
        text, val = text.lower(), val.lower()
    if p.kind == "exactly":
        return val == text
    if p.kind == "starts_with":
        return val.startswith(text)
    if p.kind == "ends_with":
        return val.endswith(text)
    if p.kind == "contains":
        return text in val
    start = val.find(text)
    while start >= 0:
        before = val[start - 1] if start else ""
        after = val[start + len(text) : start + len(text) + 1]
        if not (before.isascii() and (before.isalnum() or before == "_")) or not before:
            if not after or not (after.isascii() and (after.isalnum() or after == "_")):
                return True
        start = val.find(text, start + 1)
    return False


@pytest.mark.parametrize("engine", ENGINES)
def test_large_random_literal_set_agrees_with_reference(engine: str) -> None:
    rnd = random.Random(1234)
    alphabet = "ab_;. -Z"
    kinds = ["exactly", "starts_with", "ends_with", "contains", "contains_word"]
    patterns = [
        Pattern(i, rnd.choice(kinds), "".join(rnd.choices(alphabet, k=rnd.randint(1, 3))), rnd.random() < 0.3)  # type: ignore[arg-type]
        for i in range(600)
    ]
    pset = PatternSet.build(patterns, engine=engine)
    for _ in range(150):
        value = "".join(rnd.choices(alphabet + "B", k=rnd.randint(0, 12)))
        expected = {p.id for p in patterns if _reference(p, value)}
        assert pset.scan(value) == expected, value


@pytest.mark.parametrize("engine", ENGINES)
def test_catastrophic_backtracking_pattern_runs_in_linear_time(engine: str) -> None:
    # Under a backtracking engine this would not return in our lifetime; here it just returns.
    pset = PatternSet.build(
        [Pattern(1, "regex", r"(a+)+$"), Pattern(2, "regex", r"^(a|aa)+b")], engine=engine
    )
    assert pset.scan("a" * 50_000 + "!") == frozenset()
    assert pset.scan("a" * 50_000) == {1}


@pytest.mark.parametrize(
    ("regex", "reason"),
    [
        (r"(a)\1", "backreferences"),
        (r"(?<q>a)\k<q>", "backreferences"),
        (r"foo(?=bar)", "lookahead"),
        (r"foo(?!bar)", "negative lookahead"),
        (r"(?<=a)b", "lookbehind"),
        (r"(?<!a)b", "negative lookbehind"),
        (r"(?>a+)b", "atomic"),
        (r"a++b", "possessive"),
        (r"a*+b", "possessive"),
        (r"a?+b", "possessive"),
        (r"a{2}+b", "possessive"),
        (r"(a)(?1)", "subroutine"),
        (r"(?R)", "recursive"),
        (r"(?(1)a|b)", "conditional"),
        (r"(*SKIP)a", "verbs"),
        (r"a\Kb", "match reset"),
        (r"a\Cb", "single-byte"),
        (r"a{2,1}", "invalid regex"),
        (r"(unclosed", "invalid regex"),
        ("", "empty"),
    ],
)
def test_validate_regex_rejects_with_a_reason(regex: str, reason: str) -> None:
    with pytest.raises(PatternError) as info:
        validate_regex(regex)
    assert reason in info.value.reason
    assert info.value.pattern == regex
    with pytest.raises(PatternError):
        PatternSet.build([Pattern(1, "regex", regex)])


@pytest.mark.parametrize(
    "regex",
    [
        r"\(?=x",
        r"[(?=]x",
        r"a\+\+",
        r"[a+]+",
        r"(?i)abc",
        r"(?:a|b)+",
        r"(?P<n>a)",
        r"\d{1,3}",
        r"[[:alpha:]]+",
        r"\p{L}+",
        r"^\s*$",
        r"a\\1",
        r"a+?",
        r"x{2}?",
        r"\++",
    ],
)
def test_validate_regex_accepts_linear_constructs(regex: str) -> None:
    validate_regex(regex)


def test_pattern_error_carries_the_path() -> None:
    err = PatternError(
        "lookahead (?=...) is not supported", "a(?=b)", "Rules[0].Statement.RegexMatchStatement"
    )
    assert str(err).startswith("Rules[0].Statement.RegexMatchStatement: lookahead")
    assert err.path == "Rules[0].Statement.RegexMatchStatement"


@pytest.mark.parametrize("engine", ENGINES)
def test_mixed_set_scans_literals_as_bytes_and_regexes_as_characters(engine: str) -> None:
    patterns = [
        Pattern(1, "regex", r"^a.c$"),
        Pattern(2, "contains", "é"),
        Pattern(3, "contains", "\udcc3"),  # the first byte of "é"
        Pattern(4, "regex", r"\x{4e2d}"),  # only meaningful on characters
    ]
    pset = PatternSet.build(patterns, engine=engine)
    assert pset.scan("aéc") == {1, 2, 3}
    assert pset.scan("中") == {4}
    assert pset.scan("a\udcffc") == {1}  # invalid UTF-8: byte mode, '.' is one byte
    assert pset.scan("中\udcff") == frozenset()  # invalid UTF-8: the character-only regex is not there


@pytest.mark.parametrize("engine", ENGINES)
def test_one_set_scanned_from_many_threads(engine: str) -> None:
    # hyperscan scratch space must not be shared between concurrent scans: one per thread.
    from concurrent.futures import ThreadPoolExecutor

    pset = PatternSet.build(
        [Pattern(1, "contains", "needle"), Pattern(2, "regex", r"x[0-9]+y")], engine=engine
    )
    values = ["hay needle hay", "x123y", "nothing", "needle x9y"] * 200
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(pset.scan, values))
    expected = {"hay needle hay": {1}, "x123y": {2}, "nothing": set(), "needle x9y": {1, 2}}
    assert all(r == expected[v] for v, r in zip(values, results, strict=True))
