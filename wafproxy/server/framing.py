"""What makes a request's framing unambiguous, checked once its head is parsed.

llhttp (httptools) already refuses most smuggling shapes: CL+TE together, duplicate or non-digit
Content-Length, ``Transfer-Encoding`` values it cannot read, bad chunk sizes, obs-fold, bare LF,
control bytes in header names and values. What it lets through and we refuse here, as nginx does:

- ``Transfer-Encoding`` other than exactly ``chunked``, or present twice: 400 when ``chunked`` is
  not the one final coding (the length cannot be determined, RFC 9112 §6.3), 501 when it is but
  other codings precede it (``gzip, chunked``: we would have to decode it to inspect it, §6.1;
  nginx answers 501 to any value but ``chunked``) (``coding_error``);
- ``Transfer-Encoding`` in an HTTP/1.0 request (RFC 9112 §6.1: "faulty framing");
- HTTP/0.9 (no headers: nothing to inspect) and HTTP versions above 1.x (505);
- a missing ``Host`` in HTTP/1.1, more than one, or one that is not ``uri-host [":" port]``
  (RFC 9112 §3.2: 400): a space, ``@`` (userinfo), a comma (a folded list), a path byte, a byte
  above 0x7F (an IDN is sent as punycode), a port that is not digits. nginx lets some of these
  through to ``$host``; they are how Host-routing and cache-poisoning probes reach an upstream;
- a ``Connection`` field naming ``Content-Length``, ``Transfer-Encoding`` or ``Host``: a hop-by-hop
  list would make us drop the very field that frames or routes the request (RFC 9110 §7.6.1);
- an ``Upgrade`` request that frames a body (``upgrade_with_body``): where its body ends and the
  new protocol begins is for llhttp and the upstream to disagree on;
- a field name that is a framing field spelled with ``_`` (``Transfer_Encoding``): CGI/WSGI-style
  upstreams fold ``_`` and ``-`` together and would read a second framing (nginx drops such names).

The request target (``origin_form``): an absolute-form target (``http://host/path``, RFC 9112
§3.2.2) is forwarded in origin form, and refused when its authority is not the Host the WAF
inspects (nginx routes on the target's authority; we refuse the ambiguity instead), the scheme's
default port written or not (``http://x:80/`` with ``Host: x``). Authority-form is CONNECT's
(refused as a tunnel by the handler, 405); asterisk-form (``OPTIONS *``) is refused as nginx
does, since we forward origin-form only; any other target that is not origin-form is refused
here, with the connection closed, as every framing doubt is.

What llhttp refuses that RFC 9112 or nginx would take, deliberately left refused (400): BWS
before a chunk extension (``5 ;a=1``), ``Content-Length`` / ``Transfer-Encoding`` in trailers,
trailing whitespace after ``chunked``, ``HTTP/1.10`` (400); ``HTTP/2.0`` and above are 505
(``unusual.refused_status`` where llhttp refuses the line itself).
Taken as nginx takes them: ``Content-Length: 05`` (1*DIGIT: 5), extra spaces between method and
target, long chunk extensions and chunk sizes with many leading zeros (llhttp streams them
without buffering; a client that sends only those is cut by the body timeout, 408). Trailers are
parsed and never forwarded: the upstream gets the body re-framed by us.

Strict is not fussy: raw UTF-8 bytes in the request target (``/wiki/Zürich``, as some clients
send it) are accepted, as nginx does. llhttp refuses any byte above 0x7F in a URL, so the request
line is *masked* before it is fed (each such byte replaced by ``MASK``) and the target is taken
back from the original line (``RequestLine``). Only a request line at the start of a received
chunk, or continuing one, can be masked; one pipelined behind complete requests in the same chunk
is found where llhttp began it and read as a chunk of its own (``unusual.pipelined_rest``), and
so is one behind a Content-Length body that began in an earlier chunk (``unusual.behind_body``);
one that starts in a chunk which began inside the previous request's head or chunked body is
left to llhttp, which refuses it (400: safe, and rare).

Any method token is a method (RFC 9110 §9.1): ``FOO``, ``TRACK``, ``|GET`` are well-framed requests
the WAF decides on (the managed protocol group refuses methods outside the registry with its 403
and a log record), as nginx passes them to its modules. llhttp knows a fixed list and refuses
the rest, so a request line that starts with another token (tchar only, at most ``MAX_METHOD``
bytes, then a space) is fed with ``STAND_IN`` in its place (``stand_in_method``) and the method
as sent goes to the exchange. The stand-in frames exactly as the method would: llhttp frames every
request body by Content-Length / Transfer-Encoding whatever the method, except CONNECT's, which is
never replaced. A request line that is not ``token SP target SP version`` still fails in llhttp
(400), and, as for masking, only a request line that starts a chunk (or is found as above) is
replaced.

A request line that arrives in pieces (a client writing byte by byte) is held until its LF
(``partial_line``) and then fed whole, so the method stand-in, the masking and the space escaping
below see all of it whatever the segmentation. Only a line that starts like one (a tchar) is held:
a TLS hello or other garbage on the port is refused at once.

Spaces inside a request target (``GET /a b HTTP/1.1``, as broken clients and attack tools send
it) are read as nginx reads them: the target runs from the spaces after the method to the spaces
before ``HTTP/1.x`` (both runs separators), and its inner spaces become ``%20`` (``escape_spaces``)
before llhttp parses the line,
so the WAF inspects the whole target and the upstream receives it escaped, never a request line
it could split differently. On the same pass a minor version above 1 (``HTTP/1.2`` to ``1.9``)
becomes 1 (RFC 9110 §2.5: read as the highest minor version known, as nginx does; llhttp refuses
it). A line that does not then end in `` HTTP/1.0`` / `` HTTP/1.1`` is left to llhttp (400).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

MASK = 0x78  # "x": valid in a path, so llhttp parses the masked line like the original
_HIGH: Final = bytes(range(0x80, 0x100))
_MASK_TABLE: Final = bytes(range(0x80)) + bytes([MASK]) * 0x80


def mask_line(data: bytes) -> tuple[bytes, bytes, bool]:
    """(``data`` with the bytes above 0x7F of its first line masked, the original first line
    (up to and including its LF, or all of ``data``), whether the line ended in ``data``)."""
    end = data.find(b"\n")
    line = data if end < 0 else data[: end + 1]
    if line.translate(None, _HIGH) == line:
        return data, line, end >= 0
    return line.translate(_MASK_TABLE) + data[len(line):], line, end >= 0


# What llhttp parses itself (the common methods first: one ``startswith`` for nearly every
# request), CONNECT (a tunnel: its framing is its own) and PRI (the HTTP/2 preface) included.
_PARSED: Final = (b"GET ", b"POST ", b"HEAD ", b"PUT ", b"DELETE ", b"OPTIONS ", b"PATCH ", b"CONNECT ",
                  b"PRI ")
STAND_IN = b"GET"
MAX_METHOD = 32
_TCHAR: Final = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TCHAR_BYTES: Final = frozenset(_TCHAR[i:i + 1] for i in range(len(_TCHAR)))


def partial_line(data: bytes) -> bool:
    """``data``, received at the start of a request, is the beginning of a request line that has
    not ended yet (no LF) and starts with a method byte: held until the rest comes."""
    return data.find(b"\n") < 0 and data[:1] in _TCHAR_BYTES  # ``find``: see ``connection._receive``


def stand_in_method(data: bytes) -> tuple[bytes, bytes | None]:
    """(``data`` with its request line's method replaced by ``STAND_IN``, the method as sent) when
    ``data`` starts with a method token llhttp might not know; (``data``, None) otherwise."""
    if data.startswith(_PARSED):
        return data, None
    end = data.find(b" ", 0, MAX_METHOD + 1)
    if end <= 0 or data[:end].translate(None, _TCHAR):
        return data, None
    return STAND_IN + data[end:], data[:end]


_VERSIONS: Final = (b" HTTP/1.1", b" HTTP/1.0")
_KNOWN_MINOR: Final = (b"1", b"0")


def escape_spaces(data: bytes, end: int | None = None) -> bytes:
    """``data`` with the spaces inside its first request line's target escaped as ``%20`` and a
    minor version above 1 read as 1 (``HTTP/1.2``: RFC 9110 §2.5, as nginx reads it; llhttp
    refuses it); ``data`` itself when there is neither or the line does not end in HTTP/1.x.
    ``end``: where the line's LF is (``data.find(b"\\n")``), when the caller knows it."""
    if end is None:
        end = data.find(b"\n")
    if end < 0:
        return data
    # ``end >= 10``: a line shorter holds no version there, and compiled (mypyc) a slice whose
    # negative start lands past its end (``data[-1:0]``, a line that is just CRLF) raises.
    if end >= 10 and data[end - 2:end - 1] not in _KNOWN_MINOR and data.startswith(b" HTTP/1.", end - 10):
        if data[end - 2:end - 1].isdigit() and data[end - 1:end] == b"\r":
            data = data[:end - 2] + b"1" + data[end - 1:]
    if data.count(b" ", 0, end) <= 2:
        return data
    line = data[:end].rstrip(b"\r")
    if not line.endswith(_VERSIONS):
        return data
    first, last = line.find(b" "), len(line) - 9
    start = first + 1
    while line[start:start + 1] == b" ":
        start += 1  # spaces after the method separate, as nginx (and llhttp) read them
    if first < 1 or last <= start or line[start:start + 1] != b"/":
        return data  # no method, no target, or not an origin-form target: llhttp's call
    target = line[start:last].rstrip(b" ")  # spaces before the version separate too
    return line[:first + 1] + target.replace(b" ", b"%20") + data[last:]


_LINE_VERSIONS: Final = {b" HTTP/1.1\r\n": "1.1", b" HTTP/1.0\r\n": "1.0"}


def line_version(data: bytes, end: int) -> str | None:
    """The HTTP version llhttp reads from the request line that starts ``data`` (its LF at
    ``end``), if it parses it: ``"1.1"`` or ``"1.0"`` when the line is ``token SP /target SP
    HTTP/1.x CRLF`` (no other split of such a line parses: a target ends at a space, a version
    at its CRLF), else None (ask llhttp)."""
    version = _LINE_VERSIONS.get(data[end - 10:end + 1]) if end >= 12 else None
    if version is not None:
        first = data.find(b" ", 0, end)
        if data[first + 1:first + 2] != b"/" or first + 1 >= end - 10:
            return None
    return version


def target_of(line: bytes) -> bytes | None:
    """The request target of an original request line (``METHOD SP target SP version``, the
    spaces after the method as many as llhttp takes)."""
    parts = [part for part in line.rstrip(b"\r\n").split(b" ") if part]
    return parts[1] if len(parts) == 3 else None


_FRAMING: Final = frozenset({b"content-length", b"transfer-encoding", b"host"})
_HOST, _TE, _CONNECTION, _UNDERSCORED = 1, 2, 3, 4
_WATCHED: Final = {b"host": _HOST, b"transfer-encoding": _TE, b"connection": _CONNECTION,
            b"content_length": _UNDERSCORED, b"transfer_encoding": _UNDERSCORED}
_CONNECTION_OPTIONS: Final = (b"keep-alive", b"close", b"Keep-Alive", b"Close", b"upgrade", b"Upgrade")
_UPGRADE: Final = (b"upgrade", b"Upgrade")
_HEX: Final = b"0123456789abcdefABCDEF"
# Each byte's class in a Host (RFC 3986 §3.2.2): "h" reg-name (unreserved, "%", sub-delims less
# "," - a folded list), "d" a digit, ":" and "[" "]" themselves, "!" anything else. One
# ``translate`` per request instead of a scan per rule.
_HOST_SHAPE: Final = bytes(
    ord("d") if chr(b).isdigit() and b < 0x80 else
    ord("h") if chr(b).isalpha() and b < 0x80 or chr(b) in "-._~%!$&'()*+;=" else
    b if chr(b) in ":[]" else ord("!")
    for b in range(256)
)


def valid_host(value: bytes) -> bool:
    """``value`` is ``uri-host [":" port]`` (RFC 9112 §3.2), an IP literal in brackets included."""
    shape = value.translate(_HOST_SHAPE)
    if shape[:1] == b"[":
        end = value.find(b"]")
        literal, port = value[1:end], shape[end + 1:]
        if end < 0 or not literal or literal.translate(None, _HEX + b":."):
            return False
        if port:
            if port[:1] != b":":
                return False
            port = port[1:]
    else:
        host, _, port = shape.partition(b":")
        if not host or host.strip(b"hd"):
            return False
    return len(port) <= 5 and not port.strip(b"d")


_DEFAULT_PORTS: Final = {b"http": b":80", b"https": b":443"}  # the same authority with its port or without


def origin_form(method: bytes, target: bytes, headers: Sequence[tuple[bytes, bytes]]) -> bytes | None:
    """``target`` (not origin-form: it does not start with "/") as the upstream gets it, or None
    when it is refused: absolute-form becomes origin-form when its authority is the Host sent."""
    if method == b"CONNECT":
        return target  # authority-form: refused as a tunnel by the handler (405)
    scheme, sep, rest = target.partition(b"://")
    if not sep or scheme.lower() not in (b"http", b"https"):
        return None
    end = len(rest)
    for stop in (b"/", b"?", b"#"):
        at = rest.find(stop)
        if 0 <= at < end:
            end = at
    authority, path = rest[:end], rest[end:]
    if not valid_host(authority):
        return None
    default = _DEFAULT_PORTS[scheme.lower()]
    authority = authority.lower().removesuffix(default)
    for name, value in headers:
        if name == b"host" and value.rstrip(b" \t").lower().removesuffix(default) != authority:
            return None
    return path if path[:1] == b"/" else b"/" + path


class _Valid:
    """The last Host value ``valid_host`` accepted (one, so bounded): checked again only when it
    changes, not on every request of a keep-alive connection."""

    host = b"localhost"


_valid = _Valid()


def framing_error(version: str, headers: Sequence[tuple[bytes, bytes]]) -> tuple[int, str] | None:
    """(status, reason) when the head's framing is ambiguous or unsupported, else None.
    ``headers``: lower-case names, as received."""
    if version not in ("1.1", "1.0"):
        if version == "0.9":
            return 400, "HTTP/0.9 request"
        return 505, "unsupported HTTP version"
    hosts = te = 0
    upgrade = False
    for name, value in headers:
        kind = _WATCHED.get(name)  # one lookup per field: most are none of these
        if kind is None:
            continue
        if kind == _HOST:
            hosts += 1
            if value != _valid.host:  # a client sends the same Host on every request
                if not valid_host(value.rstrip(b" \t")):  # trailing OWS: llhttp keeps it (RFC 9110 §5.5)
                    return 400, "invalid Host"
                _valid.host = value
        elif kind == _TE:
            te += 1
            if value.strip().lower() != b"chunked":
                return coding_error(value)
        elif kind == _CONNECTION:
            if value not in _CONNECTION_OPTIONS:
                tokens = {t.strip() for t in value.lower().split(b",")}
                if _FRAMING & tokens:
                    return 400, "Connection names a framing field"
                upgrade = upgrade or b"upgrade" in tokens
            elif value in _UPGRADE:
                upgrade = True
        else:
            return 400, "framing field name spelled with _"
    if te > 1:
        return 400, "repeated Transfer-Encoding"
    if te and version == "1.0":
        return 400, "Transfer-Encoding in an HTTP/1.0 request"
    if hosts > 1:
        return 400, "more than one Host"
    if not hosts and version == "1.1":
        return 400, "HTTP/1.1 request without Host"
    if upgrade and upgrade_with_body(headers):
        return 400, "upgrade request with a body"
    return None


def upgrade_with_body(headers: Sequence[tuple[bytes, bytes]]) -> bool:
    """An ``Upgrade`` request (its ``Connection`` names ``upgrade``) that also frames a body: llhttp
    reads the body, then switches; the upstream would get the handshake and then the body's bytes
    as the new protocol's, or read its first frames as the body (a desync either way)."""
    if not any(name == b"upgrade" for name, _ in headers):
        return False  # "Connection: upgrade" alone asks for nothing
    return any(name == b"transfer-encoding" or name == b"content-length" and value.strip(b" \t0")
               for name, value in headers)


def coding_error(value: bytes) -> tuple[int, str]:
    """The answer to a request's ``Transfer-Encoding`` other than ``chunked``: 501 when ``chunked``
    is the final coding, once, after codings we do not decode (``gzip, chunked``: the length is
    known, the coding is not implemented, RFC 9112 §6.1); else 400 (chunked absent, not final,
    twice, or a list that does not parse: the length cannot be determined, §6.3 item 4)."""
    codings = [coding.strip(b" \t").lower() for coding in value.split(b",")]
    if codings[-1] == b"chunked" and all(c and c != b"chunked" and not c.translate(None, _TCHAR)
                                         for c in codings[:-1]):
        return 501, "transfer coding not implemented"
    return 400, "Transfer-Encoding other than chunked"
