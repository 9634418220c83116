"""A generator of request-smuggling and malformed-framing probes, by class, from the published
catalogues: PortSwigger's desync work (CL.TE, TE.CL, TE.TE, CL.0, h2c), smuggler.py's
Transfer-Encoding mutations, the HTTP Garden's head and chunk mutations, RFC 9112 §2–7 and
RFC 9110 §5 (field syntax). Each class is a *product* of mutations (where the bytes go × which
bytes), not a list of cases, so a new shape of an old class is one row away.

Every probe says what a strict-but-not-fussy server must do with it (``Want``): refuse it (one of
``statuses``, the connection closed, nothing of it nor of what follows reaching the upstream), or
accept it as the request real clients mean (the upstream reads ``method target body``, re-framed).
``tests/server/test_probe_classes.py`` runs them all against a real server on loopback in front of
the raw recording upstream; ``python -m tests.server.probe_sweep`` runs them against any port (an
nginx beside us, to tell strict from fussy) and prints one line per probe.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

H = b"Host: x\r\n"
HELLO = b"5\r\nhello\r\n0\r\n\r\n"
BAD = frozenset({400})
NOT_IMPLEMENTED = frozenset({501})  # chunked final after codings we do not decode (RFC 9112 §6.1)
VERSION = frozenset({400, 505})


Request = tuple[bytes, bytes, bytes]  # (method, target, body) as the upstream reads it


@dataclass(frozen=True)
class Want:
    """``reached``: what the upstream reads, in order (each answered 200). ``statuses`` non-empty:
    then the probe's last request is refused with one of them, the connection closed, and nothing
    after it read."""

    statuses: frozenset[int] = frozenset()
    reached: tuple[Request, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.statuses)


@dataclass(frozen=True)
class Probe:
    cls: str
    id: str
    data: bytes
    want: Want


def refuse(statuses: Iterable[int] = BAD, after: tuple[Request, ...] = ()) -> Want:
    return Want(frozenset(statuses), after)


def accept(method: bytes, target: bytes, body: bytes = b"") -> Want:
    return Want(reached=((method, target, body),))


def request(method: bytes = b"POST", target: bytes = b"/p", fields: bytes = b"", body: bytes = b"",
            version: bytes = b"HTTP/1.1", host: bytes = H) -> bytes:
    return method + b" " + target + b" " + version + b"\r\n" + host + fields + b"\r\n" + body


# -- Transfer-Encoding -------------------------------------------------------------------------

# Bytes around the value (RFC 9110 §5.5: OWS is SP / HTAB only; anything else is part of the
# value, or forbidden there): (label, before, after, accepted).
_AROUND = [
    ("none", b"", b"", True), ("sp", b" ", b"", True), ("sp2", b"  ", b"", True), ("tab", b"\t", b"", True),
    ("sp-after", b" ", b" ", True),
    # OWS, yet llhttp refuses a tab after the coding (nginx: 501 for a tab on either side): rare, left
    ("sp-tab-after", b" ", b" \t", False), ("tab-after", b" ", b"\t", False),
    ("vt-before", b" \x0b", b"", False), ("ff-before", b" \x0c", b"", False), ("nul-before", b" \x00", b"", False),
    ("cr-before", b" \r", b"", False), ("vt-after", b" ", b"\x0b", False), ("ff-after", b" ", b"\x0c", False),
    ("nul-after", b" ", b"\x00", False), ("cr-after", b" ", b"\rX: y", False), ("nbsp-before", b" \xc2\xa0", b"", False),
    ("zwsp-inside", b" chunk\xe2\x80\x8b", b"", False),
]
# Bytes between the name and the colon (RFC 9112 §5.1: none, 400).
_BEFORE_COLON = [("sp", b" "), ("tab", b"\t"), ("vt", b"\x0b"), ("ff", b"\x0c"), ("nul", b"\x00"), ("cr", b"\r")]
# Values: (label, value, statuses or None for accepted).
_TE_VALUES: list[tuple[str, bytes, frozenset[int] | None]] = [
    ("chunked", b"chunked", None), ("Chunked", b"Chunked", None), ("CHUNKED", b"CHUNKED", None),
    ("cHuNkEd", b"cHuNkEd", None),
    # chunked absent or not final: the length cannot be known (RFC 9112 §6.3 item 4: 400)
    ("xchunked", b"xchunked", BAD), ("chunkedx", b"chunkedx", BAD), ("chunk", b"chunk", BAD),
    ("identity", b"identity", BAD), ("gzip", b"gzip", BAD), ("empty", b"", BAD),
    ("chunked-identity", b"chunked, identity", BAD), ("chunked-gzip", b"chunked, gzip", BAD),
    ("chunked-chunked", b"chunked, chunked", BAD), ("chunked-comma", b"chunked,", BAD),
    ("comma-chunked", b", chunked", BAD), ("chunked-semicolon", b"chunked;", BAD),
    ("chunked-param", b"chunked;q=1", BAD), ("quoted", b'"chunked"', BAD), ("single-quoted", b"'chunked'", BAD),
    ("chunked-sp-x", b"chunked x", BAD), ("kelvin-k", "chun\u212aed".encode(), BAD),
    ("gzip-q-chunked", b"gzip;q=1, chunked", BAD),
    # chunked final after codings we do not decode: the length is known, the coding is not ours
    ("identity-chunked", b"identity, chunked", NOT_IMPLEMENTED), ("gzip-chunked", b"gzip, chunked", NOT_IMPLEMENTED),
    ("deflate-chunked", b"deflate, chunked", NOT_IMPLEMENTED), ("x-chunked-list", b"foo ,\tchunked", NOT_IMPLEMENTED),
    ("dotless-i-lookalike", "ch\u0075nked".encode(), None),  # plain ASCII "u": the control row
]


def _te(value: bytes, body: bytes = HELLO, version: bytes = b"HTTP/1.1", extra: bytes = b"") -> bytes:
    return request(target=b"/te", fields=extra + b"Transfer-Encoding:" + value + b"\r\n", body=body,
                   version=version)


def transfer_encoding() -> Iterator[Probe]:
    for label, value, statuses in _TE_VALUES:
        want = accept(b"POST", b"/te", b"hello") if statuses is None else refuse(statuses)
        yield Probe("te-value", label, _te(b" " + value), want)
    for label, before, after, ok in _AROUND:
        yield Probe("te-ows", label, _te(before + b"chunked" + after),
                    accept(b"POST", b"/te", b"hello") if ok else refuse())
    for label, byte in _BEFORE_COLON:
        yield Probe("te-before-colon", label,
                    request(target=b"/te", fields=b"Transfer-Encoding" + byte + b": chunked\r\n", body=HELLO),
                    refuse())
    names = [("lower", b"transfer-encoding", True), ("upper", b"TRANSFER-ENCODING", True),
             ("underscore", b"Transfer_Encoding", False), ("no-dash", b"TransferEncoding", None),
             ("leading-space", b" Transfer-Encoding", False), ("leading-tab", b"\tTransfer-Encoding", False),
             ("suffix", b"Transfer-Encoding2", None), ("high-byte", b"Transfer-Enc\xc3\xb6ding", False)]
    for label, name, ok in names:
        data = request(target=b"/te", fields=name + b": chunked\r\n", body=HELLO)
        if ok is None:  # another field: the body is unframed (none), the chunks a pipelined request
            continue
        yield Probe("te-name", label, data, accept(b"POST", b"/te", b"hello") if ok else refuse())
    dup = [("chunked-chunked", b"chunked", b"chunked"), ("chunked-identity", b"chunked", b"identity"),
           ("identity-chunked", b"identity", b"chunked"), ("gzip-chunked", b"gzip", b"chunked"),
           ("chunked-empty", b"chunked", b""), ("empty-chunked", b"", b"chunked"),
           ("chunked-upper", b"chunked", b"CHUNKED")]
    for label, first, second in dup:
        fields = b"Transfer-Encoding: " + first + b"\r\nTransfer-Encoding: " + second + b"\r\n"
        yield Probe("te-duplicate", label, request(target=b"/te", fields=fields, body=HELLO), refuse())
    for version in (b"HTTP/1.0", b"HTTP/1.0\r\nConnection: keep-alive"):
        label = "http10" + ("-keep-alive" if b"keep" in version else "")
        yield Probe("te-http10", label, _te(b" chunked", version=version), refuse())
    for label, cl in [("cl-first", True), ("cl-after", False)]:
        for length in (b"0", b"5", b"100"):
            fields = b"Content-Length: " + length + b"\r\n"
            data = _te(b" chunked", extra=fields) if cl else _te(b" chunked\r\n" + fields[:-2])
            yield Probe("cl-te", f"{label}-{length.decode()}", data, refuse())
    for label, value in [("xchunked", b" xchunked"), ("identity", b" identity"), ("gzip-chunked", b" gzip, chunked")]:
        yield Probe("cl-te", "cl-te-" + label, _te(value, body=b"hello", extra=b"Content-Length: 5\r\n"), refuse())


# -- Content-Length ----------------------------------------------------------------------------

_CL_VALUES: list[tuple[str, bytes, bool]] = [
    ("plain", b"5", True), ("leading-zero", b"05", True), ("many-zeros", b"0" * 30 + b"5", True),
    ("ows-after", b"5 ", True), ("tab-around", b"\t5\t", True),
    ("plus", b"+5", False), ("minus", b"-5", False), ("minus-zero", b"-0", False), ("inner-space", b"5 5", False),
    ("hex", b"0x5", False), ("hex-letter", b"a", False), ("octal-ish", b"0o5", False), ("decimal", b"5.0", False),
    ("exponent", b"5e0", False), ("underscore", b"0_5", False), ("list-equal", b"5, 5", False),
    ("list-equal-nospace", b"5,5", False), ("list-unequal", b"5, 6", False), ("list-trailing", b"5,", False),
    ("list-leading", b",5", False), ("empty", b"", False), ("nul", b"5\x00", False), ("vt", b"\x0b5", False),
    ("ff", b"5\x0c", False), ("cr", b"5\rX: y", False), ("quoted", b'"5"', False),
    ("huge-2-63", b"9223372036854775808", False), ("huge-2-64", b"18446744073709551616", False),
    ("huge-2-64-plus-5", b"18446744073709551621", False), ("huge-40-digits", b"9" * 40, False),
    ("fullwidth-digit", "\uff15".encode(), False), ("arabic-digit", "\u0665".encode(), False),
    ("superscript", "\u2075".encode(), False),
]


def content_length() -> Iterator[Probe]:
    for label, value, ok in _CL_VALUES:
        data = request(target=b"/cl", fields=b"Content-Length: " + value + b"\r\n", body=b"hello")
        if label.startswith("huge"):
            want = refuse({400, 413})
        else:
            want = accept(b"POST", b"/cl", b"hello") if ok else refuse({400, 413} if label == "list-unequal" else BAD)
        yield Probe("cl-value", label, data, want)
    for label, byte in _BEFORE_COLON:
        yield Probe("cl-before-colon", label,
                    request(target=b"/cl", fields=b"Content-Length" + byte + b": 5\r\n", body=b"hello"), refuse())
    for label, first, second in [("equal", b"5", b"5"), ("unequal", b"5", b"6"), ("zero-five", b"0", b"5"),
                                 ("five-empty", b"5", b""), ("leading-zero-equal", b"5", b"05")]:
        fields = b"Content-Length: " + first + b"\r\nContent-Length: " + second + b"\r\n"
        yield Probe("cl-duplicate", label, request(target=b"/cl", fields=fields, body=b"hello!"), refuse())
    for label, name in [("underscore", b"Content_Length"), ("leading-space", b" Content-Length")]:
        yield Probe("cl-name", label, request(target=b"/cl", fields=name + b": 5\r\n", body=b"hello"), refuse())


# -- chunk syntax ------------------------------------------------------------------------------

_CHUNKS: list[tuple[str, bytes, bool]] = [
    ("plain", HELLO, True), ("upper-hex", b"A\r\nhellohello\r\n0\r\n\r\n", True),
    ("leading-zeros", b"0005\r\nhello\r\n00\r\n\r\n", True), ("ext-token", b"5;a\r\nhello\r\n0\r\n\r\n", True),
    ("ext-value", b"5;a=b\r\nhello\r\n0\r\n\r\n", True), ("ext-quoted", b'5;a="b c"\r\nhello\r\n0\r\n\r\n', True),
    ("ext-on-last", b"5\r\nhello\r\n0;a=b\r\n\r\n", True), ("trailer", b"5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", True),
    ("size-sp-before", b" 5\r\nhello\r\n0\r\n\r\n", False), ("size-tab-before", b"\t5\r\nhello\r\n0\r\n\r\n", False),
    ("size-sp-after", b"5 \r\nhello\r\n0\r\n\r\n", False), ("size-tab-after", b"5\t\r\nhello\r\n0\r\n\r\n", False),
    ("size-0x", b"0x5\r\nhello\r\n0\r\n\r\n", False), ("size-plus", b"+5\r\nhello\r\n0\r\n\r\n", False),
    ("size-minus", b"-5\r\nhello\r\n0\r\n\r\n", False), ("size-empty", b"\r\nhello\r\n0\r\n\r\n", False),
    ("size-not-hex", b"5g\r\nhello\r\n0\r\n\r\n", False), ("size-underscore", b"0_5\r\nhello\r\n0\r\n\r\n", False),
    ("size-overflow-2-64", b"10000000000000005\r\nhello\r\n0\r\n\r\n", False),
    ("size-huge-hex", b"f" * 32 + b"\r\nhello\r\n0\r\n\r\n", False),
    ("size-fullwidth", "\uff15\r\nhello\r\n0\r\n\r\n".encode(), False),
    ("ext-bare-cr", b"5;a\rb\r\nhello\r\n0\r\n\r\n", False), ("ext-bare-lf", b"5;a\nb\r\nhello\r\n0\r\n\r\n", False),
    ("ext-nul", b"5;a=\x00\r\nhello\r\n0\r\n\r\n", False),
    ("ext-quote-crlf", b'5;a="\r\n"\r\nhello\r\n0\r\n\r\n', False),
    ("ext-unterminated-quote", b'5;a="b\r\nhello\r\n0\r\n\r\n', False),
    ("ext-bare-quote", b'5;a"b\r\nhello\r\n0\r\n\r\n', False),
    ("ext-empty-name", b"5;=b\r\nhello\r\n0\r\n\r\n", True),  # llhttp and nginx take it; never forwarded
    ("ext-sp-in-value", b"5;a=b c\r\nhello\r\n0\r\n\r\n", False),
    ("ext-high-byte", b"5;a=\xc3\xa9\r\nhello\r\n0\r\n\r\n", False),
    ("data-longer", b"5\r\nhelloXX\r\n0\r\n\r\n", False), ("data-shorter", b"5\r\nhell\r\n0\r\n\r\n", False),
    ("data-no-crlf", b"5\r\nhello0\r\n\r\n", False), ("data-bare-lf", b"5\r\nhello\n0\r\n\r\n", False),
    ("data-bare-cr", b"5\r\nhello\r0\r\n\r\n", False), ("size-bare-lf", b"5\nhello\r\n0\r\n\r\n", False),
    ("last-bare-lf", b"5\r\nhello\r\n0\n\r\n", False), ("end-bare-lf", b"5\r\nhello\r\n0\r\n\n", False),
    ("all-lf", b"5\nhello\n0\n\n", False), ("end-cr-cr", b"5\r\nhello\r\n0\r\n\r\r\n", False),
    ("trailer-bare-lf", b"5\r\nhello\r\n0\r\nX: y\n\r\n", False),
    ("trailer-fold", b"5\r\nhello\r\n0\r\nX: y\r\n z\r\n\r\n", False),
    ("trailer-no-colon", b"5\r\nhello\r\n0\r\nXY\r\n\r\n", False),
    ("trailer-sp-before-colon", b"5\r\nhello\r\n0\r\nX : y\r\n\r\n", False),
    ("trailer-nul", b"5\r\nhello\r\n0\r\nX: a\x00b\r\n\r\n", False),
    ("trailer-content-length", b"5\r\nhello\r\n0\r\nContent-Length: 50\r\n\r\n", False),
    ("trailer-transfer-encoding", b"5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n", False),
]


def chunks() -> Iterator[Probe]:
    for label, body, ok in _CHUNKS:
        data = request(target=b"/c", fields=b"Transfer-Encoding: chunked\r\n", body=body)
        body_read = b"hellohello" if label == "upper-hex" else b"hello"
        yield Probe("chunk", label, data, accept(b"POST", b"/c", body_read) if ok else refuse())


# -- the request line --------------------------------------------------------------------------

def request_line() -> Iterator[Probe]:
    ok = [
        ("double-space-after-method", b"GET  /rl HTTP/1.1", b"/rl"),
        ("utf8-target", "GET /wiki/Zürich HTTP/1.1".encode(), "/wiki/Zürich".encode()),
        ("utf8-query", "GET /s?q=日本 HTTP/1.1".encode(), "/s?q=日本".encode()),
        ("absolute-form", b"GET http://x/rl?a=1 HTTP/1.1", b"/rl?a=1"),
        ("absolute-form-port-case", b"GET HTTP://X/rl HTTP/1.1", b"/rl"),
        ("absolute-form-no-path", b"GET http://x HTTP/1.1", b"/"),
        ("absolute-utf8", "GET http://x/wiki/Zürich HTTP/1.1".encode(), "/wiki/Zürich".encode()),
        ("http12", b"GET /rl HTTP/1.2", b"/rl"), ("percent-encoded", b"GET /a%20b HTTP/1.1", b"/a%20b"),
        ("absolute-default-port", b"GET http://x:80/rl HTTP/1.1", b"/rl"),
        ("absolute-https-default-port", b"GET https://X:443/rl HTTP/1.1", b"/rl"),
        ("empty-line-before", b"\r\nGET /rl HTTP/1.1", b"/rl"), ("lf-before", b"\nGET /rl HTTP/1.1", b"/rl"),
        ("unknown-method", b"FOO /rl HTTP/1.1", b"/rl"),
    ]
    for label, line, target in ok:
        method = line.lstrip(b"\r\n").split(b" ")[0]
        yield Probe("line-ok", label, line + b"\r\n" + H + b"\r\n", accept(method, target))
    bad: list[tuple[str, bytes, frozenset[int]]] = [
        ("tab-after-method", b"GET\t/rl HTTP/1.1", BAD), ("tab-before-version", b"GET /rl\tHTTP/1.1", BAD),
        ("vt-separator", b"GET\x0b/rl HTTP/1.1", BAD), ("ff-separator", b"GET /rl\x0cHTTP/1.1", BAD),
        ("nul-separator", b"GET\x00/rl HTTP/1.1", BAD), ("leading-space", b" GET /rl HTTP/1.1", BAD),
        ("trailing-space", b"GET /rl HTTP/1.1 ", BAD), ("trailing-tab", b"GET /rl HTTP/1.1\t", BAD),
        ("bare-cr-in-target", b"GET /r\rl HTTP/1.1", BAD), ("nul-in-target", b"GET /r\x00l HTTP/1.1", BAD),
        ("del-in-target", b"GET /r\x7fl HTTP/1.1", BAD), ("ctl-in-target", b"GET /r\x01l HTTP/1.1", BAD),
        ("hash-fragment-ok", b"GET /rl#f HTTP/1.1", frozenset()),
        ("lowercase-version", b"GET /rl http/1.1", BAD), ("mixed-version", b"GET /rl Http/1.1", BAD),
        ("version-no-minor", b"GET /rl HTTP/1", BAD), ("version-two-digit-minor", b"GET /rl HTTP/1.10", BAD),
        ("version-leading-zero", b"GET /rl HTTP/01.1", BAD), ("version-x", b"GET /rl HTTP/1.x", BAD),
        ("version-sp", b"GET /rl HTTP/ 1.1", BAD), ("version-missing", b"GET /rl", BAD),
        ("http09-line", b"GET /rl HTTP/0.9", VERSION), ("http20", b"GET /rl HTTP/2.0", VERSION),
        ("http30", b"GET /rl HTTP/3.0", VERSION), ("http99", b"GET /rl HTTP/9.9", VERSION),
        ("http20-pri", b"PRI * HTTP/2.0", VERSION), ("http11-empty-target", b"GET  HTTP/1.1", BAD),
        ("method-paren", b"GE(T /rl HTTP/1.1", BAD), ("method-high-byte", b"G\xc3\x89T /rl HTTP/1.1", BAD),
        ("method-nul", b"GE\x00T /rl HTTP/1.1", BAD), ("method-colon", b"GET: /rl HTTP/1.1", BAD),
        ("method-slash", b"GE/T /rl HTTP/1.1", BAD), ("asterisk-get", b"GET * HTTP/1.1", BAD),
        ("authority-get", b"GET x:80 HTTP/1.1", BAD), ("relative", b"GET rl HTTP/1.1", BAD),
        ("absolute-host-mismatch", b"GET http://evil/rl HTTP/1.1", BAD),
        ("absolute-userinfo", b"GET http://u:p@x/rl HTTP/1.1", BAD),
        ("absolute-ftp", b"GET ftp://x/rl HTTP/1.1", BAD),
        ("absolute-bad-port", b"GET http://x:9z/rl HTTP/1.1", BAD),
        ("absolute-other-port", b"GET http://x:8080/rl HTTP/1.1", BAD),  # Host: x
        ("absolute-https-port-80", b"GET https://x:80/rl HTTP/1.1", BAD),
        ("options-asterisk", b"OPTIONS * HTTP/1.1", BAD),  # we forward origin-form only: refused, as nginx
    ]
    for label, line, statuses in bad:
        data = line + b"\r\n" + H + b"\r\n"
        if not statuses:
            yield Probe("line-ok", label, data, accept(b"GET", b"/rl#f"))
            continue
        yield Probe("line-bad", label, data, refuse(statuses))
    yield Probe("line-bad", "bare-lf-end", b"GET /rl HTTP/1.1\n" + H + b"\r\n", refuse())
    yield Probe("line-bad", "bare-cr-end", b"GET /rl HTTP/1.1\r" + H + b"\r\n", refuse())
    yield Probe("line-bad", "http09-no-version", b"GET /rl\r\n\r\n", refuse(VERSION))


# -- fields: names, values, line ends ----------------------------------------------------------

def fields() -> Iterator[Probe]:
    bad = [
        ("name-sp-before-colon", b"X-A : v"), ("name-tab-before-colon", b"X-A\t: v"), ("name-empty", b": v"),
        ("name-inner-space", b"X A: v"), ("name-nul", b"X\x00A: v"), ("name-ctl", b"X\x01A: v"),
        ("name-del", b"X\x7fA: v"), ("name-high-byte", b"X\xc3\xa9: v"), ("name-paren", b"X(A): v"),
        ("name-at", b"X@A: v"), ("name-brace", b"X{A}: v"), ("name-quote", b'X"A: v'), ("name-no-colon", b"XA"),
        ("name-leading-space", b" X-A: v"), ("value-nul", b"X-A: a\x00b"), ("value-ctl", b"X-A: a\x01b"),
        ("value-del", b"X-A: a\x7fb"), ("value-bare-cr", b"X-A: a\rb"), ("value-bare-lf", b"X-A: a\nb"),
        ("value-vt", b"X-A: a\x0bb"), ("value-ff", b"X-A: a\x0cb"), ("value-esc", b"X-A: a\x1bb"),
        ("obs-fold-sp", b"X-A: a\r\n b"), ("obs-fold-tab", b"X-A: a\r\n\tb"),
        ("obs-fold-empty-first", b"X-A:\r\n b"), ("line-bare-lf", b"X-A: a\nX-B: b"),
    ]
    for label, line in bad:
        yield Probe("field-bad", label, request(b"GET", b"/f", line + b"\r\n"), refuse())
    ok = [("value-obs-text", b"X-A: caf\xc3\xa9"), ("value-inner-tab", b"X-A: a\tb"), ("value-empty", b"X-A:"),
          ("value-only-ows", b"X-A: \t "), ("name-tchars", b"X!#$%&'*+.^_`|~A: v"), ("no-space", b"X-A:v"),
          ("value-quote-comma", b'X-A: "a, b", c')]
    for label, line in ok:
        yield Probe("field-ok", label, request(b"GET", b"/f", line + b"\r\n"), accept(b"GET", b"/f"))
    yield Probe("field-bad", "head-end-bare-lf", b"GET /f HTTP/1.1\r\n" + H + b"\n", refuse())
    yield Probe("field-bad", "head-end-cr-cr", b"GET /f HTTP/1.1\r\n" + H + b"\r\r\n", refuse())
    yield Probe("field-bad", "head-all-bare-lf", b"GET /f HTTP/1.1\n" + H.replace(b"\r\n", b"\n") + b"\n", refuse())


# -- Host --------------------------------------------------------------------------------------

def hosts() -> Iterator[Probe]:
    bad = [("missing", b""), ("two", H + H), ("two-differing", b"Host: a\r\nHost: b\r\n"), ("empty", b"Host:\r\n"),
           ("space", b"Host: a b\r\n"), ("comma", b"Host: a,b\r\n"), ("userinfo", b"Host: u@a\r\n"),
           ("slash", b"Host: a/b\r\n"), ("backslash", b"Host: a\\b\r\n"), ("port-letters", b"Host: a:b\r\n"),
           ("two-ports", b"Host: a:1:2\r\n"), ("high-byte", b"Host: \xc3\xa9\r\n"),
           ("ipv6-unclosed", b"Host: [::1\r\n"), ("sp-before-colon", b"Host : a\r\n"),
           ("question", b"Host: a?b\r\n"), ("hash", b"Host: a#b\r\n")]
    for label, host in bad:
        yield Probe("host-bad", label, request(b"GET", b"/h", host=host), refuse())
    ok = [("port", b"Host: a.example:8080\r\n"), ("ipv6", b"Host: [::1]:80\r\n"), ("upper", b"Host: A.EXAMPLE\r\n"),
          ("underscore", b"Host: a_b\r\n"), ("trailing-dot", b"Host: a.\r\n"), ("ipv4", b"Host: 127.0.0.1\r\n"),
          ("punycode", b"Host: xn--zrich-kva.example\r\n"), ("empty-port", b"Host: a:\r\n")]
    for label, host in ok:
        yield Probe("host-ok", label, request(b"GET", b"/h", host=host), accept(b"GET", b"/h"))
    yield Probe("host-ok", "http10-missing", b"GET /h HTTP/1.0\r\n\r\n", accept(b"GET", b"/h"))
    yield Probe("host-ok", "absolute-matches", b"GET http://a.example/h HTTP/1.1\r\nHost: a.example\r\n\r\n",
                accept(b"GET", b"/h"))


# -- hop-by-hop abuse, upgrades, Expect --------------------------------------------------------

def hop_by_hop() -> Iterator[Probe]:
    for label, value in [("content-length", b"Content-Length"), ("transfer-encoding", b"Transfer-Encoding"),
                         ("te-host", b"Transfer-Encoding, Host"), ("host", b"Host"),
                         ("close-cl", b"close, Content-Length"), ("upper", b"CONTENT-LENGTH"),
                         ("tab-list", b"keep-alive,\tcontent-length")]:
        fields_ = b"Connection: " + value + b"\r\nContent-Length: 5\r\n"
        yield Probe("hop-by-hop", label, request(target=b"/hh", fields=fields_, body=b"hello"), refuse())
    for label, value in [("keep-alive", b"keep-alive"), ("close-upper", b"Close"), ("x-custom", b"X-Foo"),
                         ("te-trailers", b"TE")]:
        fields_ = b"Connection: " + value + b"\r\nContent-Length: 5\r\n"
        yield Probe("hop-by-hop-ok", label, request(target=b"/hh", fields=fields_, body=b"hello"),
                    accept(b"POST", b"/hh", b"hello"))


def upgrades() -> Iterator[Probe]:
    settings = b"HTTP2-Settings: AAMAAABkAAQAAP__\r\n"
    rows = [
        ("h2c", b"Upgrade: h2c\r\n" + settings + b"Connection: Upgrade, HTTP2-Settings\r\n"),
        ("h2c-upper", b"Upgrade: H2C\r\n" + settings + b"Connection: upgrade, http2-settings\r\n"),
        ("h2c-connection-upgrade-only", b"Upgrade: h2c\r\nConnection: Upgrade\r\n"),
        ("h2c-list", b"Upgrade: foo, h2c\r\n" + settings + b"Connection: Upgrade, HTTP2-Settings\r\n"),
        ("h2", b"Upgrade: h2\r\nConnection: Upgrade\r\n"),
        ("unknown", b"Upgrade: foo/1\r\nConnection: upgrade\r\n"),
    ]
    for label, head in rows:
        yield Probe("upgrade", label, request(b"GET", b"/up", head), refuse({400, 501}))
    yield Probe("upgrade", "websocket-with-body",
                request(target=b"/ws", fields=b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                        b"Content-Length: 5\r\n", body=b"hello"), refuse({400, 501}))
    ws = b"Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    # an upgrade that frames a body: where the body ends and the new protocol begins is ambiguous
    for label, connection, framing, body in [
            ("websocket-get-cl", b"Upgrade", b"Content-Length: 5\r\n", b"hello"),
            ("websocket-get-chunked", b"Upgrade", b"Transfer-Encoding: chunked\r\n", HELLO),
            ("websocket-keep-alive-list-cl", b"keep-alive, Upgrade", b"Content-Length: 5\r\n", b"hello"),
            ("h2c-get-chunked", b"Upgrade, HTTP2-Settings", b"Transfer-Encoding: chunked\r\n"
             + settings, HELLO)]:
        head = ws if label.startswith("websocket") else b"Upgrade: h2c\r\n"
        yield Probe("upgrade-body", label, request(b"GET", b"/ws", head + b"Connection: " + connection + b"\r\n"
                                                   + framing, body), refuse())
    # RFC 9110 §7.8: an Upgrade in HTTP/1.0 is ignored: a plain GET, answered, then closed
    yield Probe("upgrade-ok", "websocket-http10", request(b"GET", b"/up", ws + b"Connection: Upgrade\r\n",
                                                          version=b"HTTP/1.0"), accept(b"GET", b"/up"))
    # no "Connection: upgrade": the Upgrade field asks for nothing and is dropped
    yield Probe("upgrade-ok", "h2c-no-connection", request(b"GET", b"/up", b"Upgrade: h2c\r\n" + settings),
                accept(b"GET", b"/up"))


def expect() -> Iterator[Probe]:
    cl5 = b"Content-Length: 5\r\n"
    ok = [("continue", b"Expect: 100-continue\r\n" + cl5, b"hello"),
          ("continue-case", b"Expect: 100-Continue\r\n" + cl5, b"hello"),
          ("continue-no-body", b"Expect: 100-continue\r\n", b""),
          ("continue-chunked", b"Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n", HELLO)]
    for label, head, body in ok:
        yield Probe("expect-ok", label, request(target=b"/ex", fields=head, body=body),
                    accept(b"POST", b"/ex", b"hello" if body else b""))
    yield Probe("expect-ok", "http10-ignored",
                request(target=b"/ex", fields=b"Expect: 100-continue\r\n" + cl5, body=b"hello", version=b"HTTP/1.0"),
                accept(b"POST", b"/ex", b"hello"))
    # RFC 9110 §10.1.1: a server MAY answer 417; nginx forwards, and so do we (without the field)
    yield Probe("expect-ok", "unknown", request(target=b"/ex", fields=b"Expect: foo\r\n" + cl5, body=b"hello"),
                accept(b"POST", b"/ex", b"hello"))
    yield Probe("expect-bad", "cl-te", request(target=b"/ex", fields=b"Expect: 100-continue\r\n" + cl5
                                               + b"Transfer-Encoding: chunked\r\n", body=b"hello"), refuse())


def pipelined() -> Iterator[Probe]:
    """Requests in one write: each read as it would be alone (a request line llhttp needs
    rewritten included), and nothing after a refusal."""
    good = [(b"GET", b"/p1", b"", request(b"GET", b"/p1")),
            (b"POST", b"/p1", b"hello", request(target=b"/p1", fields=b"Content-Length: 5\r\n", body=b"hello")),
            (b"POST", b"/p1", b"hello", request(target=b"/p1", fields=b"Transfer-Encoding: chunked\r\n", body=HELLO))]
    second = [("utf8", "GET /wiki/Zürich HTTP/1.1".encode(), b"GET", "/wiki/Zürich".encode()),
              ("method", b"FOO /p2 HTTP/1.1", b"FOO", b"/p2"), ("space", b"GET /p 2 HTTP/1.1", b"GET", b"/p%202"),
              ("http12", b"GET /p2 HTTP/1.2", b"GET", b"/p2"), ("lower-method", b"get /p2 HTTP/1.1", b"get", b"/p2"),
              ("absolute", b"GET http://x/p2 HTTP/1.1", b"GET", b"/p2"),
              ("empty-line-before", b"\r\nGET /p2 HTTP/1.1", b"GET", b"/p2")]
    for method, target, body, first in good:
        kind = {b"": "get", b"hello": "cl"}.get(body, "cl") if b"chunked" not in first else "chunked"
        for label, line, m2, t2 in second:
            yield Probe("pipelined", f"{kind}-then-{label}", first + line + b"\r\n" + H + b"\r\n",
                        Want(reached=((method, target, body), (m2, t2, b""))))
    yield Probe("pipelined", "three-utf8", request(b"GET", b"/p1") + "GET /é2 HTTP/1.1\r\n".encode() + H + b"\r\n"
                + "GET /é3 HTTP/1.1\r\n".encode() + H + b"\r\n",
                Want(reached=((b"GET", b"/p1", b""), (b"GET", "/é2".encode(), b""), (b"GET", "/é3".encode(), b""))))
    bad = [("cl-te", request(target=b"/x", fields=b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n",
                             body=b"0\r\n\r\nG"), BAD),
           ("bad-chunk", request(target=b"/x", fields=b"Transfer-Encoding: chunked\r\n", body=b"zz\r\n"), BAD),
           ("obs-fold", request(b"GET", b"/x", b"X: a\r\n b\r\n"), BAD),
           ("no-host", b"GET /x HTTP/1.1\r\n\r\n", BAD), ("utf8-bare-lf", "GET /é HTTP/1.1\n".encode() + H + b"\r\n", BAD),
           ("method-nul", b"G\x00T /x HTTP/1.1\r\n" + H + b"\r\n", BAD),
           ("http30", b"GET /x HTTP/3.0\r\n" + H + b"\r\n", VERSION),
           ("te-gzip-chunked", request(target=b"/x", fields=b"Transfer-Encoding: gzip, chunked\r\n", body=HELLO),
            NOT_IMPLEMENTED)]
    for label, data, statuses in bad:
        yield Probe("pipelined-refused", f"get-then-{label}", request(b"GET", b"/p1") + data,
                    refuse(statuses, ((b"GET", b"/p1", b""),)))
    yield Probe("pipelined-refused", "utf8-then-bad", "GET /é1 HTTP/1.1\r\n".encode() + H + b"\r\n"
                + b"GET /x HTTP/1.1\r\n\r\n", refuse(BAD, ((b"GET", "/é1".encode(), b""),)))
    # a request smuggled in a refused request's body is never read as a request
    yield Probe("pipelined-refused", "smuggled-in-body",
                request(target=b"/x", fields=b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
                        body=b"5c\r\n" + request(b"GET", b"/admin") + b"\r\n0\r\n\r\n"), refuse())


CLASSES = (transfer_encoding, content_length, chunks, request_line, fields, hosts, hop_by_hop, upgrades, expect,
           pipelined)


def probes() -> list[Probe]:
    out = [probe for cls in CLASSES for probe in cls()]
    ids = [(p.cls, p.id) for p in out]
    assert len(ids) == len(set(ids)), "probe ids repeat"
    return out
