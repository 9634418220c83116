"""The SQLi detector's one-token shortcut (``sqli_veto.ONE_TOKEN``) never changes a verdict.

A value that is one word or one plain number is one libinjection token, so its fingerprint has one
character, and the shortcut answers "not SQLi" without the C call. That holds only while no
one-character fingerprint is on libinjection's list: every token type a word or number can take is
checked here against the real library (upper and lower case), and random words too.
"""

from __future__ import annotations

import re

import libinjection
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wafproxy.engine.detectors import is_sqli, sqli_never
from wafproxy.engine.sqli_veto import ONE_TOKEN

# One word per token type libinjection gives a word or number (fingerprint in the comment).
TYPED_WORDS = (
    "sport", "group", "order", "end",  # n (bareword; GROUP/ORDER alone are barewords)
    "4711", "129.9", "true", "false",  # 1 (number)
    "procedure", "in", "from", "where", "as", "then",  # k (keyword)
    "select", "insert", "case",  # E (expression)
    "begin", "declare", "drop", "exec",  # T (T-SQL command)
    "union",  # U
    "or", "and", "xor",  # & (logic operator)
    "like", "rlike", "is", "div", "mod",  # o (operator)
    "char", "if", "sleep", "version", "benchmark",  # f (function)
    "null", "current_user",  # v (variable)
    "collate",  # A
    "having", "limit",  # B (group-like)
    "int", "varchar",  # t (SQL type, folded away)
    "information_schema", "sp_password", "xp_cmdshell", "waitfor", "load_file",
)  # fmt: skip


@pytest.mark.parametrize("word", TYPED_WORDS)
def test_every_token_type_alone_is_not_sqli(word: str) -> None:
    for value in (word, word.upper(), word.capitalize()):
        assert ONE_TOKEN.fullmatch(value), value
        assert sqli_never(value) is not None, value
        assert not libinjection.is_sql_injection(value)["is_sqli"], value
        assert is_sqli(value) is False


@pytest.mark.parametrize("value", ["1union", "a b", "a.b", "1e5", "_a", "a-b", "x" * 33, "1'", "a--", "é"])
def test_other_shapes_are_left_to_libinjection(value: str) -> None:
    assert ONE_TOKEN.fullmatch(value) is None


# ``ONE_TOKEN`` without its possessive quantifiers (same language; hypothesis generates from it).
PLAIN = r"[A-Za-z][A-Za-z0-9_]{0,31}|[0-9]{1,32}(?:\.[0-9]{1,32})?"


@settings(max_examples=3000, deadline=None)
@given(st.from_regex(PLAIN, fullmatch=True))
def test_random_one_token_values_are_not_sqli(value: str) -> None:
    assert ONE_TOKEN.fullmatch(value)
    assert not libinjection.is_sql_injection(value)["is_sqli"]


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="aZ09_.-' x", max_size=40))
def test_possessive_pattern_accepts_what_the_plain_one_does(value: str) -> None:
    assert (ONE_TOKEN.fullmatch(value) is None) == (re.fullmatch(PLAIN, value) is None)
