"""Carrier views of XML bodies, multipart part headers and header values (``engine/views.py``,
``engine/parsing/_xml.py``), and the XSS detector's second reading of benign markup (``engine/markup.py``).

The parser is pinned on what an attacker controls (DTDs, entities, depth, cut documents); the
views on what they add; the shipped default web ACL on payloads in each new carrier (blocked)
and ordinary API documents in the same carriers (not blocked).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.engine.carrier_cases import PAYLOADS
from wafproxy.engine import Action, CompiledWebACL, WafRequest, evaluate
from wafproxy.engine.detectors import is_xss
from wafproxy.engine.fields import FieldSpec
from wafproxy.engine.parsing import parse_multipart
from wafproxy.engine.parsing._xml import xml_values
from wafproxy.engine.views import header_views, multipart_views, path_views, xml_views

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def default_acl() -> CompiledWebACL:
    from wafproxy.aclfiles import load_web_acl

    return load_web_acl(ROOT / "rules" / "default-web-acl.json")


def _post(body: str, content_type: str, headers: tuple[tuple[str, str], ...] = ()) -> WafRequest:
    raw = body.encode()
    return WafRequest(
        client_ip="203.0.113.7",
        method="POST",
        uri_path="/api",
        headers=(("Host", "app.example"), ("Content-Type", content_type), *headers),
        body=raw,
        body_size=len(raw),
    )


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# --- the parser ---------------------------------------------------------------------------------


def test_text_and_attributes_with_entities_and_cdata_resolved() -> None:
    doc = '<?xml version="1.0"?><a x="&#39;1" xmlns="urn:x">&lt;b&gt; &#x27;or<![CDATA[ <i>]]>'
    doc += '<c y="&quot;"/>t &amp;&#x3C;</a>'
    values = xml_values(doc)
    assert ("text", "<b> 'or") in values
    assert ("x", "'1") in values and ("y", '"') in values
    assert ("cdata", " <i>") in values
    assert ("text", "t &<") in values


def test_namespace_declarations_are_not_values() -> None:
    doc = '<s:E xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:x" id="7">v</s:E>'
    assert xml_values(doc) == [("text", "v"), ("id", "7")]


@pytest.mark.parametrize(
    "doc",
    [
        '<!DOCTYPE a [<!ENTITY x "boom">]><a>&x;</a>',
        '<!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><a>&b;&b;</a>',
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><r>&p;</r>',
    ],
)
def test_no_entity_of_the_sender_is_expanded(doc: str) -> None:
    values = [v for _, v in xml_values(doc)]
    assert all("boom" not in v and "aaaa" not in v and "root:" not in v for v in values)
    assert any(v.startswith("&") for v in values)  # the reference stays as written


def test_cut_or_malformed_documents_keep_what_was_read() -> None:
    values = xml_values("<a><b>one;</b><c>two;</c><d>thr")
    assert ("text", "one;") in values and ("text", "two;") in values
    assert ("cdata", "<svg onload=x>") in xml_values("<a><![CDATA[<svg onload=x>")


def test_bounded_number_of_values() -> None:
    assert len(xml_values("<r>" + "<i>x;</i>" * 5000 + "</r>", max_values=10)) == 10
    assert len(xml_values("<a>" * 20000 + "x;")) == 1  # depth is no bound to keep: nothing recurses


# --- the views ----------------------------------------------------------------------------------


def test_xml_views_skip_plain_values_and_decode_base64() -> None:
    token = base64.b64encode(b"<svg onload=alert(1)>").decode()
    views = xml_views(f"<q><n>plain words</n><m>a&amp;b</m><t>{token}</t></q>")
    assert ("text", "a&b") in views
    assert ("text:base64", "<svg onload=alert(1)>") in views
    assert all(value != "plain words" for _, value in views)


def test_multipart_views_show_names_file_names_and_media_types() -> None:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="doc"; filename="../../etc/passwd"\r\n'
        b"Content-Type: text/html;<svg onload=x>\r\n\r\nx\r\n"
        b'--b\r\nContent-Disposition: form-data; name="photo"; filename="cat.png"\r\n'
        b"Content-Type: image/png\r\n\r\ny\r\n--b--\r\n"
    )
    views = multipart_views(parse_multipart(body, "b"))
    assert views == (("doc:filename", "../../etc/passwd"), ("doc:content-type", "text/html;<svg onload=x>"))


# --- through the default web ACL ----------------------------------------------------------------

# Payloads a rule catches only as a *whole* value (anchored, or tokenised from the start).
XML_PAYLOADS = [p for p in PAYLOADS if "\n" not in p and not p.startswith(("<!ENTITY", "{"))]
XML_CARRIERS = {
    "text": lambda p: _post(
        f'<?xml version="1.0"?><query><name>{_xml_escape(p)}</name></query>', "application/xml"
    ),
    "char-refs": lambda p: _post(
        "<query><name>" + "".join(f"&#x{ord(c):x};" for c in p) + "</name></query>", "text/xml"
    ),
    "attribute": lambda p: _post(f'<query name="{_xml_escape(p)}"/>', "application/xml"),
    "cdata": lambda p: _post(f"<query><name><![CDATA[{p}]]></name></query>", "application/xml"),
    "soap": lambda p: _post(
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<find xmlns="urn:example"><q>{_xml_escape(p)}</q></find></soap:Body></soap:Envelope>',
        "text/xml",
    ),
}


@pytest.mark.parametrize("carrier", list(XML_CARRIERS))
def test_xml_body_payloads_blocked(default_acl: CompiledWebACL, carrier: str) -> None:
    build = XML_CARRIERS[carrier]
    missed = [p for p in XML_PAYLOADS if evaluate(default_acl, build(p)).action is not Action.BLOCK]
    assert missed == []


def test_base64_in_custom_headers_blocked(default_acl: CompiledWebACL) -> None:
    for payload in ("| id", "; cat /etc/passwd", "' OR '1'='1' --", "<svg onload=alert(1)>"):
        token = base64.b64encode(payload.encode()).decode()
        request = _post("{}", "application/json", (("X-Filter", token),))
        assert evaluate(default_acl, request).action is Action.BLOCK, payload


def test_header_views_skip_credentials_and_follow_the_match_pattern() -> None:
    token = base64.b64encode(b"; cat /etc/passwd").decode()
    selected = (("Authorization", token), ("X-Data", token), ("Cookie", f"c={token}"))
    request = _post("{}", "application/json", selected)
    spec = FieldSpec("Headers", scope="VALUE", views=True)
    assert header_views(spec, request, selected) == (
        ("X-Data:base64", "; cat /etc/passwd"),
        ("c:base64", "; cat /etc/passwd"),
    )
    no_cookie = FieldSpec("Headers", scope="VALUE", excluded=("cookie",), views=True)
    assert header_views(no_cookie, request, selected[:2]) == (("X-Data:base64", "; cat /etc/passwd"),)
    assert header_views(FieldSpec("Headers", scope="KEY", views=True), request, selected) == ()


BENIGN_XML = (
    '<?xml version="1.0"?><project xmlns="http://maven.apache.org/POM/4.0.0"><name>A &amp; B tools</name>'
    "<description>Fast &lt;b&gt;bold&lt;/b&gt; text, 5 &lt; 6</description></project>",
    '<feed xmlns="http://www.w3.org/2005/Atom"><title>Q&amp;A: "why?"</title><content type="html">'
    "&lt;p&gt;Hello &amp;amp; welcome&lt;/p&gt;</content></feed>",
    "<order><note><![CDATA[Leave at the door; ring twice (don't knock)]]></note><sku>AB-12/x</sku></order>",
    '<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/><D:getetag/></D:prop></D:propfind>',
    "<methodCall><methodName>wp.getPosts</methodName><params><param><value><string>it's a 50/50 call"
    "</string></value></param></params></methodCall>",
)


@pytest.mark.parametrize("body", BENIGN_XML)
def test_benign_xml_bodies_pass(default_acl: CompiledWebACL, body: str) -> None:
    assert evaluate(default_acl, _post(body, "application/xml")).action is Action.ALLOW


# --- the XSS detector's second reading -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "xss"),
    [
        ('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1"/>', False),
        ('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>', False),
        ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', True),
        ('<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>', True),
        ('<x xmlns="urn:a"><script>alert(1)</script></x>', True),
        ('<a xmlns="urn:x" onmouseover="alert(1)">x</a>', True),
        (
            '<a xmlns="http://a.b/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://a.b/ http://probe.example/a.xsd">a</a>',
            True,
        ),
        ("return <button onClick={onClick}>{label}</button>;", False),
        ("<input onChange={this.handleChange} />", False),
        ("<button onClick={alert(1)}>", True),
        ("<button onclick={location=name}>", True),
    ],
)
def test_xss_detector_reads_benign_markup_again(value: str, xss: bool) -> None:
    assert is_xss(value) is xss


# --- base64 in the path and in plain JSON -----------------------------------------------------------


def test_whole_path_as_one_base64_token() -> None:
    token = base64.b64encode(b"; cat /etc/passwd?").decode()  # ends in base64's "/"
    assert token.endswith("/")
    assert ("path:base64", "; cat /etc/passwd?") in path_views("/" + token)
    assert path_views("/api/v1/Users/42") == ()


@pytest.mark.parametrize("payload", ["| id", "admin'--", "1 UNION SELECT username, password FROM users--"])
def test_base64_member_of_a_plain_json_body_blocked(default_acl: CompiledWebACL, payload: str) -> None:
    token = base64.b64encode(payload.encode()).decode().rstrip("=")
    request = _post('{"filter": {"name": ["' + token + '"]}, "page": 1}', "application/json")
    assert evaluate(default_acl, request).action is Action.BLOCK
