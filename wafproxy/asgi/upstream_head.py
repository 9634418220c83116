"""The common upstream response read whole from one read: no llhttp callback per header.

httptools hands a response to Python one callback at a time (message begin, each header, headers
complete, body, message complete: nine for nginx's five headers), ~1,000 machine instructions each
before their own work, and the server then lowers, filters and joins the same headers again for
the client (issue 11: ~25 k of the ~117 k instructions of a compiled served GET). Most responses
are one of a few heads repeated: the same status, the same fields, only ``Date`` changing each
second. ``read_whole`` takes such a response from the read that holds all of it with one
``find`` for the head's end and one dict lookup of the head's bytes (``_MEMO``); a head not seen
before is parsed here once, strictly, and remembered.

Only a subset of what llhttp accepts, read as llhttp reads it (``tests/asgi/test_upstream_head``
holds the two to it, byte for byte): ``HTTP/1.1``, a status 200-599 other than 204 and 304, header
lines ``token ":" OWS value`` of visible ASCII, SP and HTAB (no trailing whitespace, no obs-fold),
exactly one ``Content-Length`` of digits, no ``Transfer-Encoding``, ``Upgrade`` or
``Proxy-Connection``, at most one ``Connection`` of exactly ``keep-alive`` or ``close``, and the
body exactly ``Content-Length`` bytes with nothing after it, all in this read. Anything else (a
HEAD's response, an interim 1xx, a chunked or close-framed body, a body still arriving, a second
response behind the first, any byte llhttp might read differently) returns None and goes to
llhttp as before, with llhttp's refusals: this module never accepts what llhttp would refuse.
"""

from __future__ import annotations

from typing import Final

#: Distinct heads remembered (cleared when full): a few per upstream resource and second.
MEMO_MAX: Final = 512
#: A response head larger than this is llhttp's to bound (``upstream_conn.MAX_HEAD_BYTES``).
HEAD_MAX: Final = 8 * 1024
#: A body larger than this is llhttp's (and the pool's flow control: ``upstream_conn.HIGH_WATER``).
BODY_MAX: Final = 64 * 1024

_TCHAR: Final = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_FIELD_CHARS: Final = bytes(range(0x20, 0x7F)) + b"\t"
_DECLINED: Final = frozenset({b"transfer-encoding", b"upgrade", b"proxy-connection"})


class ResponseHead:
    """A response head ``read_whole`` took: what llhttp's callbacks would have recorded.

    ``relay`` is the head as the proxy server writes it to its client (``server.respond``), built
    by the server the first time it relays this head and kept here with it: one join per distinct
    head, not per response."""

    __slots__ = ("status", "headers", "length", "keep_alive", "relay")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], length: int,
                 keep_alive: bool) -> None:
        self.status = status
        self.headers = headers  # names as sent; shared by every response of this head: copy to change
        self.length = length
        self.keep_alive = keep_alive
        self.relay: bytes | None = None


class _Run:
    """Responses not taken from the memo (new, declined, not looked at) since one was."""

    unseen = 0


# ``Final``: compiled, a static, not a lookup in the module's dict per response.
_MEMO: Final[dict[bytes, ResponseHead]] = {}
_LINES: Final[dict[bytes, tuple[bytes, bytes, bytes]]] = {}  # field lines read -> (name, lowered, value)
_RUN: Final = _Run()
_RETRY: Final = 64


def read_whole(data: bytes) -> ResponseHead | None:
    """The head of the response ``data`` holds whole (its body: ``data[len(data) - length:]``), or
    None: not all here, or not one this module reads (llhttp then parses ``data`` as before)."""
    # Heads seen before come back (the same few, ``Date`` aside); a run of new ones (a request id in
    # every response) does not, nor do responses this module declines (chunked, larger than a
    # read): after ``_RETRY`` responses in a row not taken from the memo, only one in ``_RETRY`` is
    # looked at (to find out whether heads come back) and llhttp reads the others without a look,
    # so such an upstream pays about nothing here, not a lookup and a parse per response.
    run = _RUN
    if run.unseen >= _RETRY and (run.unseen + 1) % _RETRY:
        run.unseen += 1
        return None
    end = data.find(b"\r\n\r\n")
    if end < 0 or end > HEAD_MAX:
        return None
    head = data[:end]
    parsed = _MEMO.get(head)
    new = parsed is None
    if parsed is None:
        parsed = parse_head(head)
        if parsed is None:
            run.unseen += 1
            return None
        if len(_MEMO) >= MEMO_MAX:
            _MEMO.clear()
        _MEMO[head] = parsed
    if len(data) - end - 4 != parsed.length:
        run.unseen += 1
        return None  # more to come, or bytes after the body: llhttp's (an extra response is refused)
    run.unseen = run.unseen + 1 if new else 0  # a new head taken is still one the memo did not know
    return parsed


def parse_head(head: bytes) -> ResponseHead | None:
    """``head`` (status line and fields, no blank line) when it is one ``read_whole`` takes.

    Its lines are read through a memo too (``_LINES``): a head never seen before is mostly lines
    seen before (only a request id, a cookie or ``Date`` differs), so it costs a lookup per line
    and a parse of the new ones, about what llhttp's callbacks cost, not a strict parse of every
    line."""
    lines = head.split(b"\r\n")
    status = _status(lines[0])
    if status == 0:
        return None
    headers: list[tuple[bytes, bytes]] = []
    length = -1
    keep_alive = True
    connection = False
    for line in lines[1:]:
        field = _LINES.get(line)
        if field is None:
            field = _field(line)
            if field is None:
                return None
            if len(_LINES) >= MEMO_MAX:
                _LINES.clear()
            _LINES[line] = field
        name, lname, value = field
        if lname == b"content-length":
            if length >= 0 or not value.isdigit() or len(value) > 15:
                return None  # a second length, or one llhttp may read otherwise
            length = int(value)
        elif lname == b"connection":
            option = value.lower()
            if connection or (option != b"keep-alive" and option != b"close"):
                return None
            connection = True
            keep_alive = option == b"keep-alive"
        elif lname in _DECLINED:
            return None
        headers.append((name, value))
    if length < 0 or length > BODY_MAX:
        return None
    return ResponseHead(status, headers, length, keep_alive)


def _status(line: bytes) -> int:
    """The status of ``HTTP/1.1 NNN reason`` with a status that has a body (not 1xx, 204, 304)
    and a reason of visible ASCII, SP and HTAB; 0 for any other line."""
    code = line[9:12]
    if line[:9] != b"HTTP/1.1 " or len(code) != 3 or not code.isdigit() or line[12:13] != b" ":
        return 0
    status = int(code)
    if status < 200 or status > 599 or status == 204 or status == 304 or not _field_text(line[13:]):
        return 0
    return status


def _field(line: bytes) -> tuple[bytes, bytes, bytes] | None:
    """(name as sent, lower-cased name, value) of a field line ``token ":" OWS value`` whose value
    is visible ASCII, SP and HTAB with no trailing whitespace; None for any other line."""
    name, colon, value = line.partition(b":")
    if not colon or not name or name.translate(None, _TCHAR):
        return None  # no colon, an empty name, a non-token byte (a space before the colon, ...)
    value = value.lstrip(b" \t")
    if value[-1:] in (b" ", b"\t") or not _field_text(value):
        return None  # trailing whitespace, obs-text or a control byte (a bare CR or LF among them)
    return name, name.lower(), value


def _field_text(text: bytes) -> bool:
    """Visible ASCII, SP and HTAB only."""
    return text.isascii() and not text.translate(None, _FIELD_CHARS)
