"""Benign traffic in the carriers the views open (issue 15): what the new views must never block.

* File uploads: multipart bodies whose parts have ordinary, odd and non-English file names and
  every common media type (the part headers are views now).
* Opaque tokens that *are* base64: pagination cursors, state blobs, checksums, ids, in custom
  headers, JSON members and query arguments (every such token is decoded once now).
* XML API bodies whose values hold entities and CDATA (their text nodes are views now).
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

from tests.rules.setkit import Body, Payload, Raw, _http

_FILES = (
    ("photo (1).jpg", "image/jpeg"),
    ("Q3 report - final.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("résumé.pdf", "application/pdf"),
    ("写真_2026-03-01.png", "image/png"),
    ("договор №12.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("notes [draft].md", "text/markdown"),
    ("data,v2.csv", "text/csv; charset=utf-8"),
    ("archive.tar.gz", "application/gzip"),
    ("my-app_v1.2.3+build.4.apk", "application/vnd.android.package-archive"),
    ("screenshot 2026-03-02 at 10.15.33.png", "image/png"),
    ("O'Brien & sons invoice #42.pdf", "application/pdf"),
    ("backup (copy).zip", "application/zip"),
    ("calendar.ics", "text/calendar"),
    ("vector.eps", "application/postscript"),
    ("song.mp3", "audio/mpeg"),
)
_FILE_TEXT = (
    "plain text\r\nsecond line",
    "id,name,price\r\n1,Widget,9.99\r\n2,Gadget,19.50",
    "# Title\r\n\r\nSome *markdown* with a [link](https://example.com/a?b=1&c=2).",
    '{"name": "demo", "version": "1.0.0", "scripts": {"test": "pytest -q"}}',
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nSUMMARY:Team sync; agenda\r\nEND:VCALENDAR",
)


def _uploads(rng: random.Random) -> list[Payload]:
    out: list[Payload] = []
    for i, (name, media) in enumerate(_FILES):
        for j in range(4):
            boundary = f"----WebKitFormBoundary{rng.getrandbits(64):016x}"
            text = _FILE_TEXT[(i + j) % len(_FILE_TEXT)]
            body = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nUpload {i}-{j}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="files[{j}]"; filename="{name}"\r\n'
                f"Content-Type: {media}\r\n\r\n{text}\r\n--{boundary}--\r\n"
            )
            out.append(Body(body, f"multipart/form-data; boundary={boundary}"))
    return out


def _tokens(rng: random.Random) -> list[str]:
    """Base64 of what applications really wrap: JSON cursors, binary ids, digests, key=value state."""
    out = []
    for i in range(40):
        cursor = json.dumps({"offset": 20 * i, "sort": rng.choice(("name", "-created", "price"))})
        state = f"tab={rng.choice(('home', 'orders'))}&page={i}&lang={rng.choice(('en', 'de', 'ja'))}"
        out += [
            base64.b64encode(cursor.encode()).decode(),
            base64.urlsafe_b64encode(cursor.encode()).decode().rstrip("="),
            base64.b64encode(rng.randbytes(16)).decode(),
            base64.b64encode(rng.randbytes(32)).decode().rstrip("="),
            base64.b64encode(state.encode()).decode(),
            base64.b64encode(f"user:{rng.getrandbits(32)}".encode()).decode(),
        ]
    return out


def _token_requests(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i, token in enumerate(_tokens(rng)):
        header = rng.choice(
            ("X-Cursor", "X-Request-Token", "X-Client-State", "X-Amz-Meta-Checksum", "Referer-State")
        )
        out.append(
            {
                "placement": "HTTP",
                "shape": "Header",
                "request": _http("GET", f"/api/items?page={i}", [[header, token]]),
            }
        )
    return out


def _token_payloads(rng: random.Random) -> list[Payload]:
    tokens = _tokens(rng)
    out: list[Payload] = [
        Body(json.dumps({"cursor": t, "limit": 20, "filter": {"state": t}})) for t in tokens
    ]
    out += [
        Raw(f"next={t.replace('+', '%2B').replace('=', '%3D').replace('/', '%2F')}&limit=20") for t in tokens
    ]
    return out


def _xml_entities(rng: random.Random) -> list[Payload]:
    values = (
        "Fish &amp; Chips",
        "&lt;b&gt;bold&lt;/b&gt; is &quot;fine&quot;",
        "5 &lt; 6 &amp;&amp; 7 &gt; 3",
        "café &#233;t&#233; &#x263A;",
        "it&apos;s O&apos;Brien&apos;s",
        "<![CDATA[a < b; c > d & e]]>",
        "path C:\\Users\\ann\\Documents",
        "select the best option (1-3)",
        "the rm command removes files",
        "see https://example.com/a?b=1&amp;c=2",
    )
    out: list[Payload] = []
    for i in range(60):
        value = values[i % len(values)]
        ref = f"ORD-{rng.getrandbits(24):06x}"
        out.append(
            Body(
                f'<?xml version="1.0"?><order id="{ref}"><note>{value}</note><qty>{i}</qty></order>',
                "application/xml",
            )
        )
        out.append(
            Body(
                '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
                f'<Lookup xmlns="urn:crm"><Name attr="{value if "<" not in value else ref}">{value}</Name>'
                "</Lookup></soap:Body></soap:Envelope>",
                "text/xml; charset=utf-8",
            )
        )
    return out


def carrier_payloads(rng: random.Random) -> dict[str, list[Payload]]:
    """Family -> payloads placed by ``setkit.cases``."""
    return {
        "uploads": _uploads(rng),
        "base64-tokens": _token_payloads(rng),
        "xml-entities": _xml_entities(rng),
    }


def header_token_cases(rng: random.Random) -> list[dict[str, Any]]:
    """Base64 tokens in custom headers: whole HTTP cases (``setkit`` has no free header placement)."""
    return [
        {
            "id": f"own-benign/base64-tokens/header/{i}",
            "set": "own-benign",
            "category": "base64-tokens",
            "family": "base64-tokens",
            "param": "q",
            "expect": "allow",
            **case,
        }
        for i, case in enumerate(_token_requests(rng))
    ]
