"""Whole benign requests as browsers and API clients send them, for ``benign_traffic.py``: the
headers a real client sets (user agents, referers with query strings, cookie jars with consent
strings and JWTs, tracing headers), paths with slugs and ids, and bodies of every common media
type, file uploads with real binary signatures (PNG, JPEG, GIF, PDF, ZIP) included.
"""

# ruff: noqa: E501  -- header values and bodies are data, one line each as sent.
from __future__ import annotations

import base64
import json
import random
from typing import Any
from urllib.parse import quote, urlencode

from tests.rules.benign_texts import jwt

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "okhttp/4.12.0",
    "python-requests/2.32.3",
    "axios/1.7.7",
    "curl/8.5.0",
    "Go-http-client/2.0",
    "PostmanRuntime/7.42.0",
    "Dalvik/2.1.0 (Linux; U; Android 13; SM-S911B Build/TP1A.220624.014)",
    "MyShopApp/5.12.1 (iOS 18.1; iPhone15,2; de_DE)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
)
HOSTS = ("shop.example.com", "www.example.org", "app.example.net", "docs.example.dev")
SLUGS = (
    "linen-shirt-navy",
    "how-to-choose-a-mattress",
    "2026/12/07/release-notes-4-2",
    "wool-socks-3-pack",
    "caf%C3%A9-cr%C3%A8me",
    "%E6%98%A5%E3%81%AE%E3%82%BB%E3%83%BC%E3%83%AB",
    "%D0%BD%D0%BE%D0%B2%D0%B8%D0%BD%D0%BA%D0%B8",
    "o-brien-s-pub-menu",
    "c%2B%2B-for-beginners",
    "select-your-size-guide",
    "union-square-store",
    "drop-shipping-faq",
    "sleep-better-in-7-days",
    "echo-dot-5th-gen",
    "cat-tree-xl",
    "time-management-tips",
)
PATH_TEMPLATES = (
    "/products/{slug}",
    "/en-us/p/{slug}-{n}",
    "/blog/{slug}",
    "/api/v2/orders/{n}/items/{k}",
    "/u/{user}/repos",
    "/static/js/app.{hex}.js",
    "/images/{n}/photo%20(1).jpg",
    "/files/Q3%20report%20-%20final.xlsx",
    "/wiki/Category:{slug}",
    "/search/{slug}/page/{k}",
    "/docs/v1.2/{slug}.html",
    "/@{user}/post/{n}",
    "/account;jsessionid={hex}",
    "/media/{slug}.mp4",
    "/c/{slug}/~/{k}",
    "/assets/fonts/Inter-Bold.woff2",
    "/.well-known/openid-configuration",
    "/feeds/{slug}.atom",
)
QUERY_KEYS = (
    "q",
    "page",
    "sort",
    "filter[status]",
    "fields",
    "include",
    "utm_source",
    "ref",
    "lang",
    "redirect_uri",
    "next",
    "cursor",
    "ids[]",
    "from",
    "to",
)


def request(
    method: str, uri: str, headers: list[list[str]], body: str = "", body_b64: str = ""
) -> dict[str, Any]:
    """A waf_eval ``HTTP`` request (``body_b64`` for binary uploads)."""
    req: dict[str, Any] = {
        "method": method,
        "uri": uri,
        "version": "HTTP/1.1",
        "headers": [["Host", HOSTS[0]], *headers],
    }
    if body_b64:
        req["body_b64"] = body_b64
    else:
        req["body"] = body
    return req


def cookie_jar(rng: random.Random) -> str:
    consent = base64.b64encode(
        json.dumps(
            {"necessary": True, "analytics": rng.random() < 0.5, "ts": 1765000000 + rng.randrange(10**5)}
        ).encode()
    ).decode()
    parts = [
        f"_ga=GA1.2.{rng.getrandbits(31)}.{1760000000 + rng.randrange(10**6)}",
        f"_gid=GA1.2.{rng.getrandbits(30)}.{1765000000 + rng.randrange(10**5)}",
        f"session={jwt(rng)}",
        f"cart={quote(json.dumps({'items': [rng.randrange(100, 999)], 'cur': 'EUR'}))}",
        f"consent={consent}",
        f"lang={rng.choice(('en-US', 'de-DE', 'ja-JP', 'pt-BR'))}",
        f"csrftoken={rng.getrandbits(128):032x}",
        f"recently_viewed={'%2C'.join(str(rng.randrange(1000, 9999)) for _ in range(4))}",
        f"theme={rng.choice(('dark', 'light', 'system'))}",
        "OptanonConsent=isGpcEnabled=0&datestamp=Mon+Dec+07+2026+10%3A00%3A00+GMT%2B0100&version=202409.1.0&groups=C0001%3A1%2CC0002%3A0",
    ]
    return "; ".join(rng.sample(parts, rng.randrange(3, len(parts) + 1)))


def browser_headers(rng: random.Random, referer: str) -> list[list[str]]:
    out = [
        ["User-Agent", rng.choice(USER_AGENTS)],
        ["Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"],
        [
            "Accept-Language",
            rng.choice(("en-US,en;q=0.9", "de-DE,de;q=0.9,en;q=0.6", "ja,en-US;q=0.7", "zh-CN,zh;q=0.9")),
        ],
        ["Referer", referer],
        ["Cookie", cookie_jar(rng)],
    ]
    if rng.random() < 0.5:
        out.append(["X-Forwarded-For", f"198.51.100.{rng.randrange(1, 255)}, 10.0.0.{rng.randrange(1, 255)}"])
    if rng.random() < 0.5:
        out.append(["traceparent", f"00-{rng.getrandbits(128):032x}-{rng.getrandbits(64):016x}-01"])
    return out


def api_headers(rng: random.Random) -> list[list[str]]:
    out = [
        ["User-Agent", rng.choice(USER_AGENTS[5:])],
        [
            "Authorization",
            rng.choice(
                (
                    f"Bearer {jwt(rng)}",
                    f"Basic {base64.b64encode(b'svc-reporting:' + rng.randbytes(9).hex().encode()).decode()}",
                )
            ),
        ],
        ["Accept", "application/json"],
        ["X-Request-Id", f"{rng.getrandbits(128):032x}"],
    ]
    if rng.random() < 0.4:
        out.append(["If-None-Match", f'W/"{rng.getrandbits(64):x}"'])
    if rng.random() < 0.4:
        out.append(
            [
                "X-Client-Meta",
                json.dumps({"app": "web", "build": f"4.{rng.randrange(20)}.1", "tz": "Europe/Berlin"}),
            ]
        )
    return out


def fill_path(template: str, rng: random.Random) -> str:
    return template.format(
        slug=rng.choice(SLUGS),
        n=rng.randrange(1, 10**6),
        k=rng.randrange(1, 50),
        hex=f"{rng.getrandbits(48):012x}",
        user=rng.choice(("ann", "dev_ops", "zoë".encode().decode(), "o.brien")),
    )


def query_string(rng: random.Random, value: str) -> str:
    """A realistic query string with ``value`` in one of its arguments."""
    pairs = [
        (
            k,
            rng.choice(
                ("2", "-created_at", "open", "id,name,price", "items.product", "newsletter", "home", "de")
            ),
        )
        for k in rng.sample(QUERY_KEYS, rng.randrange(1, 5))
    ]
    pairs.insert(
        rng.randrange(len(pairs) + 1), (rng.choice(("q", "comment", "note", "search", "text")), value)
    )
    return urlencode(pairs, quote_via=quote)


# ---- uploads ---------------------------------------------------------------------------------------
def _png(rng: random.Random) -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
        + rng.randbytes(13)
        + b"\x00\x00\x00\x00IDAT"
        + rng.randbytes(rng.randrange(200, 2000))
        + b"IEND\xaeB`\x82"
    )


def _jpeg(rng: random.Random) -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + rng.randbytes(rng.randrange(300, 3000)) + b"\xff\xd9"


def _gif(rng: random.Random) -> bytes:
    return b"GIF89a" + rng.randbytes(rng.randrange(100, 800)) + b";"


def _pdf(rng: random.Random) -> bytes:
    return (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\nstream\n"
        + rng.randbytes(600)
        + b"\nendstream\n%%EOF\n"
    )


def _zip(rng: random.Random) -> bytes:
    return (
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00"
        + rng.randbytes(rng.randrange(200, 1500))
        + b"PK\x05\x06"
        + bytes(18)
    )


BINARY_FILES = (
    ("photo.png", "image/png", _png),
    ("IMG_2041.JPG", "image/jpeg", _jpeg),
    ("spinner.gif", "image/gif", _gif),
    ("Rechnung Nr. 2026-11.pdf", "application/pdf", _pdf),
    ("export (2).zip", "application/zip", _zip),
    ("avatar.webp", "image/webp", lambda r: b"RIFF" + r.randbytes(4) + b"WEBPVP8 " + r.randbytes(500)),
    ("raw.bin", "application/octet-stream", lambda r: r.randbytes(1024)),
)


def multipart(
    fields: list[tuple[str, str]], files: list[tuple[str, str, str, bytes]], boundary: str
) -> bytes:
    """A multipart/form-data body: text fields, then (field, filename, media type, bytes) files."""
    out = b""
    for name, value in fields:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for field, filename, media, data in files:
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\nContent-Type: {media}\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    return out + f"--{boundary}--\r\n".encode()
