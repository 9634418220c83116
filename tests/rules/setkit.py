"""Turn payload lists into cases of the shared corpus format (``../shared/corpus/README.md``).

The sets of ``attack_sets.py`` and ``benign_sets.py`` are written as payloads; this module puts
each one where a client would (query argument, form and multipart fields, a JSON string value, a
custom header, a cookie, a path segment), so the same cases run in-process
(``tests/rules/corpuskit.run``) and end-to-end through ``waf_eval.py`` against ``wafproxy serve``
(``load_tests/eval_sets.py`` writes them as JSONL).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

# Where a value is placed (waf_eval placement names; COOKIE is a RawRequest with a Cookie header).
VALUE_PLACEMENTS = ("URLParam", "HTMLForm", "HTMLMultipartForm", "JSONRequest", "Header", "Cookie")


@dataclass(frozen=True, slots=True)
class Raw:
    """A whole parameter string (``user[$ne]=x&pass[$ne]=y``): sent as a query string and as a form body."""

    text: str


@dataclass(frozen=True, slots=True)
class Body:
    """A whole request body of a media type (JSON, XML, SOAP, a WebDAV method with XML)."""

    text: str
    content_type: str = "application/json"
    method: str = "POST"


@dataclass(frozen=True, slots=True)
class Path:
    """A request path as sent (already percent-encoded where the client would encode it)."""

    text: str


Payload = str | Raw | Body | Path


def _header_safe(value: str) -> str:
    """Header values cannot carry CR/LF or (portably) non-ASCII: those are percent-encoded, as an
    app reading a header value would then URL-decode."""
    if value.isascii() and not any(ch in value for ch in "\r\n\0"):
        return value
    return quote(value, safe=" !\"#$&'()*+,/:;<=>?@[\\]^`{|}~")


def _http(method: str, uri: str, headers: list[list[str]], body: str = "") -> dict[str, Any]:
    base = [["Host", "localhost"], ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"], *headers]
    return {"method": method, "uri": uri, "version": "HTTP/1.1", "headers": base, "body": body}


def place(
    payload: Payload, placements: tuple[str, ...] = VALUE_PLACEMENTS
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(placement label, corpus-case fields) for each way ``payload`` is sent."""
    if isinstance(payload, Raw):
        yield "RawQuery", {"placement": "HTTP", "request": _http("GET", "/search?" + payload.text, [])}
        form = [["Content-Type", "application/x-www-form-urlencoded"]]
        yield "RawForm", {"placement": "HTTP", "request": _http("POST", "/login", form, payload.text)}
        return
    if isinstance(payload, Body):
        hdrs = [["Content-Type", payload.content_type]]
        yield (
            "Body",
            {"placement": "HTTP", "request": _http(payload.method, "/api/items", hdrs, payload.text)},
        )
        return
    if isinstance(payload, Path):
        yield "URLPath", {"placement": "HTTP", "request": _http("GET", payload.text, [])}
        return
    enc = quote(payload, safe="")
    for pl in placements:
        if pl in ("URLParam", "HTMLForm"):
            yield pl, {"placement": pl, "payload": enc}
        elif pl == "URLPath":
            yield pl, {"placement": pl, "payload": quote(payload, safe="/")}
        elif pl == "Header":
            yield pl, {"placement": pl, "payload": _header_safe(payload)}
        elif pl == "Cookie":
            raw = {"method": "GET", "path": "/", "headers": {"Cookie": "session=0f3c; pref={{payload}}"}}
            yield pl, {"placement": "RawRequest", "raw": raw, "payload": enc}
        else:  # HTMLMultipartForm, JSONRequest: the value as typed (waf_eval escapes for JSON)
            yield pl, {"placement": pl, "payload": payload}


def cases(
    set_name: str,
    family: str,
    payloads: tuple[Payload, ...],
    expect: str,
    placements: tuple[str, ...] = VALUE_PLACEMENTS,
    part: str = "",
) -> list[dict[str, Any]]:
    """``part`` keeps ids unique when one family is built from several payload lists."""
    out = []
    key = f"{family}-{part}" if part else family
    for i, payload in enumerate(payloads):
        for label, fields in place(payload, placements):
            out.append(
                {
                    "id": f"{set_name}/{key}/{i}/{label}",
                    "set": set_name,
                    "category": family,
                    "family": family,
                    "param": "q",
                    "expect": expect,
                    "shape": label,
                    **fields,
                }
            )
    return out


def write_jsonl(path: str, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
