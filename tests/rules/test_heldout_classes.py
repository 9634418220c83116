"""Classes fixed from the sixth held-out round (``load_tests/heldout_eval.py``): a few
representative values per class, each sent as a query argument, a form field, a multipart part
and a JSON member through the default web ACL (whole requests, as ``waf_eval.py`` sends them).

Benign values come from the kinds of traffic the round found blocked (delimited records with a
language column, reference-manual prose); attack values keep each narrowed rule honest.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.rules.corpuskit import DEFAULT_ACL, parse_raw
from tests.rules.test_part_values import _multipart
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import CompiledWebACL, evaluate

PLACEMENTS = ("query", "form", "multipart", "json")


def _request(placement: str, value: str) -> bytes:
    if placement == "query":
        return f"GET /search?q={quote(value, safe='')} HTTP/1.1\r\nHost: example.org\r\n\r\n".encode()
    if placement == "multipart":
        return _multipart("q", value)
    if placement == "form":
        body, ctype = f"q={quote(value, safe='')}".encode(), "application/x-www-form-urlencoded"
    else:
        body, ctype = json.dumps({"id": 7, "q": value}).encode(), "application/json"
    head = (
        "POST /items HTTP/1.1\r\nHost: example.org\r\n"
        f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


@pytest.fixture(scope="module")
def acl() -> CompiledWebACL:
    return load_web_acl(DEFAULT_ACL)


# (class, value): must pass in every placement.
BENIGN = [
    # A delimited record whose language / skills column names an interpreter as names are written.
    ("record-language", "Thorwe Bengtson;galaxy1914@example.com;+45 264 255 019;Anholt;Test;Perl"),
    ("record-language", "Esma Verhoeven|departure2052@example.org|Mechelen|Hoe gaat het?|Bash"),
    ("record-language", "Nevada Gonzales;Valencia;Chilaquiles;PHP"),
    ("record-language", "Java|Python|Ruby|Lua"),
    ("record-language", "Amidala Csizmadia|Tapolca|Borsókrémleves|Awk"),
    # "#" glued to a word is part of it: C#, F#, J# are language names.
    ("record-language", "Vida Schwarz;Hinwil;Berner platte;Ich komme aus Deutschland.;C#"),
    ("record-language", "Violeta Jerković;Đakovo;Gdje su moje hlače?;J#"),
    # Grammar notation and prose quoting words (reference manuals): no PHP call or concatenation.
    ("manual-prose", 'imagnumber ::= (floatnumber | digitpart) ("j" | "J")'),
    # A heading underline under a line ending in a quote; BNF "::= |"; a Python traceback frame.
    ("manual-prose", '"numbers.Real" ("float")\n------------------------'),
    ("manual-prose", "closed_pattern ::= | literal_pattern\n   | capture_pattern"),
    ("manual-prose", "> example.py(3)<module>()\n-> pass\n(Pdb) display lst"),
    ("percent-text", "strftime: %Y%m%d-%H%M, 50% off, 100%"),
    ("percent-text", "printf format %s%s%d and a 20% cut"),
    (
        "manual-prose",
        'It is not possible to mix "except" and "except*" in the same "try". "break", "continue"'
        ' and "return" cannot appear',
    ),
]
# (class, value, placements where it must block).
ATTACK = [
    ("interpreter-end", "x;bash", PLACEMENTS),
    ("interpreter-end", "1|perl", PLACEMENTS),
    ("interpreter-end", "x;pHp", PLACEMENTS),
    ("interpreter-end", "x;py''thon", PLACEMENTS),
    ("interpreter-args", "x| Perl -e 'print 1'", PLACEMENTS),
    ("interpreter-args", "x;Bash -i", PLACEMENTS),
    ("shell-comment", "x; id #", PLACEMENTS),
    ("php-call", '(system) ("id");', PLACEMENTS),
    ("php-call", "(sy.(st).em)('id');", PLACEMENTS),
    ("php-call", "('sys'.'tem')('id');", PLACEMENTS),
    ("php-call", "$f = 'sys' . 'tem';", PLACEMENTS),
    # ASP drops a "%" no two hex digits follow: %S%E%L%E%C%T is SELECT (sqlmap's percentage tamper).
    ("comment-next-line", "admin'\n-- ", PLACEMENTS),
    ("comment-next-line", "x')\n--", PLACEMENTS),
    ("pipe-start", "=| id", ("query", "form")),
    ("splice", "pi<()ng -c 3 x", PLACEMENTS),
    ("asp-percent", "%1%' %A%N%D %E%L%T%(%4%8%2%1%=%4%8%2%1%,%7%3%1%0%)", ("query", "form")),
    ("asp-percent", "%-%4%8%2%1 %U%N%I%O%N %A%L%L %S%E%L%E%C%T %N%U%L%L%-%- %-", ("query", "form")),
    ("asp-percent", "%1%' %W%A%I%T%F%O%R %D%E%L%A%Y %'%0%:%0%:%5%'%-%-", ("query", "form")),
    # MS Access IIF on a numeric comparison; two argument-less calls compared.
    ("sql-boolean", 'x" ,IIF(4821=4821,1,1/0)#', PLACEMENTS),
    ("sql-boolean", "' and user()=user()", PLACEMENTS),
    ("sql-boolean", "1 or version()<>pi()", PLACEMENTS),
]


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize(("kind", "value"), BENIGN)
def test_benign_passes(acl: CompiledWebACL, kind: str, value: str, placement: str) -> None:
    decision = evaluate(acl, parse_raw(_request(placement, value)))
    assert not decision.blocked, (kind, decision.terminating_group_rule_id)


@pytest.mark.parametrize(("kind", "value", "placements"), ATTACK)
def test_attack_blocks(acl: CompiledWebACL, kind: str, value: str, placements: tuple[str, ...]) -> None:
    for placement in placements:
        decision = evaluate(acl, parse_raw(_request(placement, value)))
        assert decision.blocked, (kind, placement)
