"""``multipart/form-data`` bodies (RFC 7578 / RFC 2046 §5.1): parts with name, filename, type, value.

Lenient where real clients are sloppy (a bare LF instead of CRLF, a missing close delimiter when
the body was cut at the inspection limit — that last part is returned with ``complete=False``),
strict in what it counts: at most ``max_parts`` parts and ``_MAX_HEADERS`` header lines per part.
Scanning uses ``bytes.find`` only: linear in the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from wafproxy.engine.transforms import from_bytes, to_bytes

_MAX_HEADERS = 64
MAX_PART_HEADERS = _MAX_HEADERS  # header lines read per part; ``Part.head_lines`` says how many there were
MAX_PARTS = 1000
# RFC 2046: 1-70 characters; a quoted boundary may hold anything but a quote.
_BOUNDARY = re.compile(r'(?:^|;)\s*boundary\s*=\s*(?:"([^"\r\n]{1,70})"|([^\s;",]{1,70}))', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Part:
    """One part. ``value`` is the part's content (bytes -> str by the package rule)."""

    name: str | None
    filename: str | None
    content_type: str | None
    value: str
    headers: tuple[tuple[str, str], ...] = ()
    complete: bool = True  # False: the body ended (inspection limit) before this part's delimiter
    head_bytes: int = 0  # the part's header block, in bytes (the edge's part-header bound)
    head_lines: int = 0  # its header lines, all of them (only the first ``MAX_PART_HEADERS`` are read)


def multipart_boundary(content_type: str) -> str | None:
    """``'multipart/form-data; boundary="ab c"'`` -> ``"ab c"``; not multipart or none -> None."""
    media, _, params = content_type.partition(";")
    if not media.strip().lower().startswith("multipart/"):
        return None
    match = _BOUNDARY.search(";" + params)
    if match is None:
        return None
    return match.group(1) if match.group(1) is not None else match.group(2)


def _params(value: str) -> tuple[str, dict[str, str]]:
    """``'form-data; name="a;b"; filename=x'`` -> ``("form-data", {"name": "a;b", "filename": "x"})``."""
    out: dict[str, str] = {}
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    for item in items[1:]:
        key, sep, val = item.partition("=")
        if sep:
            out.setdefault(key.strip().lower(), val.strip())
    return items[0].strip().lower(), out


def _part(raw: bytes, complete: bool) -> Part:
    head_end, sep_len = raw.find(b"\r\n\r\n"), 4
    lf_end = raw.find(b"\n\n")
    if lf_end >= 0 and (head_end < 0 or lf_end < head_end):
        head_end, sep_len = lf_end, 2
    if raw.startswith(b"\r\n") or raw.startswith(b"\n"):  # no headers at all
        head_end, sep_len = 0, 2 if raw.startswith(b"\r\n") else 1
    head, content = (raw, b"") if head_end < 0 else (raw[:head_end], raw[head_end + sep_len :])
    headers: list[tuple[str, str]] = []
    lines = head.count(b"\n") + 1 if head else 0
    for line in head.split(b"\n", _MAX_HEADERS)[:_MAX_HEADERS]:
        header, sep, value = from_bytes(line.rstrip(b"\r")).partition(":")
        if sep:
            headers.append((header.strip(), value.strip()))
    name: str | None = None
    filename: str | None = None
    content_type: str | None = None
    for key, value in headers:
        lowered = key.lower()
        if lowered == "content-disposition" and name is None:
            _, params = _params(value)
            name = params.get("name")
            filename = params.get("filename")
            if "filename*" in params:  # RFC 5987: charset'lang'percent-encoded
                filename = unquote(params["filename*"].split("'", 2)[-1], errors="surrogateescape")
        elif lowered == "content-type" and content_type is None:
            content_type = value
    return Part(name, filename, content_type, from_bytes(content), tuple(headers), complete, len(head), lines)


def parse_multipart(body: bytes, boundary: str, *, max_parts: int = MAX_PARTS) -> list[Part]:
    """Parts of ``body`` delimited by ``--boundary``, in order; the preamble and epilogue are ignored.

    ``parse_multipart(b'--b\\r\\nContent-Disposition: form-data; name="a"\\r\\n\\r\\n1\\r\\n--b--', "b")``
    -> ``[Part(name="a", filename=None, content_type=None, value="1", ...)]``.
    """
    if not boundary:
        return []
    delimiter = b"--" + to_bytes(boundary)
    parts: list[Part] = []
    start = body.find(delimiter)
    if start < 0:
        return parts
    while len(parts) < max_parts:
        after = start + len(delimiter)
        if body.startswith(b"--", after):
            break  # close delimiter
        line_end = body.find(b"\n", after)
        if line_end < 0:
            break  # delimiter line cut off: no content follows
        content_start = line_end + 1
        nxt = body.find(b"\n" + delimiter, content_start - 1)
        if nxt < 0:
            parts.append(_part(body[content_start:], complete=False))
            break
        content_end = nxt - 1 if nxt > content_start - 1 and body[nxt - 1 : nxt] == b"\r" else nxt
        parts.append(_part(body[content_start : max(content_end, content_start)], complete=True))
        start = nxt + 1
    return parts
