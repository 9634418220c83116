"""The XSS detector's second reading (``engine/markup.py``): the ``style`` attributes rich-text
editors post and JSX arrow handlers pass; CSS that can load, run or hide an escape, and a brace
handler a browser would run, stay XSS."""

from __future__ import annotations

import pytest

from wafproxy.engine.detectors import is_xss
from wafproxy.engine.markup import _without_plain_styles

RICH_TEXT = (
    '<div style="color: red; font-weight: bold">Warning</div>',
    '<p><span style="color: rgb(51, 51, 51); background-color: rgba(255, 255, 0, 0.5)">note</span></p>',
    "<td style='text-align:center;width:40%'>7</td>",
    '<span style="font-family: Arial, sans-serif; color: hsl(120, 50%, 40%)">Hi</span>',
    'style="color:red" is inline CSS',
)
STILL_XSS = (
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<div style="width:expression(alert(1))">x</div>',
    '<a style="behavior:url(x.htc)">x</a>',
    '<p style="x:\\65xpression(alert(1))">x</p>',
    '<p style="x:e/**/xpression(alert(1))">x</p>',
    "<p style=\"@import '//evil.example/x.css'\">x</p>",
    '<p style="color:red" onclick="alert(1)">x</p>',
    '<span style="color:red"><script>alert(1)</script></span>',
    '<p style="color:red"><img src=x onerror=alert(1)></p>',
)


@pytest.mark.parametrize("value", RICH_TEXT)
def test_rich_text_styles_are_not_xss(value: str) -> None:
    assert _without_plain_styles(value) is not None
    assert not is_xss(value)


@pytest.mark.parametrize("value", STILL_XSS)
def test_css_that_loads_runs_or_escapes_stays_xss(value: str) -> None:
    assert is_xss(value)


def test_no_style_attribute_is_left_alone() -> None:
    assert _without_plain_styles("<b>bold</b> and a stylesheet") is None
    assert _without_plain_styles('<p style="x:url(y)">') is None


def test_a_style_inside_a_json_text_is_read_with_its_escaped_quotes() -> None:
    assert not is_xss('{"html": "<div style=\\"color: red\\">x</div>"}')
    assert is_xss('{"html": "<div style=\\"x:expression(alert(1))\\">x</div>"}')


@pytest.mark.parametrize(
    "value",
    (
        "<button onClick={() => setOpen(true)}>Open</button>",
        "<input onChange={(e) => setName(e.target.value)} />",
        "To fix it, add `onClick={() => setOpen(!open)}` to the button.",
    ),
)
def test_jsx_arrow_handlers_are_not_xss(value: str) -> None:
    assert not is_xss(value)


@pytest.mark.parametrize(
    "value",
    (
        "<img src=x onerror={alert(1)}>",
        "<a onmouseover={location=name}>x</a>",
        "<x onclick={ a } ><script>alert(1)</script>",
    ),
)
def test_brace_handlers_a_browser_runs_stay_xss(value: str) -> None:
    assert is_xss(value)
