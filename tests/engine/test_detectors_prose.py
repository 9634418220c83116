"""The prose vetoes of ``wafproxy/engine/prose.py`` (issue 15's benign generator): benign shapes
libinjection flags as SQLi that must pass, and SQLi look-alikes of each that must still be caught."""

from __future__ import annotations

import pytest

from wafproxy.engine.detectors import is_sqli, is_xss

# A multipart/form-data body with one part "q" holding {}.
_MP = (
    '--9d248d5513de9290a6af\r\nContent-Disposition: form-data; name="q"\r\n\r\n{}\r\n'
    "--9d248d5513de9290a6af--\r\n"
)

# Benign values libinjection reads as SQLi (fingerprint shown) that the vetoes let through.
BENIGN_SQLI = [
    'wool AND NOT (linen OR "dry clean")',  # n&(n&: boolean search syntax
    '((wool OR linen) AND "dry clean")',  # n&n)&
    '(wool OR linen) AND NOT "dry clean"',
    "wool and (linen or cotton)",
    # sEsTs behind a non-ASCII prefix: libinjection's offsets are UTF-8 bytes, not characters
    "佐藤 花子: 🔥🔥🔥 best deal ever 💯 Both 'select all' and 'delete' buttons are grey in dark mode.",
    "Ørjan Ødegård: Καλημέρα! Both 'select all' and 'delete' buttons are grey in dark mode.",
    "王小明: 请问这件衬衫有蓝色的吗？尺码：L Both 'select all' and 'delete' buttons are grey.",
    "with open('data.csv') as fh:\n    rows = [line.split(',') for line in fh]",  # nk(s)
    'with open("notes.txt") as f: print(f.read())',
    _MP.format("https://shop.example.com/?from=2026-01-01&to=2026-03-31"),  # multipart: not a form
    _MP.format("See [the docs](https://docs.example.com/export?version=2.4&lang=en)\n"),
    "about and then easy before fees lazy it's Zürich then",  # n&knk: a chain of plain words
    "a and as our then jumps it's lazy before review",
    "pay and then change the address before noon",
]

# The same fingerprints and prefixes, but SQL: they must stay SQLi.
SQLI_LOOKALIKES = [
    "x AND (a OR select password from users)",  # a SQL keyword among the words
    'wool AND NOT (linen OR "dry clean") union select 1,2',
    "wool AND (linen OR sleep(5))",
    "1 AND (2)",  # numbers are not search words
    "admin AND (sleep (5))",
    'x" OR "a" OR "b',
    "x' or '1'='1",
    "佐藤 花子: x' or '1'='1",
    "佐藤 花子: 1' union select password from users--",
    "Ørjan Ødegård: x' and 1=1--",
    "with open('x') as fh: union select 1,2--",  # the text after the colon is judged on its own
    "with open('x') union select 1,2--",
    "with open('x') or 1=1--",
    _MP.format("1' or '1'='1"),
    _MP.format("x' union select password from users--"),
    # a form body dressed up as multipart: every &-argument is still read
    "--a\r\nContent-Disposition: x&q=1 or 1=1--",
    "--a\r\nContent-Disposition: x&q=-1 union select password from users",
    "--a\r\nContent-Disposition: x&q=x\n--a\n1 or 1=1--",
    # word chains with SQL after the judged words, or SQL among them
    "about and then easy before union select password from users--",
    "a and as our then x' or '1'='1",
    "a and case when 1=1 then sleep(5) end",
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(v, False) for v in BENIGN_SQLI] + [(v, True) for v in SQLI_LOOKALIKES],
)
def test_prose_veto(value: str, expected: bool) -> None:
    """Benign shapes pass; their SQL look-alikes keep libinjection's verdict."""
    assert is_sqli(value) is expected


# A multipart body is read whole, so an XSS in a part is still seen.
@pytest.mark.parametrize(
    ("value", "expected"),
    [(_MP.format("<img src=x onerror=alert(1)>"), True), (_MP.format("a <= b & c > d"), False)],
)
def test_multipart_body_xss(value: str, expected: bool) -> None:
    assert is_xss(value) is expected
