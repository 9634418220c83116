"""Guarded database splits (``matchers._guard``): the operator alternatives of the SQLi grammar
run behind a cheap ``\\b(?:or|and|xor)`` guard, and every scan answers what the unsplit database
answers."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wafproxy.engine.matchers import HAVE_HYPERSCAN
from wafproxy.engine.matchers._guard import (
    _BRACE,
    BRACE_GUARD_ID,
    GUARD_ID,
    MIN_GUARDED,
    PUNCTUATION_GUARD_ID,
    _needs_punctuation,
    _token_operator,
    split,
)

pytestmark = pytest.mark.skipif(not HAVE_HYPERSCAN, reason="hyperscan splits only")

MANAGED = Path(__file__).resolve().parents[2] / "rules" / "managed"


@pytest.mark.parametrize(
    ("alternative", "operators"),
    [
        (r"\b(?:or|and)\s+1", ["or", "and"]),
        (r"['\"`]\s*\)*\s*(?:or|and|xor|&&|\|\|)\s+x", ["or", "and", "xor", "&&", r"\|\|"]),
        (r"(?:^|[=&\"])\s*(?:\)\s*)*(?:and|or|xor)\b", ["and", "or", "xor"]),
        (r"[\"'`)][\s\xa0]*(?:\)[\s\xa0]*)*(?:or|and)", ["or", "and"]),
        (r"\x{301}\s*(?:or|and)", ["or", "and"]),
        (r"(?:\d|['\"`])\s*\)*\s+(?:or|and)", ["or", "and"]),
        (r"(?:-?\d+\s+)?(?:or|and)", None),  # may be empty: nothing before the operator is known
        (r"\s*(?:or|and)\s+1", None),  # unanchored: "door 1" has "or" after a letter
        (r"[a-z'](?:or|and)", None),  # a letter may precede
        (r"[^x](?:or|and)", None),  # a negated class holds letters
        (r"[!-~](?:or|and)", None),  # a range
        (r".(?:or|and)", None),
        (r"\d(?:or|and)", None),
        (r"(\s)(?:or|and)", None),  # a capturing group: not analysed
        (r"\B(?:or|and)", None),
        (r"'(?:or|and)?\s", None),  # the operator group is optional
        (r"'(?:or|from)\s", None),  # not only SQL operators: the guard would fire on prose
        (r"'(?:&&|\|\|)\s", None),  # no word operator: nothing to gain
        (r"'x?or\s", ["xor", "or"]),  # spelled out, the x optional
        (r"(?:^|[=&])\s*xor\s+\d", ["xor"]),
        (r"\s+having\s", ["having"]),
        (r"\borg\.apache", None),  # a longer word: left alone (the guard's "or" would fire on it)
        (r"[a-z]xor\s", None),
        (r"=x?o?r\s", None),
        (r"(?:^|=)\s*(?:or|div)\s", ["or", "div"]),
    ],
)
def test_token_operator_is_found_only_when_proven(alternative: str, operators: list[str] | None) -> None:
    assert _token_operator(alternative) == operators


def _entries(regexes: list[str]) -> list[tuple[int, bytes, bool]]:
    return [(i, r.encode(), False) for i, r in enumerate(regexes)]


def test_small_sets_and_regexes_with_inline_flags_or_lookaround_are_left_whole() -> None:
    operator = r"(?i)'\s*(?:or|and)\s+\d"
    assert split(_entries([operator] * (MIN_GUARDED - 1))) is None
    others = [r"(?i)a(?i)b|'(?:or|and)", r"(?m)^'(?:or|and)", r"x(?=y)|'(?:or|and)"]
    assert split(_entries(others * MIN_GUARDED)) is None


def test_a_split_keeps_other_alternatives_in_the_main_database_under_the_same_id() -> None:
    regexes = [r"(?i)union\s+select|'\s*(?:or|and)\s+1=1|--"] * MIN_GUARDED + [r"plain"]
    parts = split(_entries(regexes))
    assert parts is not None and parts.guard_ids == (GUARD_ID,)
    assert parts.main[0] == (0, rb"(?i)union\s+select|--", False)
    assert parts.guarded[0][0] == (0, rb"(?i)'\s*(?:or|and)\s+1=1", False)
    assert parts.main[-2] == (MIN_GUARDED, b"plain", False)
    assert parts.main[-1] == (GUARD_ID, rb"(?i)\b(?:or|and)", True)


def test_alternatives_that_need_rare_punctuation_run_behind_their_own_guard() -> None:
    regexes = [r"(?i)<\s*script\b|javascript:|'\s*(?:or|and)\s+1"] * MIN_GUARDED
    parts = split(_entries(regexes))
    assert parts is not None and parts.guard_ids == (GUARD_ID, PUNCTUATION_GUARD_ID)
    assert parts.guarded[1][0] == (0, rb"(?i)<\s*script\b", False)
    assert parts.main[0] == (0, rb"(?i)javascript:", False)
    assert parts.main[-1] == (PUNCTUATION_GUARD_ID, b"[$;|`<>\\\\^~]|&&", True)


@pytest.mark.parametrize(
    ("alternative", "needs"),
    [
        (r"<\s*script", True),
        (r"[;|]\s*id\b", True),
        (r"\$\{[^}]*\}", True),
        (r"[$;]x", True),  # inside a class "$" is the character
        (r"(?:<|\|)y", True),  # every alternative of the group needs one
        (r"\\x", True),
        (r"(?:;|&&)\s*x", True),  # the guard also finds "&&"
        (r"x&&y", True),
        (r"(?:[;|]|&&[\s]*|\$\()ps", True),
        (r"&+&y", True),
        (r"(?:;|&)\s*x", False),  # one "&" is every form's separator
        (r"&&?y", False),  # the second "&" is optional
        (r"&\s*&y", False),  # not in a row
        (r"&[&;]y", False),  # a class: "&;" would match
        (r"\&\&y", False),  # escaped: not analysed
        (r"[a;]x", False),
        (r"[!-~]x", False),  # a range
        (r"[^<]x", False),
        (r"(?:<|x)y", False),
        (r"$x", False),  # an anchor, not a character
        (r"x;?y", False),  # optional
        (r"(<)x", False),  # a capturing group: not analysed
    ],
)
def test_rare_punctuation_is_found_only_when_required(alternative: str, needs: bool) -> None:
    assert _needs_punctuation(alternative) is needs


@pytest.mark.parametrize(
    ("alternative", "needs"),
    [
        (r"\{,[\w$'\"]", True),
        (r"[a-z]\{[a-z]+,[a-z,]*\}[a-z]", True),
        (r"\{,?\$?[\"']?[a-z]+[\"']?,[-/~$][^}]*\}", True),
        (r"[{]x", True),
        (r"(?:\{|\{\{)x", True),
        (r"\{+x", True),
        (r"x\{?y", False),  # optional
        (r"x\{{0,2}y", False),
        (r"[{}]x", False),  # "}" is not the guard's
        (r"(?:\{|%7b)x", False),
        (r"x{2}", False),  # a quantifier, not the character
        (r"x{", False),  # unescaped: left to the engine's reading
        (r"\x7b", False),  # a hex escape is not analysed
        (r"[^{]x", False),
        (r"\$\{x", True),  # (``split`` asks the punctuation kind first: that one takes it)
    ],
)
def test_a_brace_is_found_only_when_required(alternative: str, needs: bool) -> None:
    assert _needs_punctuation(alternative, _BRACE) is needs


def test_brace_alternatives_run_behind_their_guard_only_when_there_are_enough() -> None:
    brace = r"(?i)[a-z]\{[a-z]+,[a-z,]*\}[a-z]|/bin/x"
    parts = split(_entries([brace] * MIN_GUARDED))
    assert parts is not None and parts.guard_ids == (BRACE_GUARD_ID,)
    assert parts.guarded[0][0] == (0, rb"(?i)[a-z]\{[a-z]+,[a-z,]*\}[a-z]", False)
    assert parts.main[0] == (0, rb"(?i)/bin/x", False)
    assert parts.main[-1] == (BRACE_GUARD_ID, b"\\{", True)
    # Too few brace alternatives: the split is the one without the brace kind (same databases,
    # same compile-cache keys as before it existed), and a set of only those is left whole.
    operator = r"(?i)'\s*(?:or|and)\s+1"
    few = [operator] * MIN_GUARDED + [brace] * (MIN_GUARDED - 1)
    assert split(_entries(few)) == split(_entries(few), brace=False)
    assert BRACE_GUARD_ID not in split(_entries(few)).guard_ids  # type: ignore[union-attr]
    assert split(_entries([brace] * (MIN_GUARDED - 1))) is None


def _managed_regexes() -> list[str]:
    """Every managed RegexString that has an alternative the split moves, and some that have none."""
    found: dict[str, None] = {}
    for path in sorted(MANAGED.glob("*.json")):
        _collect(json.loads(path.read_text(encoding="utf-8")), found)
    moved = [r for r in found if split(_entries([r] * MIN_GUARDED)) is not None]
    kept = sorted((r for r in found if r not in moved and ("or" in r or "and" in r)), key=len)[:20]
    return moved + kept + NOT_PROVEN


#: Operator alternatives the analysis must leave in the main database (a word character may
#: precede the operator): were they guarded, "door 1" or "1or1" would lose their match.
NOT_PROVEN = [
    '(?i)\\s*(?:or|and)\\s+1',
    '(?i)\\dx?or\\s',
    '(?i)[\\w.]xor',
    "(?i)[a-z'](?:or|and)\\s",
    '(?i)(?:-?\\d+\\s+)?(?:or|and)\\s*=',
    '(?i).(?:or|and)',
    '(?i)\\d(?:or|and)\\d',
    '(?i)[^x](?:or|and) ',
    '(?i)(\\w)(?:or|xor)\\b',
    '(?i)(?:;|&)\\s*id\\b',
    '(?i)&&?\\s*id\\b',
    '(?i)x;?id',
    '(?i)[^<]script',
]


def _collect(node: object, out: dict[str, None]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "RegexString" and isinstance(value, str):
                out[value] = None
            else:
                _collect(value, out)
    elif isinstance(node, list):
        for item in node:
            _collect(item, out)


REGEXES = _managed_regexes()

# Left contexts, operators and right contexts of the SQLi operator grammar: the cross product
# holds both values that match the guarded alternatives and near misses ("door", "1or", "_and").
LEFT = ["", "x", "door", "1", "_", "'", '"', "`", ")", "' )", "=", "&", "a=", "\u00a0", "’", "e\u0301",
        "\\'", "\\\"", "'=' ", " ", "\n", "a'", "1 ", "null ", "true", ";", "|", "<", "${", "a=<"]
OPERATOR = ["or", "OR", "and", "xor", "||", "&&", "oR", "anD", "div", "having", "between", "org", "XOR"]
RIGHT = ["", " 1=1", " 1=1--", "1=1", " 'a'='a", " true", " not false", " ascii(", " x like 'a';--",
         " 'abc'd", " 1 #", " '' = ''", "(1)", " sleep(5)", " x(1,2)--", " -1", " name(", " 1", "\u00a0x=y",
         "; id", " | cat /etc/passwd", " $(id)", "`id`", " <script>", "<svg onload=x>", " ${7*7}", " ~/x",
         "{cat,/etc/passwd}", " x{a,b}y", "{,ls}", "{,/???/c?t,/etc/passwd}", "{\"ls\",-la}", "{a:1}"]


#: Brace-expansion shapes (``{cat,/etc/passwd}``, ``/???/c?t``, ``a{b,c}d``) and near misses, each
#: placed in benign surroundings: the brace-guarded alternatives decide many of them.
BRACE_LEFT = ["", "x", "a=", "&q=", ";", " ", "/", "$", "'", "\u00a0", "é", "${", "{"]
BRACE_BODY = ["{cat,/etc/passwd}", "{,ls}", "{ls,-la}", "{,/???/c?t,/etc/passwd}", "{\"ls\",-la}", "{'id'}",
              "{a,b}", "x{a,b}y", "{,$x}", "{,", "{", "}", "{}", "{a:1}", "{\"a\":[1,2]}", "{{x}}", "{,,}",
              "/bin/{ca,}t", "{$IFS}", "{,~/x}", "{a,-x}"]
BRACE_RIGHT = ["", " ", "x", "/", ",", "}", "\n", "&b=1", ";id"]


def _backends(regexes: list[str], utf8: bool):  # type: ignore[no-untyped-def]
    from wafproxy.engine.matchers._engines import HyperscanBackend, _hs_inputs, hs_compile

    entries = _entries(regexes)
    if not utf8:
        entries = [e for e in entries if b"\\x{" not in e[1]]
    whole = HyperscanBackend(entries, utf8, (hs_compile(*_hs_inputs(entries, utf8)),))
    return HyperscanBackend(entries, utf8), whole


def test_the_managed_sqli_grammar_is_split() -> None:
    assert len(REGEXES) >= 45
    for utf8 in (False, True):
        assert len(_BACKENDS[utf8][0]._guarded) == 3 and not _BACKENDS[utf8][1]._guarded
    assert _BACKENDS[True][0]._guarded[2][0] == BRACE_GUARD_ID


def _guarded_hits_where_split_equals_whole(guard: int, values: Iterable[str]) -> int:
    """Assert that the split and the whole sets agree on every value (both modes); return how many
    values the ``guard``-th guarded database itself matched (so a test can show it decides some)."""
    import hyperscan

    guarded = _BACKENDS[True][0]._guarded[guard][1]
    scratch = hyperscan.Scratch(guarded)
    guarded_hits = 0
    for value in values:
        data = value.encode("utf-8")
        for utf8 in (False, True):
            split_backend, whole = _BACKENDS[utf8]
            assert split_backend.scan(data) == whole.scan(data), (value, utf8)
        hits: set[int] = set()
        guarded.scan(data, lambda i, *_: hits.add(i), 0, None, scratch)
        guarded_hits += bool(hits)
    return guarded_hits


def test_split_scans_equal_whole_scans_on_operator_contexts() -> None:
    values = ("".join(parts) for parts in itertools.product(LEFT, OPERATOR, RIGHT))
    # the guarded half really decides many of these values
    assert _guarded_hits_where_split_equals_whole(0, values) > 500


def test_split_scans_equal_whole_scans_on_brace_contexts() -> None:
    values = ("".join(parts) for parts in itertools.product(BRACE_LEFT, BRACE_BODY, BRACE_RIGHT))
    # the brace-guarded half really decides many of these values
    assert _guarded_hits_where_split_equals_whole(2, values) > 300


#: Shell chaining (``&&`` now among the punctuation guard's tokens) and near misses (one ``&``, a
#: spaced ``& &``), before command shapes of the shell grammar's chained alternatives.
SHELL_LEFT = ["", "x", "a=", "&q=", "1", " ", "'", '"', "\n", "=", "door ", "\u00a0"]
SHELL_CHAIN = ["&&", "& &", "&", "&&&", "||", ";", "|", "$(", "&&\t", " && ", "&&'", "%26%26"]
SHELL_RIGHT = ["id", " whoami", "cat /etc/passwd", "at now", "ps aux", "ls -la /tmp", "curl -o x y", "./x",
               " ~/run.sh", "sleep 5", "expr 1 + 2", "python3 -c x", "time", "ssh -p 22 h", "x --help"]


def test_split_scans_equal_whole_scans_on_shell_chaining_contexts() -> None:
    values = ("".join(parts) for parts in itertools.product(SHELL_LEFT, SHELL_CHAIN, SHELL_RIGHT))
    # the punctuation-guarded half really decides many of these values
    assert _guarded_hits_where_split_equals_whole(1, values) > 1000


ALPHABET = ["or", "and", "xor", "door", "||", "&&", " ", "'", '"', ")", "(", "=", "&", "1", "x", "\u00a0",
            "--", "#", ";", "not", "true", "like", "select", "\n", "|", "$", "<", ">", "`", "{", "}", "id",
            "script", "cat", "/etc/passwd", "\\", "~", "^", ",", "{,", "ls", "/", "?", "*", "-"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=12).map("".join))
def test_split_scans_equal_whole_scans_on_random_values(value: str) -> None:
    data = value.encode("utf-8")
    for utf8 in (False, True):
        split_backend, whole = _BACKENDS[utf8]
        assert split_backend.scan(data) == whole.scan(data)


_BACKENDS = {utf8: _backends(REGEXES, utf8) for utf8 in (False, True)} if HAVE_HYPERSCAN else {}
