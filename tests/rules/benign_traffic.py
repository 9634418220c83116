"""The broad benign generator (issue 15): realistic browser and API traffic, ≥ 10,000 requests,
none of which the default web ACL may block (``test_benign_traffic.py``).

Content (``benign_texts.py``, plus the prose, code, Markdown and non-English texts of
``benign_sets.py``) is put in every placement a client uses: query arguments among other
arguments, path segments, custom headers, cookies, urlencoded forms, multipart fields and file
uploads (text, CSV, JSON and binary images, PDFs, archives), JSON documents at depth (escaped and
raw UTF-8), GraphQL, JSON Patch, and XML API bodies (SOAP 1.1/1.2, RSS, Atom, WebDAV PROPFIND /
PROPPATCH / LOCK / REPORT, SAML, XML-RPC, sitemaps, GPX). Deterministic: ``random.Random(1015)``.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any
from urllib.parse import quote, urlencode

from tests.rules import benign_requests as br
from tests.rules.benign_sets import _XML_TEMPLATES, I18N, MARKDOWN, PROSE, SNIPPETS, _search_queries
from tests.rules.benign_texts import texts
from tests.rules.setkit import VALUE_PLACEMENTS, cases

SEED = 1015
SET = "own-benign-traffic"

_CALDAV_REPORT = """<?xml version="1.0" encoding="utf-8" ?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="20261201T000000Z" end="20261231T000000Z"/>
    <C:prop-filter name="SUMMARY"><C:text-match collation="i;unicode-casemap">{value}</C:text-match></C:prop-filter>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
_GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="{title}" xmlns="http://www.topografix.com/GPX/1/1"><metadata><name>{value}</name></metadata>
<trk><name>{title} {n}</name><trkseg><trkpt lat="47.{n}" lon="8.{d}"><ele>412.{d}</ele><time>2026-12-0{d}T08:00:00Z</time></trkpt></trkseg></trk></gpx>"""
_XML = (*_XML_TEMPLATES, (_CALDAV_REPORT, "application/xml; charset=utf-8", "REPORT"), (_GPX, "application/gpx+xml", "PUT"))


def _case(family: str, i: int, shape: str, req: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"{SET}/{family}/{i}", "set": SET, "category": family, "family": family, "param": "q", "expect": "allow", "shape": shape, "placement": "HTTP", "request": req}


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _pool(rng: random.Random) -> list[str]:
    """Every text the generator places (own families first, then the older benign sets')."""
    own = [t for family in texts(rng).values() for t in family]
    return own + list(PROSE + SNIPPETS + MARKDOWN + I18N) + _search_queries(rng)


def _deep(rng: random.Random, value: str, depth: int) -> Any:
    """``value`` nested ``depth`` levels deep among ordinary members."""
    node: Any = value
    for level in range(depth):
        if level % 2:
            node = [rng.randrange(100), node, {"ok": True}]
        else:
            node = {"id": rng.randrange(10**6), rng.choice(("note", "comment", "text", "body", "description", "title")): node, "meta": {"source": "web", "tags": ["a", "b"]}}
    return node


def _browser(rng: random.Random, pool: list[str], n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        value = rng.choice(pool)
        path = br.fill_path(rng.choice(br.PATH_TEMPLATES), rng)
        uri = path + "?" + br.query_string(rng, value) if i % 3 else path
        ref = f"https://{rng.choice(br.HOSTS)}/search?{urlencode({'q': rng.choice(pool)[:80], 'page': i % 7}, quote_via=quote)}"
        out.append(_case("browser", i, "URLParam" if i % 3 else "URLPath", br.request("GET", uri, br.browser_headers(rng, ref))))
    return out


def _api(rng: random.Random, pool: list[str], n: int) -> list[dict[str, Any]]:
    """JSON API calls: GETs with filters, JSON bodies at depth, JSON Patch, GraphQL, and a text in a custom header."""
    out = []
    for i in range(n):
        value = rng.choice(pool)
        headers = br.api_headers(rng)
        kind = i % 5
        if kind == 0:
            uri = f"/api/v2/{rng.choice(('orders', 'tickets', 'products'))}?{br.query_string(rng, value)}"
            out.append(_case("api", i, "URLParam", br.request("GET", uri, headers)))
            continue
        if kind == 1:
            doc: Any = _deep(rng, value, rng.randrange(1, 7))
        elif kind == 2:
            doc = [{"op": "replace", "path": f"/items/{rng.randrange(9)}/note", "value": value}, {"op": "add", "path": "/tags/-", "value": "x"}]
        elif kind == 3:
            doc = {"query": "query Search($q: String!, $first: Int) { search(query: $q, first: $first) { edges { node { id title } } } }", "variables": {"q": value, "first": 20}, "operationName": "Search"}
        else:
            doc = {"ok": True}
            headers.append([rng.choice(("X-Comment", "X-Search-Query", "X-Display-Name", "X-Note")), br_header_safe(value)])
        text = json.dumps(doc, ensure_ascii=bool(i % 2))
        method = rng.choice(("POST", "PUT", "PATCH")) if kind != 2 else "PATCH"
        ctype = "application/json-patch+json" if kind == 2 else "application/json; charset=utf-8"
        out.append(_case("api", i, "JSONRequest", br.request(method, f"/api/v2/items/{rng.randrange(10**5)}", [*headers, ["Content-Type", ctype]], text)))
    return out


def br_header_safe(value: str) -> str:
    """A header carries one line of Latin-1: longer or non-ASCII text is percent-encoded by the client."""
    return value if value.isascii() and "\n" not in value and "\r" not in value else quote(value, safe=" ,.;:/?=&()!'")


def _forms(rng: random.Random, pool: list[str], n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        fields = [("name", rng.choice(("Ann Lee", "Zoë O'Connor", "佐藤 花子", "Иван Петров"))), ("email", f"user{i}+shop@example.com"), ("message", rng.choice(pool)), ("csrf", f"{rng.getrandbits(128):032x}")]
        if i % 2:
            fields.append(("subject", rng.choice(pool)[:60]))
        body = urlencode(rng.sample(fields, len(fields)), quote_via=quote if i % 2 else lambda s, *a: quote(s, safe="").replace("%20", "+"))
        hdrs = [*br.browser_headers(rng, f"https://{br.HOSTS[0]}/contact"), ["Content-Type", "application/x-www-form-urlencoded"]]
        out.append(_case("form", i, "HTMLForm", br.request("POST", rng.choice(("/contact", "/support/ticket", "/comments", "/checkout/address")), hdrs, body)))
    return out


def _uploads(rng: random.Random, pool: list[str], n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        boundary = rng.choice(("----WebKitFormBoundary", "---------------------------", "----formdata-undici-0")) + f"{rng.getrandbits(64):016x}"
        fields = [("title", rng.choice(pool)[:100]), ("description", rng.choice(pool))]
        files = []
        if i % 3 == 0:
            name, media, make = rng.choice(br.BINARY_FILES)
            files.append(("file", name, media, make(rng)))
        elif i % 3 == 1:
            rows = "\r\n".join(f'{k},"{rng.choice(pool)[:40].replace(chr(34), chr(39))}",{rng.randrange(100)}.99' for k in range(5))
            files.append(("import", rng.choice(("orders.csv", "Kunden (Export).csv")), "text/csv", ("id,note,price\r\n" + rows).encode()))
        else:
            doc = {"version": 2, "entries": [_deep(rng, rng.choice(pool), 2) for _ in range(3)]}
            name, media = rng.choice((("settings.json", "application/json"), ("notes.txt", "text/plain; charset=utf-8"), ("README.md", "text/markdown")))
            files.append(("attachment", name, media, (json.dumps(doc, ensure_ascii=False) if "json" in media else rng.choice(pool)).encode()))
        body = br.multipart(fields, files, boundary)
        hdrs = [*br.browser_headers(rng, f"https://{br.HOSTS[0]}/upload"), ["Content-Type", f"multipart/form-data; boundary={boundary}"]]
        out.append(_case("upload", i, "HTMLMultipartForm", br.request("POST", "/upload", hdrs, body_b64=base64.b64encode(body).decode())))
    return out


def _xml(rng: random.Random, pool: list[str], n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        template, ctype, method = _XML[i % len(_XML)]
        text = template.format(
            ns=rng.choice(("shop", "crm", "billing")), op=rng.choice(("FindOrder", "UpdateNote", "Search")),
            field=rng.choice(("Note", "Query", "Comment")), value=_xml_escape(rng.choice(pool)), n=100 + i,
            d=1 + i % 9, host=rng.choice(br.HOSTS), title=rng.choice(("News", "Ops", "Trail")),
            token=f"{rng.getrandbits(64):016x}", digest=base64.b64encode(rng.randbytes(32)).decode(),
        )
        hdrs = [["User-Agent", rng.choice(br.USER_AGENTS[5:])], ["Content-Type", ctype]]
        if "soap" in text[:200].lower():
            hdrs.append(["SOAPAction", '"urn:example#call"'])
        if method in ("PROPFIND", "REPORT"):
            hdrs.append(["Depth", rng.choice(("0", "1"))])
        out.append(_case("xml", i, "Body", br.request(method, f"/dav/{rng.choice(('calendars', 'files', 'soap'))}/{i}/", hdrs, text)))
    return out


def _cookies(rng: random.Random, pool: list[str], n: int) -> list[dict[str, Any]]:
    """A cookie jar with one user-chosen value among the usual ones (saved search, display name)."""
    out = []
    for i in range(n):
        jar = br.cookie_jar(rng) + f"; {rng.choice(('last_search', 'display_name', 'draft'))}={quote(rng.choice(pool)[:300], safe='')}"
        hdrs = [*br.browser_headers(rng, f"https://{br.HOSTS[1]}/")[:4], ["Cookie", jar]]
        out.append(_case("cookie", i, "Cookie", br.request("GET", br.fill_path(rng.choice(br.PATH_TEMPLATES), rng), hdrs)))
    return out


def traffic_cases() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    pool = _pool(rng)
    out: list[dict[str, Any]] = []
    for family, values in texts(rng).items():
        out += cases(SET, family, tuple(values), "allow", (*VALUE_PLACEMENTS, "URLPath"))
    out += _browser(rng, pool, 2000)
    out += _api(rng, pool, 2000)
    out += _forms(rng, pool, 1200)
    out += _uploads(rng, pool, 1000)
    out += _xml(rng, pool, 900)
    out += _cookies(rng, pool, 800)
    return out
