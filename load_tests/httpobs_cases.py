"""Recorded responses for the Observatory agreement measurement (``httpobs_agreement.py``).

Every combination would be millions; a seeded sample of header variants, each variant chosen
because it lands on a different Observatory result (and on the edges: invalid values, unsafe CSP
sources, session cookies, reflected CORS). A case is plain JSON so the other side (httpobs, in its
own virtualenv) reads exactly the same bytes.
"""

from __future__ import annotations

import random
from typing import Any

HOST = "app.example.test"
ORIGIN = "https://http-observatory.security.mozilla.org"
VARIANTS: dict[str, list[Any]] = {
    "content-security-policy": [
        None,
        "default-src 'none'",
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "default-src 'self'; script-src 'unsafe-eval'",
        "default-src 'none'; style-src 'self' 'unsafe-inline'",
        "default-src https:",
        "x",
        "default-src 'self'; frame-ancestors 'none'",
        "default-src 'self'; img-src http:",
        "script-src 'nonce-abc' 'strict-dynamic'",
        "default-src 'self'; default-src 'none'",
    ],
    "strict-transport-security": [
        None,
        "max-age=63072000",
        "max-age=300",
        "max-age=abc",
        "max-age=63072000; includeSubDomains; preload",
        "max-age=1, max-age=2",
    ],
    "x-content-type-options": [None, "nosniff", "sniff-me"],
    "x-frame-options": [None, "DENY", "SAMEORIGIN", "ALLOW-FROM https://x.test", "bogus"],
    "referrer-policy": [
        None,
        "no-referrer",
        "unsafe-url",
        "no-referrer-when-downgrade",
        "bogus",
        "origin, strict-origin-when-cross-origin",
    ],
    "x-xss-protection": [None, "1; mode=block", "0", "1", "bogus", "1; mode=evil"],
    "set-cookie": [
        None,
        "sessionid=1; Secure; HttpOnly; SameSite=Lax",
        "sessionid=1",
        "foo=1; Secure",
        "csrftoken=1; Secure",
        "foo=1; Secure; SameSite=Bogus",
        "loginsess=1; Secure",
        "foo=1; SameSite=None",
    ],
    "cors": [None, "*", "reflect-credentials", "https://partner.test"],
    "scheme": ["https", "http", "http-redirect", "http-redirect-offhost"],
    "body": [
        "none",
        "html-plain",
        "html-same-origin-script",
        "html-https-script",
        "html-https-script-sri",
        "html-http-script",
        "html-meta-csp",
    ],
}
GOOD = (
    "content-security-policy",
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "x-xss-protection",
    "set-cookie",
)
BODIES = {
    "none": ("application/json", "{}"),
    "html-plain": ("text/html", "<!doctype html><title>t</title><p>hi"),
    "html-same-origin-script": ("text/html", "<!doctype html><script src=/app.js></script>"),
    "html-https-script": ("text/html", "<!doctype html><script src=https://cdn.other.test/x.js></script>"),
    "html-https-script-sri": (
        "text/html",
        "<!doctype html><script src=https://cdn.other.test/x.js "
        "integrity=sha384-abc crossorigin=anonymous></script>",
    ),
    "html-http-script": ("text/html", "<!doctype html><script src=http://cdn.other.test/x.js></script>"),
    "html-meta-csp": (
        "text/html",
        "<!doctype html><meta http-equiv=Content-Security-Policy content=\"default-src 'self'\"><p>x",
    ),
}


def make_cases(n: int, seed: int = 13) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        # Half the cases lean to good configurations (the first non-None variant 70% of the time),
        # so the sample covers the A..C bands, not only F.
        lean = i % 2 == 0
        pick = {
            k: (v[1] if lean and k in GOOD and rng.random() < 0.7 else rng.choice(v))
            for k, v in VARIANTS.items()
        }
        headers = [
            [k, v]
            for k, v in pick.items()
            if k not in ("cors", "scheme", "body", "set-cookie") and v is not None
        ]
        if pick["set-cookie"]:
            headers.append(["set-cookie", pick["set-cookie"]])
        ctype, body = BODIES[pick["body"]]
        headers.append(["content-type", ctype])
        cors_headers = list(headers)
        if pick["cors"] == "reflect-credentials":
            cors_headers += [
                ["access-control-allow-origin", ORIGIN],
                ["access-control-allow-credentials", "true"],
            ]
        elif pick["cors"]:
            cors_headers.append(["access-control-allow-origin", pick["cors"]])
        https_url, http_url = f"https://{HOST}/", f"http://{HOST}/"
        page = {"url": https_url, "status": 200, "headers": headers, "body": body, "history": []}
        http: dict[str, Any] | None = None
        https: dict[str, Any] | None = page
        if pick["scheme"] == "http":
            page, https = {**page, "url": http_url}, None
            http = page
        elif pick["scheme"] == "http-redirect":
            http = {**page, "history": [[http_url, 301]]}
        elif pick["scheme"] == "http-redirect-offhost":
            http = {**page, "url": "https://www.example.test/", "history": [[http_url, 301]]}
        cases.append(
            {
                "id": i,
                "pick": pick,
                "auto": page,
                "http": http,
                "https": https,
                "cors": {**page, "headers": cors_headers, "request_headers": [["origin", ORIGIN]]},
            }
        )
    return cases
