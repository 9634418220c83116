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
    for value in ("Caf\u00e9 ^  (\u00ac ,\u00ff", "\u20ac ; A\udc80 /B", "\U0001f600 X  Y", "\x80\xff;Z"):
        assert f(value) == cmd_line_reference(value)  # Latin-1, UTF-8 and surrogate-escape paths
    assert f('C^at  "/etc/pa\\\\sswd" ; W\\\'ho (x)') == "cat/etc/passwd who(x)"
    assert f("É\udcff\ud83d\ude00 A;;(") == "É\udcff\ud83d\ude00 a("
    assert f("İK ,/") == "İk/"  # non-ASCII letters are not folded (AWS: A-Z only)
    assert f("") == ""


def base64_embedded_reference(value: str) -> str:
    """BASE64_DECODE_EMBEDDED as documented: every token through BASE64_DECODE_EXT, kept when at
    least 90% of its characters are printable (or CR, LF, TAB), at most 64 kept, joined by LF."""
    out: list[str] = []
    for match in re.finditer(r"[A-Za-z0-9+/_-]{12,}={0,2}", value):
        decoded = TRANSFORMS["BASE64_DECODE_EXT"](match.group(0))
        good = sum(1 for ch in decoded if ch.isprintable() or ch in "\r\n\t")
        if decoded and good / len(decoded) >= 0.9:
            out.append(decoded)
        if len(out) >= 64:
            break
    return "\n".join(out)


_B64_PIECES = st.sampled_from(
    [
        "JHtqbmRpOmxkYXA6Ly94fQ==",  # ${jndi:ldap://x}
        "PHNjcmlwdD4=",
        "YWxlcnQoMSk7CgkN",  # text with LF TAB CR
        "AAAAAAAAAAAAAAAA",  # NULs: binary
        "/////////////w==",  # 0xff bytes: surrogate escapes
        "w6nDqcOpw6nDqcOp",  # é * 6: non-ASCII text
        "4oCL4oCL4oCL4oCL",  # U+200B zero-width spaces: non-printable, non-ASCII
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo",
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoKAA",  # 90% boundary region
        "aGVsbG8gd29ybGQ_-_-",
        "AppleWebKit/537",
        "7f3a9c2e41b84d0f",
        "=",
        "==",
        " ",
        "&",
        "é",
        "\udcff",
    ]
)
B64_TEXT = st.one_of(
    st.lists(_B64_PIECES, max_size=8).map("".join), st.text(alphabet="AQgw+/_-=9a \n", max_size=60)
)


@settings(max_examples=2000, deadline=None)
@given(value=B64_TEXT)
def test_base64_embedded_equals_its_definition(value: str) -> None:
    assert TRANSFORMS["BASE64_DECODE_EMBEDDED"](value) == base64_embedded_reference(value)


def test_base64_embedded_non_ascii_separators() -> None:
    """Latin-1, wider and surrogate-escape characters between tokens (the two byte paths)."""
    token = "JHtqbmRpOmxkYXA6Ly94fQ=="
    for sep in ("\u00ac", "\u00e9\u00ff", "\u20ac", "\udc80", "\U0001f600"):
        value = f"a{sep}{token}{sep}{token[:-2]}x{sep}"
        assert TRANSFORMS["BASE64_DECODE_EMBEDDED"](value) == base64_embedded_reference(value)
        assert TRANSFORMS["BASE64_DECODE_EMBEDDED"](value).startswith("${jndi:ldap://x}\n${jndi:ldap://x}")


def test_base64_embedded_runs_of_twelve_at_the_edges() -> None:
    """A run of exactly 12 alphabet characters is a token at the start, the end or alone; 11 are
    not (the run search's needle holds the space that ends a run)."""
    twelve = "aGVsbG8gd29y"  # "hello wor"
    eleven = twelve[:11]
    for value in (twelve, f"{twelve} x", f"x {twelve}", f"x={twelve}&", eleven, f"{eleven} {eleven}"):
        assert TRANSFORMS["BASE64_DECODE_EMBEDDED"](value) == base64_embedded_reference(value)
    assert TRANSFORMS["BASE64_DECODE_EMBEDDED"](f"x {twelve}") == "hello wor"
    assert TRANSFORMS["BASE64_DECODE_EMBEDDED"](twelve[:11]) == ""


def test_base64_embedded_keeps_at_most_64_tokens() -> None:
    value = " ".join(["JHtqbmRpOmxkYXA6Ly94fQ=="] * 70)
    assert TRANSFORMS["BASE64_DECODE_EMBEDDED"](value) == base64_embedded_reference(value)
    assert TRANSFORMS["BASE64_DECODE_EMBEDDED"](value).count("\n") == 63


@settings(max_examples=3000, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=30), st.binary(max_size=30).map(lambda b: b.decode("utf-8", "surrogateescape"))
    )
)
def test_mostly_printable_equals_the_ratio(text: str) -> None:
    from wafproxy.engine.transforms.b64 import _mostly_printable, _printable_ratio

    assert _mostly_printable(text) == (bool(text) and _printable_ratio(text) >= 0.9)


_ENTITY_PIECES = st.sampled_from(
    [
        "&",
        "&amp",
        "&amp;",
        "&lt",
        "&copy",
        "&notit;",
        "&notin;",
        "&not",
        "&page=2",
        "&#",
        "&#60",
        "&#x3c;",
        "&#xZ",
        "&bogus;",
        "&AElig",
        "&region=",
        "&lang=en",
        "&lang;",
        ";",
        "=",
        "a",
        " ",
        "\t",
        "é",
        "#",
        "x",
        "3",
    ]
)
ENTITY_TEXT = st.one_of(
    st.lists(_ENTITY_PIECES, max_size=12).map("".join), st.text(alphabet="&#;xX0aAmpltg; =", max_size=40)
)


@settings(max_examples=3000, deadline=None)
@given(value=ENTITY_TEXT)
def test_html_entity_decode_equals_unescape(value: str) -> None:
    import html

    assert TRANSFORMS["HTML_ENTITY_DECODE"](value) == html.unescape(value)


def test_html_entity_decode_long_names() -> None:
    import html

    for value in ("&" + "a" * 40 + ";", "&" + "a" * 31 + ";", "&" + "a" * 32 + ";", "&notx" + "y" * 40):
        assert TRANSFORMS["HTML_ENTITY_DECODE"](value) == html.unescape(value)


def test_html_entity_decode_many_references() -> None:
    """References decoded one ``&`` at a time, among ``&`` that decode nothing (a form body)."""
    import html

    values = (
        "name=Jane&email=j%40x&note=leave at the door&page=2",
        "&#;&#x;&#60&#x3c;x&lt&lt;&amp&ampx&notin;&notit;&bogus;&&&;",
        "a&" + "b" * 32 + ";&" + "c" * 33 + ";&" + "n" * 40 + "&not",
        "&#38;lt;&amp;lt;&#\udc80&\udcff;",
    )
    for value in values:
        assert TRANSFORMS["HTML_ENTITY_DECODE"](value) == html.unescape(value)
    assert TRANSFORMS["HTML_ENTITY_DECODE"]("a&note=b&c=d") == "a\u00ace=b&c=d"


def url_decode_reference(value: str, uni: bool) -> str:
    from urllib.parse import unquote_to_bytes

    from wafproxy.engine.transforms import from_bytes, to_bytes
    from wafproxy.engine.transforms.url import _PCT_U, _unicode_low_byte

    if "%" not in value and "+" not in value:
        return value  # documented: nothing to decode, the value is returned as it is
    raw = to_bytes(value).replace(b"+", b" ")
    if uni:
        raw = _PCT_U.sub(_unicode_low_byte, raw)
    return from_bytes(unquote_to_bytes(raw))


@settings(max_examples=2000, deadline=None)
@given(value=st.one_of(TEXT, st.text(alphabet="a+%2B4u0 \udcc3\udca9é", max_size=20)))
def test_url_decoders_equal_the_byte_path(value: str) -> None:
    assert TRANSFORMS["URL_DECODE"](value) == url_decode_reference(value, uni=False)
    assert TRANSFORMS["URL_DECODE_UNI"](value) == url_decode_reference(value, uni=True)


@settings(max_examples=2000, deadline=None)
@given(value=st.text(alphabet="%%%0aAfF9gG+uU\udcff", max_size=24))
def test_url_decoders_on_dense_escapes(value: str) -> None:
    """Valid, invalid, cut and adjacent escapes (``%%41``, ``%4``, ``%g0``, ``%u%41``)."""
    assert TRANSFORMS["URL_DECODE"](value) == url_decode_reference(value, uni=False)
    assert TRANSFORMS["URL_DECODE_UNI"](value) == url_decode_reference(value, uni=True)


def test_nfkc_latin1_table_is_exact() -> None:
    """The 14 Latin-1 characters NFKC changes are the table's; every pair of the others is stable."""
    import unicodedata

    from wafproxy.engine.transforms.unicode import _LATIN1_CHANGED_BY_NFKC

    latin1 = [chr(i) for i in range(256)]
    assert {c for c in latin1 if unicodedata.normalize("NFKC", c) != c} == set(_LATIN1_CHANGED_BY_NFKC)
    stable = [c for c in latin1 if c not in _LATIN1_CHANGED_BY_NFKC]
    assert all(unicodedata.is_normalized("NFKC", a + b) for a in stable for b in stable)


@settings(max_examples=2000, deadline=None)
@given(value=st.one_of(st.text(alphabet=st.characters(max_codepoint=0xFF)), st.text(max_size=20)))
def test_nfkc_equals_unicodedata(value: str) -> None:
    import unicodedata

    assert TRANSFORMS["NFKC_NORMALIZE"](value) == unicodedata.normalize("NFKC", value)
