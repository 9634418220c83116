"""Fast implementations of transformations against their step-by-step definitions.

Each reference below is the plain reading of the documented steps (slow, obviously right); the
registered function must agree with it on arbitrary text, including non-ASCII, lone surrogates
(the ``surrogateescape`` bytes of ``transforms._bytes``) and unpaired JSON surrogates.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from wafproxy.engine.transforms import TRANSFORMS

_PIECES = st.sampled_from(
    list("aAzZ09 /(.,;\\\"'^\t\n\x00É\xa0ＡﬁİK")
    + ["\udcff", "\udc80", "\ud83d", "\ude00", "\ud83d\ude00", "  ", " /", " (", ",;", "\U0001f600"]
)
TEXT = st.one_of(st.lists(_PIECES, max_size=24).map("".join), st.text(max_size=40))


def cmd_line_reference(value: str) -> str:
    """AWS's CMD_LINE steps, one by one, on characters."""
    out = "".join(" " if c in ",;" else c for c in value if c not in "\\\"'^")
    out = re.sub(" {2,}", " ", out)
    out = out.replace(" /", "/").replace(" (", "(")
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in out)


@settings(max_examples=2000, deadline=None)
@given(value=TEXT)
def test_cmd_line_equals_its_steps(value: str) -> None:
    assert TRANSFORMS["CMD_LINE"](value) == cmd_line_reference(value)


def test_cmd_line_examples() -> None:
    f = TRANSFORMS["CMD_LINE"]
    assert f('C^at  "/etc/pa\\\\sswd" ; W\\\'ho (x)') == "cat/etc/passwd who(x)"
    assert f("É\udcff\ud83d\ude00 A;;(") == "É\udcff\ud83d\ude00 a("
    assert f("İK ,/") == "İk/"  # non-ASCII letters are not folded (AWS: A-Z only)
    assert f("") == ""
