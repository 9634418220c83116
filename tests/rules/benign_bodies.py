"""Whole benign request bodies for ``benign_traffic.py``: file uploads (text, CSV, JSON and
binary images, PDFs, archives, some filling the inspected first window) and XML API bodies (the
templates of ``benign_sets.py`` plus CalDAV REPORT and GPX), with the case record they all share.
"""

# ruff: noqa: E501  -- XML templates are data, one line each as sent.
from __future__ import annotations

import base64
import json
import random
from typing import Any

from tests.rules import benign_requests as br
from tests.rules.benign_sets import _XML_TEMPLATES

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
_XML = (
    *_XML_TEMPLATES,
    (_CALDAV_REPORT, "application/xml; charset=utf-8", "REPORT"),
    (_GPX, "application/gpx+xml", "PUT"),
)


def case(family: str, i: int, shape: str, req: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{SET}/{family}/{i}",
        "set": SET,
        "category": family,
        "family": family,
        "param": "q",
        "expect": "allow",
        "shape": shape,
        "placement": "HTTP",
        "request": req,
    }


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def deep(rng: random.Random, value: str, depth: int) -> Any:
    """``value`` nested ``depth`` levels deep among ordinary members."""
    node: Any = value
    for level in range(depth):
        if level % 2:
            node = [rng.randrange(100), node, {"ok": True}]
        else:
            node = {
                "id": rng.randrange(10**6),
                rng.choice(("note", "comment", "text", "body", "description", "title")): node,
                "meta": {"source": "web", "tags": ["a", "b"]},
            }
    return node


def one_line(pool: list[str]) -> list[str]:
    return [t for t in pool if "\n" not in t]


def uploads(rng: random.Random, pool: list[str], n: int) -> list[dict[str, Any]]:
    out, lines = [], one_line(pool)
    # Not yet: "&&" inside a text file part (the SQLi detector splits multipart text on "&" as it
    # splits forms), see docs/managed-rules.md.
    in_files = [t for t in lines if "&&" not in t]
    for i in range(n):
        boundary = (
            rng.choice(("----WebKitFormBoundary", "---------------------------", "----formdata-undici-0"))
            + f"{rng.getrandbits(64):016x}"
        )
        short = [t for t in lines if len(t) <= 100]  # a title field: one short line, as typed
        fields = [("title", rng.choice(short)), ("description", rng.choice(pool))]
        files = []
        if i % 3 == 0:
            name, media, make = rng.choice(br.BINARY_FILES)
            data = make(rng)  # a photo fills the inspected first window: some are 4-16 KB
            data = data[:64] + rng.randbytes(rng.choice((0, 0, 4000, 15000))) + data[64:]
            files.append(("file", name, media, data))
        elif i % 3 == 1:
            cells = [rng.choice(in_files).replace('"', '""') for _ in range(5)]  # CSV doubles a quote
            rows = "\r\n".join(f'{k},"{cell}",{rng.randrange(100)}.99' for k, cell in enumerate(cells))
            files.append(
                (
                    "import",
                    rng.choice(("orders.csv", "Kunden (Export).csv")),
                    "text/csv",
                    ("id,note,price\r\n" + rows).encode(),
                )
            )
        else:
            doc = {"version": 2, "entries": [deep(rng, rng.choice(in_files), 2) for _ in range(3)]}
            name, media = rng.choice(
                (
                    ("settings.json", "application/json"),
                    ("notes.txt", "text/plain; charset=utf-8"),
                    ("README.md", "text/markdown"),
                )
            )
            files.append(
                (
                    "attachment",
                    name,
                    media,
                    (json.dumps(doc, ensure_ascii=False) if "json" in media else rng.choice(pool)).encode(),
                )
            )
        body = br.multipart(fields, files, boundary)
        hdrs = [
            *br.browser_headers(rng, f"https://{br.HOSTS[0]}/upload"),
            ["Content-Type", f"multipart/form-data; boundary={boundary}"],
        ]
        out.append(
            case(
                "upload",
                i,
                "HTMLMultipartForm",
                br.request("POST", "/upload", hdrs, body_b64=base64.b64encode(body).decode()),
            )
        )
    return out


def xml_bodies(rng: random.Random, pool: list[str], n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        template, ctype, method = _XML[i % len(_XML)]
        text = template.format(
            ns=rng.choice(("shop", "crm", "billing")),
            op=rng.choice(("FindOrder", "UpdateNote", "Search")),
            field=rng.choice(("Note", "Query", "Comment")),
            value=_xml_escape(rng.choice(pool)),
            n=100 + i,
            d=1 + i % 9,
            host=rng.choice(br.HOSTS),
            title=rng.choice(("News", "Ops", "Trail")),
            token=f"{rng.getrandbits(64):016x}",
            digest=base64.b64encode(rng.randbytes(32)).decode(),
        )
        hdrs = [["User-Agent", rng.choice(br.USER_AGENTS[5:])], ["Content-Type", ctype]]
        if "soap" in text[:200].lower():
            hdrs.append(["SOAPAction", '"urn:example#call"'])
        if method in ("PROPFIND", "REPORT"):
            hdrs.append(["Depth", rng.choice(("0", "1"))])
        out.append(
            case(
                "xml",
                i,
                "Body",
                br.request(method, f"/dav/{rng.choice(('calendars', 'files', 'soap'))}/{i}/", hdrs, text),
            )
        )
    return out
