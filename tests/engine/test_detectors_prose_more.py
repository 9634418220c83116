"""The SQLi vetoes (and the XSS rereading of plain inline styles) added for the broad benign
generator (``prose.py``, ``markup.py``, ``sqli_veto._prose_veto``): each benign shape passes,
and the injections nearest to it keep libinjection's verdict."""

from __future__ import annotations

import pytest

from wafproxy.engine.detectors import is_sqli, is_xss

BENIGN = (
    # Search syntax with field terms, wildcards and ranges.
    "wool AND NOT (cashmere* OR color:navy)",
    '(("dry clean" OR "red dress") AND color:navy)',
    "((denim OR cotton) AND price:[10 TO 50])",
    '("red dress" OR "machine wash") AND NOT cashmere*',
    "(silk OR leather) AND NOT tag:urgent",
    "((cotton OR linen) AND status:open)",
    # An e-mail address whose "+" a URL decode made a space.
    "john or@var.es",
    # A C-family block.
    "if (a && b || !c) { return x ?? y; }",
    # Arithmetic.
    "sqrt(16) = 4, 4! = 24",
    "e^(i*pi)   1 = 0",
    "-(-5) =  5",
    "sin(x)^2 + cos(x)^2 = 1",
    # A T-SQL command word after a word, without what the command needs.
    "Please execute my wildcard: ../parent folder please.",
    "Please drop my referer: /etc<",
    # Two form fields read together: a search, then a name with an apostrophe.
    "q=(silk OR leather) AND NOT cashmere*&name=Zo%C3%AB O'Connor&email=a@example.com",
    "message=if (a && b || !c) { x }&name=Zoe O'Connor",
)
INJECTIONS = (
    "1' or '1'='1",
    "x or @@version",
    "a or@b.c union select 1,2",
    "if(1=1,sleep(5),0)",
    "if (a && b) { x }; drop table users",
    "ascii(1)=49",
    "1) or (1=1",
    "wool OR (select * from users)",
    "x AND (a* OR b) union select 1",
    "title:x' OR '1'='1",
    "a\" or \"1\"=\"1",
    "a exec('select 1')",
    "q=1' && '1'='1",
    "q=1' or '1'='1&name=x",
)


@pytest.mark.parametrize("value", BENIGN)
def test_benign_shape_is_not_sqli(value: str) -> None:
    assert not is_sqli(value)


@pytest.mark.parametrize("value", INJECTIONS)
def test_nearest_injection_stays_sqli(value: str) -> None:
    assert is_sqli(value)


RICH_TEXT = (
    '<p style="text-align: center;"><span style="color: #e03e2d;">Red text</span></p>',
    "<span style=\"color: rgb(224, 62, 45); font-family: 'Open Sans', sans-serif\">x</span>",
    "<div style='margin: 0 auto; max-width: 600px'>x</div>",
)
STYLE_ATTACKS = (
    '<div style="width:expression(alert(1))">',
    '<div style="background:url(javascript:alert(1))">',
    '<span style="x:\\65xpression(alert(1))">',
    '<div style="behavior: url(x.htc)">',
    '<a style="-moz-binding:url(x)">',
    '<p style="color:red" onmouseover="alert(1)">x</p>',
    '<p style="color:red">hi</p><img src=x onerror=alert(1)>',
)


@pytest.mark.parametrize("value", RICH_TEXT)
def test_plain_inline_style_is_not_xss(value: str) -> None:
    assert not is_xss(value)


@pytest.mark.parametrize("value", STYLE_ATTACKS)
def test_style_that_runs_or_loads_stays_xss(value: str) -> None:
    assert is_xss(value)
