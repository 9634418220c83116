"""The broad benign generator (issue 15): realistic browser and API traffic, ≥ 10,000 requests,
none of which the default web ACL may block (``test_benign_traffic.py``).

Content (``benign_texts.py``, plus the prose, code, Markdown and non-English texts of
``benign_sets.py``) is put in every placement a client uses: query arguments among other
arguments, path segments, custom headers, cookies, urlencoded forms, multipart fields and file
uploads (text, CSV, JSON and binary images, PDFs, archives), JSON documents at depth (escaped and
raw UTF-8), GraphQL, JSON Patch, API query grammars (OData, SCIM, JSON:API, PostgREST:
``benign_conventions.py``), and XML API bodies (SOAP 1.1/1.2, RSS, Atom, WebDAV PROPFIND /
PROPPATCH / LOCK / REPORT, SAML, XML-RPC, sitemaps, GPX). Deterministic: ``random.Random(1015)``.
"""

# ruff: noqa: E501  -- request templates are data, one line each as sent.
from __future__ import annotations

import json
import random
from typing import Any
from urllib.parse import quote, urlencode

from tests.rules import benign_requests as br
from tests.rules.benign_bodies import SET, case, deep, one_line, uploads, xml_bodies
from tests.rules.benign_conventions import convention_cases
from tests.rules.benign_sets import I18N, MARKDOWN, PROSE, SNIPPETS, _search_queries
from tests.rules.benign_texts import texts
from tests.rules.setkit import VALUE_PLACEMENTS, _header_safe, cases

SEED = 1015


def _pool(rng: random.Random) -> list[str]:
    """Every text the generator places (own families first, then the older benign sets')."""
    own = [t for family in texts(rng).values() for t in family]
    return own + list(PROSE + SNIPPETS + MARKDOWN + I18N) + _search_queries(rng)


def _search_box(rng: random.Random, pool: list[str]) -> str:
    """What a search box sends: one short line (a text typed there, not a cut-off paragraph)."""
    return rng.choice([t for t in one_line(pool) if len(t) <= 80])


def _browser(rng: random.Random, pool: list[str], n: int) -> list[dict[str, Any]]:
    out = []
    lines = one_line(pool)
    for i in range(n):
        value = rng.choice(lines)
        path = br.fill_path(rng.choice(br.PATH_TEMPLATES), rng)
        uri = path + "?" + br.query_string(rng, value) if i % 3 else path
        ref = f"https://{rng.choice(br.HOSTS)}/search?{urlencode({'q': _search_box(rng, pool), 'page': i % 7}, quote_via=quote)}"
        out.append(
            case(
                "browser",
                i,
                "URLParam" if i % 3 else "URLPath",
                br.request("GET", uri, br.browser_headers(rng, ref)),
            )
        )
    return out


def _api(rng: random.Random, pool: list[str], n: int) -> list[dict[str, Any]]:
    """JSON API calls: GETs with filters, JSON bodies at depth, JSON Patch, GraphQL, and a text in a custom header."""
    out, lines = [], one_line(pool)
    for i in range(n):
        kind = i % 5
        value = rng.choice(lines if kind in (0, 4) else pool)
        headers = br.api_headers(rng)
        if kind == 0:
            uri = f"/api/v2/{rng.choice(('orders', 'tickets', 'products'))}?{br.query_string(rng, value)}"
            out.append(case("api", i, "URLParam", br.request("GET", uri, headers)))
            continue
        if kind == 1:
            doc: Any = deep(rng, value, rng.randrange(1, 7))
        elif kind == 2:
            doc = [
                {"op": "replace", "path": f"/items/{rng.randrange(9)}/note", "value": value},
                {"op": "add", "path": "/tags/-", "value": "x"},
            ]
        elif kind == 3:
            doc = {
                "query": "query Search($q: String!, $first: Int) { search(query: $q, first: $first) { edges { node { id title } } } }",
                "variables": {"q": value, "first": 20},
                "operationName": "Search",
            }
        else:
            doc = {"ok": True}
            headers.append(
                [
                    rng.choice(("X-Comment", "X-Search-Query", "X-Display-Name", "X-Note")),
                    _header_safe(value),
                ]
            )
        text = json.dumps(doc, ensure_ascii=bool(i % 2))
        method = rng.choice(("POST", "PUT", "PATCH")) if kind != 2 else "PATCH"
        ctype = "application/json-patch+json" if kind == 2 else "application/json; charset=utf-8"
        out.append(
            case(
                "api",
                i,
                "JSONRequest",
                br.request(
                    method, f"/api/v2/items/{rng.randrange(10**5)}", [*headers, ["Content-Type", ctype]], text
                ),
            )
        )
    return out


def _forms(rng: random.Random, pool: list[str], n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        fields = [
            ("name", rng.choice(("Ann Lee", "Zoë O'Connor", "佐藤 花子", "Иван Петров"))),
            ("email", f"user{i}+shop@example.com"),
            ("message", rng.choice(pool)),
            ("csrf", f"{rng.getrandbits(128):032x}"),
        ]
        if i % 2:
            fields.append(("subject", rng.choice([t for t in one_line(pool) if len(t) <= 60])))
        body = urlencode(
            rng.sample(fields, len(fields)),
            quote_via=quote if i % 2 else lambda s, *a: quote(s, safe="").replace("%20", "+"),
        )
        hdrs = [
            *br.browser_headers(rng, f"https://{br.HOSTS[0]}/contact"),
            ["Content-Type", "application/x-www-form-urlencoded"],
        ]
        out.append(
            case(
                "form",
                i,
                "HTMLForm",
                br.request(
                    "POST",
                    rng.choice(("/contact", "/support/ticket", "/comments", "/checkout/address")),
                    hdrs,
                    body,
                ),
            )
        )
    return out


def _cookies(rng: random.Random, pool: list[str], n: int) -> list[dict[str, Any]]:
    """A cookie jar with one user-chosen value among the usual ones (saved search, display name)."""
    out, lines = [], one_line(pool)
    for i in range(n):
        jar = (
            br.cookie_jar(rng)
            + f"; {rng.choice(('last_search', 'display_name', 'draft'))}={quote(rng.choice([t for t in lines if len(t) <= 300]), safe='')}"
        )
        hdrs = [*br.browser_headers(rng, f"https://{br.HOSTS[1]}/")[:4], ["Cookie", jar]]
        out.append(
            case(
                "cookie",
                i,
                "Cookie",
                br.request("GET", br.fill_path(rng.choice(br.PATH_TEMPLATES), rng), hdrs),
            )
        )
    return out


def traffic_cases() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    pool = _pool(rng)
    out: list[dict[str, Any]] = []
    for family, values in texts(rng).items():
        # A line break is typed in a text area (form, multipart, JSON); a header, a cookie or a
        # search box holds one line, and only a short one ends up in a path segment.
        lines = tuple(v for v in values if "\n" not in v)
        out += cases(SET, family, lines, "allow", VALUE_PLACEMENTS)
        out += cases(SET, family, tuple(v for v in lines if len(v) <= 80), "allow", ("URLPath",), part="path")
        blocks = tuple(v for v in values if "\n" in v)
        out += cases(
            SET, family, blocks, "allow", ("HTMLForm", "HTMLMultipartForm", "JSONRequest"), part="text-area"
        )
    out += _browser(rng, pool, 2200)
    out += _api(rng, pool, 2000)
    out += _forms(rng, pool, 1200)
    out += uploads(rng, pool, 1000)
    out += xml_bodies(rng, pool, 900)
    out += _cookies(rng, pool, 800)
    out += convention_cases()
    return out
