"""A strict RFC 9112 request reader, written apart from the server, for the differential matrix.

``read(data)`` says what a strict-but-not-fussy HTTP/1.1 server reads from a client's bytes: the
requests in order, each as ``(method, target, body)`` as it must reach the upstream, and how the
stream ends (``OK``: nothing more; ``REFUSE``: the next request is refused, nothing of it or after
it forwarded; ``EITHER``: a shape where refusing and accepting are both defensible, so the server
may forward it, but only as ``meaning`` says). It is *not* llhttp and does not share code with
``wafproxy.server``: the point is a second reading of the same bytes.

Strict: CRLF line ends only, no obs-fold, no control byte but HTAB in a field value, a token
before every colon, one ``Host`` (HTTP/1.1), one framing (``Transfer-Encoding: chunked`` exactly,
or one ``Content-Length`` of digits), chunk sizes of hex digits with token extensions, no
framing field in trailers, no framing field named by ``Connection``. Not fussy, as nginx: raw
bytes above 0x7F in the target, spaces inside the target (escaped to ``%20``), extra spaces after
the method, ``HTTP/1.2`` to ``1.9`` read as 1.1, leading zeros in lengths and chunk sizes, empty
lines before a request line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OK, REFUSE, EITHER = "ok", "refuse", "either"
TCHAR = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
HEX = frozenset(b"0123456789abcdefABCDEF")
DIGITS = frozenset(b"0123456789")
FIELD_VALUE = frozenset(range(0x20, 0x7F)) | frozenset(range(0x80, 0x100)) | {0x09}
TARGET = frozenset(range(0x21, 0x7F)) | frozenset(range(0x80, 0x100))
HOST = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()*+;=:[]")
MAX_LENGTH = 1 << 40

Request = tuple[bytes, bytes, bytes]


@dataclass
class Reading:
    requests: list[Request] = field(default_factory=list)
    end: str = OK
    why: str = ""
    meaning: Request | None = None  # EITHER: what the request means if the server accepts it
    incomplete: bool = False  # the bytes stop inside a request (nothing of it is complete)


class _Refused(Exception):
    def __init__(self, why: str, either: bool = False, meaning: Request | None = None) -> None:
        self.why, self.either, self.meaning = why, either, meaning


class _Short(Exception):
    pass


def _line(data: bytes, at: int) -> tuple[bytes, int]:
    """The line at ``at`` without its CRLF; a bare CR or LF anywhere in it is refused."""
    end = data.find(b"\r\n", at)
    nl = data.find(b"\n", at)
    cr = data.find(b"\r", at)
    if end < 0:
        if nl >= 0 or 0 <= cr < len(data) - 1:
            raise _Refused("bare LF or CR")
        raise _Short
    if nl < end + 1 or cr < end:
        raise _Refused("bare LF or CR")
    return data[at:end], end + 2


def _request_line(line: bytes) -> tuple[bytes, bytes, bytes]:
    sp = line.find(b" ")
    method = line[:sp] if sp > 0 else b""
    if not method or any(b not in TCHAR for b in method):
        raise _Refused("method")
    if not line.endswith((b" HTTP/1.0", b" HTTP/1.1")):
        v = line[-9:]
        if len(line) > 9 and v[:8] == b" HTTP/1." and v[8:9].isdigit() and v[8:9] not in b"01":
            line = line[:-1] + b"1"  # HTTP/1.2..1.9: read as 1.1 (RFC 9110 §2.5)
        else:
            raise _Refused("version")
    version = line[-3:]
    target = line[sp + 1:-9].lstrip(b" ")  # extra spaces after the method, as nginx
    if not target or any(b not in TARGET and b != 0x20 for b in target):
        raise _Refused("target byte")
    target = target.rstrip(b" ")  # spaces before the version: separators (nginx)
    return method, target.replace(b" ", b"%20"), version


def _origin(target: bytes, host: bytes | None) -> bytes:
    """An absolute-form target in origin form: its authority must be the Host sent."""
    if target[:1] == b"/":
        return target
    scheme, sep, rest = target.partition(b"://")
    scheme = scheme.lower()
    if not sep or scheme not in (b"http", b"https"):
        raise _Refused("not origin-form")
    end = min([i for i in (rest.find(b"/"), rest.find(b"?"), rest.find(b"#")) if i >= 0] or [len(rest)])
    authority, path = rest[:end], rest[end:]
    port = b":80" if scheme == b"http" else b":443"
    if not _valid_host(authority) or (
            host is not None and authority.lower().removesuffix(port) != host.lower().removesuffix(port)):
        raise _Refused("absolute-form authority")
    return path if path[:1] == b"/" else b"/" + path


def _valid_host(value: bytes) -> bool:
    if not value or any(b not in HOST for b in value) or value.startswith(b":"):
        return False
    if value.startswith(b"["):
        return b"]" in value
    host, _, port = value.partition(b":")
    return b"[" not in host and all(b in DIGITS for b in port) and len(port) <= 5


def _fields(data: bytes, at: int) -> tuple[list[tuple[bytes, bytes]], int]:
    fields: list[tuple[bytes, bytes]] = []
    while True:
        line, at = _line(data, at)
        if not line:
            return fields, at
        name, colon, value = line.partition(b":")
        if not colon or not name or any(b not in TCHAR for b in name):
            raise _Refused("field name")
        value = value.strip(b" \t")
        if any(b not in FIELD_VALUE for b in value):
            raise _Refused("field value byte")
        fields.append((name.lower(), value))


def _framing(version: bytes, fields: list[tuple[bytes, bytes]], method: bytes) -> tuple[str, int]:
    """("chunked", 0) or ("length", n)."""
    names = [n for n, _ in fields]
    if b"content_length" in names or b"transfer_encoding" in names:
        raise _Refused("framing name with _")
    hosts = [v for n, v in fields if n == b"host"]
    if len(hosts) > 1 or (version == b"1.1" and not hosts) or (hosts and not _valid_host(hosts[0])):
        raise _Refused("host")
    for n, v in fields:
        if n == b"connection":
            tokens = {t.strip(b" \t").lower() for t in v.split(b",")}
            if tokens & {b"content-length", b"transfer-encoding", b"host"}:
                raise _Refused("connection names a framing field")
            if b"upgrade" in tokens and b"upgrade" in names:
                raise _Refused("upgrade", either=True)
    if method == b"CONNECT":
        raise _Refused("connect", either=True)
    te = [v for n, v in fields if n == b"transfer-encoding"]
    cl = [v for n, v in fields if n == b"content-length"]
    if te:
        if len(te) > 1 or cl or version == b"1.0" or te[0].lower() != b"chunked":
            raise _Refused("transfer-encoding")
        return "chunked", 0
    if len(cl) > 1:
        raise _Refused("content-length twice")
    if cl:
        if not cl[0] or any(b not in DIGITS for b in cl[0]) or int(cl[0]) > MAX_LENGTH:
            raise _Refused("content-length")
        return "length", int(cl[0])
    return "length", 0


def _chunked(data: bytes, at: int) -> tuple[bytes, int]:
    body = b""
    while True:
        line, at = _line(data, at)
        size, semi, ext = line.partition(b";")
        if not size or any(b not in HEX for b in size) or len(size.lstrip(b"0")) > 15:
            raise _Refused("chunk size")
        if semi:
            _extensions(b";" + ext)
        n = int(size, 16)
        if not n:
            break
        if len(data) < at + n + 2:
            if not b"\r\n".startswith(data[at + n:]):
                raise _Refused("chunk data end")
            raise _Short
        body += data[at:at + n]
        if data[at + n:at + n + 2] != b"\r\n":
            raise _Refused("chunk data end")
        at += n + 2
    trailers, at = _fields(data, at)
    if any(n in (b"content-length", b"transfer-encoding") for n, _ in trailers):
        raise _Refused("framing field in trailers", either=True)  # llhttp refuses; nginx ignores
    return body, at


def _extensions(ext: bytes) -> None:
    """``*( ";" token [ "=" ( token / quoted-string ) ] )``, no whitespace (llhttp: none either)."""
    i = 0
    while i < len(ext):
        if ext[i] != 0x3B:
            raise _Refused("chunk extension")
        i += 1
        j = i
        while j < len(ext) and ext[j] in TCHAR:
            j += 1
        i = j  # an empty name: llhttp and nginx take it (the extension is never forwarded)
        if i < len(ext) and ext[i] == 0x3D:
            i += 1
            if ext[i:i + 1] == b'"':
                i += 1
                while i < len(ext) and ext[i] != 0x22:
                    if ext[i] == 0x5C:
                        i += 1
                    if i >= len(ext) or (ext[i] < 0x20 and ext[i] != 9) or ext[i] == 0x7F:
                        raise _Refused("quoted extension")
                    i += 1
                if i >= len(ext):
                    raise _Refused("unterminated quote")
                i += 1
            else:
                j = i
                while j < len(ext) and ext[j] in TCHAR:
                    j += 1
                i = j  # an empty value: llhttp and nginx take it (the extension is never forwarded)


def read(data: bytes) -> Reading:
    """Every request a strict server reads from ``data``, and how the stream ends."""
    out = Reading()
    at = 0
    while at < len(data):
        while data[at:at + 1] in (b"\r", b"\n") and at < len(data):
            at += 1  # empty lines before a request line, bare CR and LF too (as nginx and llhttp)
        if at >= len(data):
            break
        try:
            line, at2 = _line(data, at)
            method, target, version = _request_line(line)
            fields, at2 = _fields(data, at2)
            kind, n = _framing(version, fields, method)
            target = _origin(target, next((v for k, v in fields if k == b"host"), None))
            if kind == "chunked":
                body, at2 = _chunked(data, at2)
            else:
                if len(data) < at2 + n:
                    raise _Short
                body, at2 = data[at2:at2 + n], at2 + n
        except _Refused as exc:
            out.end, out.why, out.meaning = (EITHER if exc.either else REFUSE), exc.why, exc.meaning
            return out
        except _Short:
            out.incomplete = True
            return out
        out.requests.append((method, target, body))
        at = at2
        connection = b",".join(v for n, v in fields if n == b"connection").lower()
        tokens = {t.strip(b" \t") for t in connection.split(b",")}
        if b"close" in tokens or (version == b"1.0" and b"keep-alive" not in tokens):
            break  # nothing after a request that closes is read
    return out
