"""SqliMatchStatement / XssMatchStatement detectors: LOW = libinjection, HIGH = + extra checks.

Tables: (value, flagged at LOW, flagged at HIGH). Benign English and names must pass at LOW;
HIGH catches what libinjection lets through on purpose, and each HIGH check has a should-match
and a should-pass row.
"""

from __future__ import annotations

import pytest

from wafproxy.engine.detectors import HIGH_CHECKS, high_checks_matching, is_sqli, is_xss

SQLI = [
    # classic attacks: both levels
    ("1' OR '1'='1", True, True),
    ("1 union select password from users", True, True),
    ("admin'--", True, True),
    ("1;DROP TABLE users", True, True),
    ("1) or (1=1", True, True),
    ("x' AND SLEEP(5)-- -", True, True),
    # only HIGH
    ("1 waitfor delay '0:0:5'", False, True),
    ("union/**/select", False, True),
    ("1;shutdown", False, True),
    ("information_schema.tables", False, True),
    ("SELECT * FROM users", False, True),
    # benign: neither
    ("O'Brien", False, False),
    ("select the union of", False, False),
    ("drop me a line", False, False),
    ("a <= b", False, False),
    ("union station", False, False),
    ("Rock 'n' roll", False, False),
    ('It\'s a "quote" or two', False, False),
    ("color=#fff", False, False),
    ("I'm here; update me later", False, False),
    ("select your seat from the map", False, False),
    ("sleep tight", False, False),
    ("", False, False),
    ("café", False, False),
]


@pytest.mark.parametrize(("value", "low", "high"), SQLI)
def test_sqli(value: str, low: bool, high: bool) -> None:
    assert is_sqli(value) is low
    assert is_sqli(value, "LOW") is low
    assert is_sqli(value, "HIGH") is high


# check name -> (should match, should pass)
HIGH_ROWS = {
    "union_select": ("-1 UNION/**/ALL(SELECT 1)", "the union selected a leader"),
    "stacked_statement": ("1; delete from users", "hello; delete me"),
    "time_blind": ("pg_sleep(10)", "sleep well"),
    "catalog_probe": ("from sysobjects", "system objects"),
    "file_io": ("x into outfile '/tmp/a'", "into the file"),
    "quote_boolean": ("x' or name like 'a", "x' or y"),
    "quote_comment": ("admin'#", "it's #1"),
    "version_comment": ("/*!50000union*/", "/* note */"),
    "select_from": ("select name,pass from users", "select a seat from the map"),
}


def test_every_high_check_has_rows() -> None:
    assert set(HIGH_ROWS) == {name for name, _ in HIGH_CHECKS}


@pytest.mark.parametrize("name", sorted(HIGH_ROWS))
def test_high_check(name: str) -> None:
    hit, miss = HIGH_ROWS[name]
    assert name in high_checks_matching(hit)
    assert name not in high_checks_matching(miss)


XSS = [
    ("<script>alert(1)</script>", True),
    ("<img src=x onerror=alert(1)>", True),
    ('"><svg/onload=alert(1)>', True),
    ("<iframe src=javascript:alert(1)>", True),
    ('<a href="javascript:alert(1)">x</a>', True),
    ("a < b > c", False),
    ("a <= b", False),
    ("x = 1", False),
    ("I <3 cats", False),
    ("<b>bold</b>", False),
    ("", False),
]


@pytest.mark.parametrize(("value", "flagged"), XSS)
def test_xss(value: str, flagged: bool) -> None:
    assert is_xss(value) is flagged


def test_raw_invalid_bytes_do_not_raise_or_hide_an_attack() -> None:
    # "\udcff" is a raw 0xff byte (a URL_DECODE of %ff); libinjection would refuse the str as is.
    assert is_sqli("\udcff' OR '1'='1") is True
    assert is_xss("\udcff<script>alert(1)</script>") is True
    assert is_sqli("\udcff\ud800", "HIGH") is False
    assert is_xss("\udcff") is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("filter=a <= b", False),  # raw form body: libinjection alone reads an attribute context
        ("q=<script>alert(1)</script>&x=1", True),
        ("a=1&b=<img src=x onerror=alert(1)>", True),
        ('<?xml version="1.0"?><order><id>42</id></order>', False),
        ('<?xml version="1.0"?><r><script>alert(1)</script></r>', True),
    ],
)
def test_xss_per_form_argument_and_xml_declaration(value: str, expected: bool) -> None:
    assert is_xss(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("id=1' OR '1'='1", True),
        ("a=x&id=1' OR '1'='1&b=2", True),
        ("name=O'Brien&city=L'Aquila", False),
    ],
)
def test_sqli_per_form_argument(value: str, expected: bool) -> None:
    assert is_sqli(value) is expected
