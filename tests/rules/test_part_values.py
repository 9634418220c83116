"""A multipart part's value begins right after its headers, which end in a quote and a blank
line (``name="content"\\r\\n\\r\\n``): SQL grammar that reads "a closed string, then a comment" must
not read that header quote as the string. Markdown front matter (``---``), a CSS or JavaScript
upload's licence comment (``/*``) and a Markdown heading start real values; an injection's
comment after the part's value (one line break at most) still blocks. Whole requests through the
default web ACL, as ``waf_eval.py`` sends them.
"""

from __future__ import annotations

import pytest

from tests.rules.corpuskit import DEFAULT_ACL, parse_raw
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import CompiledWebACL, evaluate

BOUNDARY = "----WebKitFormBoundaryd4Xq2mZ7"


def _multipart(name: str, value: str, filename: str = "") -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    body = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n{value}\r\n--{BOUNDARY}--\r\n".encode()
    head = (
        "POST /posts HTTP/1.1\r\nHost: www.example.org\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


@pytest.fixture(scope="module")
def acl() -> CompiledWebACL:
    return load_web_acl(DEFAULT_ACL)


@pytest.mark.parametrize(
    ("name", "value", "filename"),
    [
        ("content", "---\nlayout: post\ntitle: Release notes\n---\n\nWe shipped it.", ""),
        ("content", "-----\nSigned off.", ""),
        ("file", "/*\n * site.css -- MIT licence\n */\nbody { margin: 0 }\n", "site.css"),
        ("file", "/*\n  app.js\n*/\nexport const x = 1;\n", ""),
        ("comment", "#\nAnything below is a note.", ""),
        ("comment", "Or something like that.", ""),
    ],
)
def test_value_starting_like_a_comment_passes(
    acl: CompiledWebACL, name: str, value: str, filename: str
) -> None:
    decision = evaluate(acl, parse_raw(_multipart(name, value, filename)))
    assert not decision.blocked, decision.terminating_group_rule_id


@pytest.mark.parametrize("value", ["admin'--", "admin'\n-- ", 'x")#', "1' or (EXISTS)"])
def test_injection_in_a_part_blocks(acl: CompiledWebACL, value: str) -> None:
    decision = evaluate(acl, parse_raw(_multipart("user", value)))
    assert decision.blocked
    assert decision.terminating_group_rule_id.startswith("SQLi"), decision.terminating_group_rule_id
