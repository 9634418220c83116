"""Request-smuggling and desync probes, table-driven, against the real server on loopback in front
of a raw upstream that records every byte it receives (``tests/support/recording_upstream.py``).

The rows follow the published catalogues (PortSwigger's CL.TE / TE.CL / TE.TE variants, the HTTP
Garden's and smuggler's mutations, RFC 9112 §6 and §11): each names what the client must get and
what the upstream must have read. A refusal is answered with ``Connection: close`` and the
upstream reads nothing of it, nor of anything pipelined behind it. An accepted request reaches the
upstream re-framed by us (one Content-Length or our own chunking), never with the client's
ambiguity. Where RFC 9112 leaves a choice we follow nginx; each such row says so.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

import pytest

from tests.server.harness import RunningProxy, responses
from tests.support.recording_upstream import RecordingUpstream
from tests.support.wait import DEADLINE

H = b"Host: x\r\n"


def post(headers: bytes, body: bytes = b"", path: bytes = b"/p") -> bytes:
    return b"POST " + path + b" HTTP/1.1\r\n" + H + headers + b"\r\n" + body


def chunked(body: bytes) -> bytes:
    return post(b"Transfer-Encoding: chunked\r\n", body, b"/c")


def te(value: bytes, body: bytes = b"5\r\nhello\r\n0\r\n\r\n") -> bytes:
    return post(b"Transfer-Encoding" + value + b"\r\n", body, b"/te")


def cl(value: bytes, body: bytes = b"hello") -> bytes:
    return post(b"Content-Length" + value + b"\r\n", body, b"/cl")


def get(path: bytes = b"/g", extra: bytes = b"", version: bytes = b"HTTP/1.1") -> bytes:
    return b"GET " + path + b" " + version + b"\r\n" + H + extra + b"\r\n"


AFTER = get(b"/after")  # pipelined behind a probe: must never reach the upstream after a refusal


@dataclass
class Probe:
    """``status``: the last answer's status (None: the connection closes with no answer);
    ``reached``: (method, target, body) of each request the upstream must read, in order."""

    id: str
    data: bytes
    status: int | None
    reached: list[tuple[bytes, bytes, bytes]] = field(default_factory=list)
    half_close: bool = False  # the client shuts its sending side after the probe
    ends: bool = False  # an accepted probe whose last request closes the connection (HTTP/1.0)
    answers: list[int] | None = None  # every answer's status, when not one of the shapes above

    def param(self) -> object:
        return pytest.param(self, id=self.id)


def refused(pid: str, data: bytes, status: int = 400) -> Probe:
    """A refusal: ``status``, then close; the upstream reads nothing, not even what follows."""
    return Probe(pid, data + AFTER, status)


def accepted(pid: str, data: bytes, method: bytes, target: bytes, body: bytes = b"",
             ends: bool = False) -> Probe:
    return Probe(pid, data, 200, [(method, target, body)], ends=ends)


HELLO_CHUNKED = b"5\r\nhello\r\n0\r\n\r\n"

TRANSFER_ENCODING = [
    # CL.TE / TE.CL: both framings in one request, in both orders and spellings
    refused("cl-te", post(b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\nG")),
    refused("te-cl", post(b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
                          b"8\r\nSMUGGLED\r\n0\r\n\r\n")),
    refused("te-cl-zero", post(b"Transfer-Encoding: chunked\r\nContent-Length: 0\r\n", HELLO_CHUNKED)),
    refused("cl-te-identity", post(b"Content-Length: 5\r\nTransfer-Encoding: identity\r\n", b"hello")),
    # TE.TE: obfuscated Transfer-Encoding
    refused("te-space-before-colon", te(b" : chunked")),
    refused("te-tab-before-colon", te(b"\t: chunked")),
    refused("te-xchunked", te(b": xchunked")),
    refused("te-chunked-identity", te(b": chunked, identity")),
    refused("te-identity-chunked", te(b": identity, chunked"), 501),  # chunked final: a coding not ours
    refused("te-chunked-chunked", te(b": chunked, chunked")),
    refused("te-gzip-chunked", te(b": gzip, chunked"), 501),
    refused("te-gzip", te(b": gzip")),
    refused("te-identity", te(b": identity")),
    refused("te-empty", te(b":")),
    refused("te-quoted", te(b': "chunked"')),
    refused("te-trailing-comma", te(b": chunked,")),
    refused("te-param", te(b": chunked;q=1")),
    refused("te-chunked-x", te(b": chunkedx")),
    refused("te-repeated", post(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                                HELLO_CHUNKED)),
    refused("te-repeated-identity", post(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
                                         HELLO_CHUNKED)),
    refused("te-line-folded", te(b":\r\n chunked")),
    refused("te-folded-after", te(b": chunked\r\n x")),
    refused("te-vertical-tab", te(b":\x0bchunked")),
    refused("te-form-feed", te(b":\x0cchunked")),
    refused("te-nul", te(b": chunked\x00")),
    refused("te-bare-cr-value", te(b": chunked\rX: y")),
    refused("te-bare-cr-name", post(b"X: y\rTransfer-Encoding: chunked\r\n", HELLO_CHUNKED)),
    refused("te-bare-lf", post(b"X: y\nTransfer-Encoding: chunked\r\n", HELLO_CHUNKED)),
    refused("te-leading-space-line", post(b" Transfer-Encoding: chunked\r\n", HELLO_CHUNKED)),
    refused("te-name-underscore", post(b"Transfer_Encoding: chunked\r\nContent-Length: 5\r\n", b"hello")),
    refused("te-underscore-only", post(b"Transfer_Encoding: chunked\r\n", HELLO_CHUNKED)),
    refused("cl-underscore-name", post(b"Content_Length: 5\r\n", b"hello")),
    refused("te-http10", b"POST /te HTTP/1.0\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
            + HELLO_CHUNKED),
    refused("te-high-byte", te(b": chunke\xe2\x80\x8bd")),
    refused("te-connection-named", post(b"Connection: transfer-encoding\r\nTransfer-Encoding: chunked\r\n",
                                        HELLO_CHUNKED)),
    # strict is not fussy: the same word in any case, OWS around it
    accepted("te-mixed-case-value", te(b": ChUnKeD"), b"POST", b"/te", b"hello"),
    accepted("te-mixed-case-name", post(b"TrAnSfEr-EnCoDiNg: chunked\r\n", HELLO_CHUNKED, b"/te"),
             b"POST", b"/te", b"hello"),
    accepted("te-tab-ows", te(b":\tchunked"), b"POST", b"/te", b"hello"),
    # llhttp (and nginx: 501) refuse whitespace after the coding
    refused("te-trailing-whitespace", te(b": chunked \t")),
]

CONTENT_LENGTH = [
    refused("cl-plus", cl(b": +5")),
    refused("cl-minus", cl(b": -5")),
    refused("cl-list-equal", cl(b": 5, 5")),
    refused("cl-list-equal-nospace", cl(b": 5,5")),
    refused("cl-list-differing", cl(b": 5,6", b"hello!")),
    refused("cl-two-equal", post(b"Content-Length: 5\r\nContent-Length: 5\r\n", b"hello")),
    refused("cl-two-differing", post(b"Content-Length: 5\r\nContent-Length: 6\r\n", b"hello!")),
    refused("cl-empty", cl(b":")),
    refused("cl-hex", cl(b": 0x5")),
    refused("cl-hex-letters", cl(b": a")),
    refused("cl-exponent", cl(b": 5e0")),
    refused("cl-decimal", cl(b": 5.0")),
    refused("cl-inner-space", cl(b": 5 5")),
    refused("cl-underscore", cl(b": 1_0")),
    refused("cl-overflow-2-64", cl(b": 18446744073709551616")),
    refused("cl-overflow-2-64-plus-5", cl(b": 18446744073709551621")),
    refused("cl-overflow-huge", cl(b": " + b"9" * 40)),
    refused("cl-nul", cl(b": 5\x00")),
    refused("cl-vertical-tab", cl(b":\x0b5")),
    refused("cl-space-before-colon", cl(b" : 5")),
    refused("cl-arabic-digit", cl(": \u0665".encode())),
    refused("cl-fullwidth-digit", cl(": \uff15".encode())),
    refused("cl-folded", cl(b":\r\n 5")),
    refused("cl-connection-named", post(b"Connection: content-length\r\nContent-Length: 5\r\n", b"hello")),
    refused("cl-connection-named-list", post(b"Connection: keep-alive, Content-Length\r\n"
                                             b"Content-Length: 5\r\n", b"hello")),
    refused("host-connection-named", get(b"/g", b"Connection: host\r\n")),
    # over the Shield's body limit (10 MiB) before a byte of it is read
    refused("cl-too-large", cl(b": 100000000000"), 413),
    # RFC 9112 §6.3: 1*DIGIT; leading zeros are digits (nginx reads "05" as 5)
    accepted("cl-leading-zero", cl(b": 05"), b"POST", b"/cl", b"hello"),
    accepted("cl-many-zeros", cl(b": 0000000000000000000005"), b"POST", b"/cl", b"hello"),
    accepted("cl-ows", cl(b":\t 5 \t"), b"POST", b"/cl", b"hello"),
    accepted("cl-zero", cl(b": 0", b""), b"POST", b"/cl", b""),
    accepted("post-no-length", post(b""), b"POST", b"/p", b""),
]

CHUNKS = [
    refused("chunk-hex-overflow", chunked(b"10000000000000005\r\nhello\r\n0\r\n\r\n")),
    refused("chunk-hex-overflow-long", chunked(b"f" * 40 + b"\r\nhello\r\n0\r\n\r\n")),
    refused("chunk-0x", chunked(b"0x5\r\nhello\r\n0\r\n\r\n")),
    refused("chunk-leading-space", chunked(b" 5\r\nhello\r\n0\r\n\r\n")),
    refused("chunk-leading-tab", chunked(b"\t5\r\nhello\r\n0\r\n\r\n")),
    refused("chunk-plus", chunked(b"+5\r\nhello\r\n0\r\n\r\n")),
    refused("chunk-minus", chunked(b"-5\r\nhello\r\n0\r\n\r\n")),
    refused("chunk-empty-size", chunked(b"\r\nhello\r\n0\r\n\r\n")),
    refused("chunk-not-hex", chunked(b"g\r\nhello\r\n0\r\n\r\n")),
    refused("chunk-underscore", chunked(b"0_5\r\nhello\r\n0\r\n\r\n")),
    refused("chunk-trailing-space", chunked(b"5 \r\nhello\r\n0\r\n\r\n")),
    refused("chunk-trailing-tab", chunked(b"5\t\r\nhello\r\n0\r\n\r\n")),
    refused("chunk-last-trailing-space", chunked(b"5\r\nhello\r\n0 \r\n\r\n")),
    refused("chunk-ext-bare-cr", chunked(b"5;a\rb\r\nhello\r\n0\r\n\r\n")),
    refused("chunk-ext-bare-lf", chunked(b"5;a\nb\r\nhello\r\n0\r\n\r\n")),
    refused("chunk-ext-quoted-crlf", chunked(b'5;a="b\r\n"\r\nhello\r\n0\r\n\r\n')),
    refused("chunk-ext-nul", chunked(b"5;a=\x00\r\nhello\r\n0\r\n\r\n")),
    refused("chunk-ext-unterminated-quote", chunked(b'5;a="b\r\nhello\r\n0\r\n\r\n')),
    refused("chunk-longer-than-size", chunked(b"5\r\nhelloXX\r\n0\r\n\r\n")),
    refused("chunk-shorter-than-size", chunked(b"5\r\nhel\r\n0\r\n\r\n")),
    refused("chunk-data-bare-lf", chunked(b"5\r\nhello\n0\r\n\r\n")),
    refused("chunk-data-bare-cr", chunked(b"5\r\nhello\r0\r\n\r\n")),
    refused("chunk-size-bare-lf", chunked(b"5\nhello\r\n0\r\n\r\n")),
    refused("chunk-last-bare-lf", chunked(b"5\r\nhello\r\n0\n\r\n")),
    refused("chunk-end-bare-lf", chunked(b"5\r\nhello\r\n0\r\n\n")),
    refused("chunk-trailer-bare-lf", chunked(b"5\r\nhello\r\n0\r\nX: y\n\r\n")),
    refused("chunk-trailer-fold", chunked(b"5\r\nhello\r\n0\r\nX: y\r\n z\r\n\r\n")),
    refused("chunk-trailer-no-colon", chunked(b"5\r\nhello\r\n0\r\nXY\r\n\r\n")),
    # long size lines: streamed by llhttp, never buffered nor forwarded (as nginx takes them)
    accepted("chunk-size-line-oversize", chunked(b"5;" + b"a" * 100_000 + b"\r\nhello\r\n0\r\n\r\n"),
             b"POST", b"/c", b"hello"),
    accepted("chunk-size-many-zeros", chunked(b"0" * 100_000 + b"5\r\nhello\r\n0\r\n\r\n"),
             b"POST", b"/c", b"hello"),
    # valid extensions (token, token=token, token=quoted-string) and trailers pass; the trailers
    # stay here (never forwarded), whatever they name
    accepted("chunk-ext-valid", chunked(b'5;a=1;b="x y";c\r\nhello\r\n0;z\r\n\r\n'),
             b"POST", b"/c", b"hello"),
    # RFC 9112 allows BWS before ";" (nginx takes it); llhttp refuses it: left refused, rare
    refused("chunk-ext-bws", chunked(b"5 ;a=1\r\nhello\r\n0\r\n\r\n")),
    accepted("chunk-upper-hex", chunked(b"A\r\nhellohello\r\n0\r\n\r\n"), b"POST", b"/c", b"hellohello"),
    accepted("chunk-leading-zero", chunked(b"005\r\nhello\r\n000\r\n\r\n"), b"POST", b"/c", b"hello"),
    # framing fields in trailers (RFC 9110 §6.5.1 forbids them): llhttp refuses, so do we
    refused("trailer-content-length", chunked(b"5\r\nhello\r\n0\r\nContent-Length: 50\r\n\r\n")),
    refused("trailer-transfer-encoding", chunked(b"5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n")),
    accepted("trailer-plain", chunked(b"5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n"), b"POST", b"/c", b"hello"),
    # a body that never ends: nothing is forwarded, whatever follows it on the connection
    Probe("chunk-missing-final-crlf", chunked(b"5\r\nhello\r\n0\r\n"), None, half_close=True),
    Probe("chunk-missing-last-chunk", chunked(b"5\r\nhello\r\n"), None, half_close=True),
    Probe("cl-body-short", cl(b": 10", b"hello"), None, half_close=True),
]

REQUEST_LINE = [
    refused("line-bare-cr", b"GET /a\rb HTTP/1.1\r\n" + H + b"\r\n"),
    refused("line-bare-cr-end", b"GET /a HTTP/1.1\r" + H + b"\r\n"),
    refused("line-bare-lf", b"GET /a HTTP/1.1\n" + H + b"\r\n"),
    refused("line-leading-space", b" GET /a HTTP/1.1\r\n" + H + b"\r\n"),
    accepted("line-double-space-after-method", b"GET  /a HTTP/1.1\r\n" + H + b"\r\n",
             b"GET", b"/a"),  # as nginx
    # spaces before the version separate, as nginx reads them (an escaped "/a%20" would be a
    # target no one sent; the differential matrix found the two readings apart)
    accepted("line-double-space-before-version", b"GET /a  HTTP/1.1\r\n" + H + b"\r\n", b"GET", b"/a"),
    refused("line-tab-separator", b"GET\t/a HTTP/1.1\r\n" + H + b"\r\n"),
    refused("line-nul-in-target", b"GET /a\x00 HTTP/1.1\r\n" + H + b"\r\n"),
    refused("line-del-in-target", b"GET /a\x7f HTTP/1.1\r\n" + H + b"\r\n"),
    refused("line-lowercase-version", b"GET /a http/1.1\r\n" + H + b"\r\n"),
    refused("line-version-trailing-space", b"GET /a HTTP/1.1 \r\n" + H + b"\r\n"),
    refused("line-version-leading-zero", b"GET /a HTTP/01.1\r\n" + H + b"\r\n"),
    refused("line-version-two-digits", b"GET /a HTTP/1.10\r\n" + H + b"\r\n"),
    refused("line-no-version", b"GET /a\r\n" + H + b"\r\n"),
    refused("line-http09", b"GET /a\r\n\r\n"),
    refused("line-method-only", b"GET\r\n" + H + b"\r\n"),
    refused("line-http2-version", b"GET /a HTTP/2.0\r\n" + H + b"\r\n", 505),
    refused("line-http3-version", b"GET /a HTTP/3.0\r\n" + H + b"\r\n", 505),
    refused("line-h2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    refused("line-connect", b"CONNECT evil:443 HTTP/1.1\r\nHost: evil:443\r\n\r\n", 405),
    refused("line-asterisk-get", b"GET * HTTP/1.1\r\n" + H + b"\r\n"),
    refused("line-authority-form-get", b"GET x:80 HTTP/1.1\r\n" + H + b"\r\n"),
    refused("line-relative-target", b"GET a/b HTTP/1.1\r\n" + H + b"\r\n"),
    refused("line-absolute-ftp", b"GET ftp://x/a HTTP/1.1\r\n" + H + b"\r\n"),
    refused("line-absolute-userinfo", b"GET http://u@x/a HTTP/1.1\r\n" + H + b"\r\n"),
    refused("line-nul-method", b"G\x00ET /a HTTP/1.1\r\n" + H + b"\r\n"),
    refused("line-method-too-long", b"A" * 100 + b" /a HTTP/1.1\r\n" + H + b"\r\n"),
    accepted("line-lowercase-method", b"get /lc HTTP/1.1\r\n" + H + b"\r\n", b"get", b"/lc"),  # a token
    refused("line-tls-hello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
    refused("line-over-64k-unfinished", b"GET /" + b"a" * 70_000, 414),
    # RFC 9110 §2.5: a higher minor version of 1.x is read as 1.1 (nginx does); bare LF stays refused
    accepted("line-http12", b"GET /a12 HTTP/1.2\r\n" + H + b"\r\n", b"GET", b"/a12"),
    accepted("line-http19-chunked", b"POST /a19 HTTP/1.9\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
             + HELLO_CHUNKED, b"POST", b"/a19", b"hello"),
    refused("line-http12-bare-lf", b"GET /a HTTP/1.2\n" + H + b"\r\n"),
    refused("line-http12-no-host", b"GET /a HTTP/1.2\r\n\r\n"),
    refused("line-http1x", b"GET /a HTTP/1.x\r\n" + H + b"\r\n"),
    # absolute-form: the authority is the target's (RFC 9112 §3.2.2)
    accepted("line-absolute-form", b"GET http://x/abs?q=1 HTTP/1.1\r\n" + H + b"\r\n", b"GET", b"/abs?q=1"),
    accepted("line-absolute-form-case", b"GET HTTPS://X:443?q=1 HTTP/1.1\r\nHost: x:443\r\n\r\n", b"GET",
             b"/?q=1"),
    accepted("line-raw-utf8", get("/wiki/Zürich".encode()), b"GET", "/wiki/Zürich".encode()),
    accepted("line-absolute-raw-utf8", "GET http://x/wiki/Zürich HTTP/1.1\r\n".encode() + H + b"\r\n", b"GET",
             "/wiki/Zürich".encode()),
    accepted("line-unknown-method", b"FOO /m HTTP/1.1\r\n" + H + b"\r\n", b"FOO", b"/m"),
    accepted("line-http10", b"GET /ten HTTP/1.0\r\n\r\n", b"GET", b"/ten", ends=True),
]

HOST = [
    refused("host-missing", b"GET /h HTTP/1.1\r\nX: y\r\n\r\n"),
    refused("host-two", b"GET /h HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
    refused("host-two-equal", b"GET /h HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"),
    refused("host-space", b"GET /h HTTP/1.1\r\nHost: a b\r\n\r\n"),
    refused("host-at", b"GET /h HTTP/1.1\r\nHost: user@evil\r\n\r\n"),
    refused("host-comma", b"GET /h HTTP/1.1\r\nHost: a, b\r\n\r\n"),
    refused("host-comma-nospace", b"GET /h HTTP/1.1\r\nHost: a,b\r\n\r\n"),
    refused("host-slash", b"GET /h HTTP/1.1\r\nHost: a/b\r\n\r\n"),
    refused("host-backslash", b"GET /h HTTP/1.1\r\nHost: a\\b\r\n\r\n"),
    refused("host-bad-port", b"GET /h HTTP/1.1\r\nHost: a:b\r\n\r\n"),
    refused("host-two-ports", b"GET /h HTTP/1.1\r\nHost: a:1:2\r\n\r\n"),
    refused("host-high-byte", b"GET /h HTTP/1.1\r\nHost: \xc3\xa9vil\r\n\r\n"),
    refused("host-space-before-colon", b"GET /h HTTP/1.1\r\nHost : a\r\n\r\n"),
    refused("host-empty", b"GET /h HTTP/1.1\r\nHost:\r\n\r\n"),
    refused("host-port-too-long", b"GET /h HTTP/1.1\r\nHost: a:123456\r\n\r\n"),
    refused("host-ipv6-unclosed", b"GET /h HTTP/1.1\r\nHost: [::1\r\n\r\n"),
    refused("host-absolute-form-mismatch", b"GET http://evil/abs HTTP/1.1\r\nHost: good\r\n\r\n"),

    accepted("host-port", b"GET /h HTTP/1.1\r\nHost: a.example:8080\r\n\r\n", b"GET", b"/h"),
    accepted("host-ipv6", b"GET /h HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", b"GET", b"/h"),
    accepted("host-upper", b"GET /h HTTP/1.1\r\nHost: A.Example\r\n\r\n", b"GET", b"/h"),
    accepted("host-underscore", b"GET /h HTTP/1.1\r\nHost: a_b.example\r\n\r\n", b"GET", b"/h"),
    accepted("host-trailing-dot", b"GET /h HTTP/1.1\r\nHost: a.example.\r\n\r\n", b"GET", b"/h"),
    accepted("host-http10-missing", b"GET /h HTTP/1.0\r\n\r\n", b"GET", b"/h", ends=True),
]

HEADER_NAMES = [
    refused("name-inner-space", get(b"/n", b"X A: b\r\n")),
    refused("name-empty", get(b"/n", b": b\r\n")),
    refused("name-paren", get(b"/n", b"X(A): b\r\n")),
    refused("name-slash", get(b"/n", b"X/A: b\r\n")),
    refused("name-high-byte", get(b"/n", b"X\xc3\xa9: b\r\n")),
    refused("name-no-colon", get(b"/n", b"XAB\r\n")),
    refused("name-nul", get(b"/n", b"X\x00A: b\r\n")),
    refused("obs-fold-space", get(b"/n", b"X: a\r\n b\r\n")),
    refused("obs-fold-tab", get(b"/n", b"X: a\r\n\tb\r\n")),
    refused("value-nul", get(b"/n", b"X: a\x00b\r\n")),
    refused("value-ctl", get(b"/n", b"X: a\x01b\r\n")),
    refused("value-del", get(b"/n", b"X: a\x7fb\r\n")),
    refused("value-bare-cr", get(b"/n", b"X: a\rb\r\n")),
    refused("value-bare-lf", get(b"/n", b"X: a\nb\r\n")),
    refused("end-bare-lf", b"GET /n HTTP/1.1\r\n" + H + b"\n"),
    refused("end-cr-only", b"GET /n HTTP/1.1\r\n" + H + b"\r\r\n"),
    accepted("value-obs-text", get(b"/n", b"X: caf\xc3\xa9\r\n"), b"GET", b"/n"),
    accepted("value-inner-tab", get(b"/n", b"X: a\tb\r\n"), b"GET", b"/n"),
]

BODIES = [
    # GET/HEAD/OPTIONS with a body: framed like any body and forwarded with it (RFC 9110 §9.3.1)
    accepted("get-with-cl-body", get(b"/gb", b"Content-Length: 5\r\n") + b"hello", b"GET", b"/gb", b"hello"),
    accepted("get-with-chunked-body", get(b"/gb", b"Transfer-Encoding: chunked\r\n") + HELLO_CHUNKED,
             b"GET", b"/gb", b"hello"),
    accepted("head-with-chunked-body", b"HEAD /hb HTTP/1.1\r\n" + H + b"Connection: close\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n" + HELLO_CHUNKED, b"HEAD", b"/hb", b"hello", ends=True),
    accepted("options-with-cl-body", b"OPTIONS /o HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n\r\nhello",
             b"OPTIONS", b"/o", b"hello"),
    Probe("get-cl-then-pipelined", get(b"/gb", b"Content-Length: 5\r\n") + b"hello" + get(b"/next"), 200,
          [(b"GET", b"/gb", b"hello"), (b"GET", b"/next", b"")]),
    accepted("head-with-cl-body", b"HEAD /hb HTTP/1.1\r\n" + H + b"Connection: close\r\n"
             b"Content-Length: 5\r\n\r\nhello", b"HEAD", b"/hb", b"hello", ends=True),
    # Expect: 100-continue: answered once the body is wanted; never relayed to the upstream
    accepted("expect-continue", post(b"Content-Length: 5\r\nExpect: 100-continue\r\n", b"hello", b"/e"),
             b"POST", b"/e", b"hello"),
    Probe("expect-continue-refused-body", post(b"Content-Length: 5\r\nExpect: 100-continue\r\n"
                                               b"Transfer-Encoding: chunked\r\n", b"hello") + AFTER, 400),
    # HTTP/1.0 keep-alive and HTTP/1.1 pipelining, each request forwarded alone
    Probe("http10-keep-alive", b"GET /k1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
          b"GET /k2 HTTP/1.0\r\n\r\n", 200, [(b"GET", b"/k1", b""), (b"GET", b"/k2", b"")], ends=True),
    Probe("pipelined-three", get(b"/p1") + post(b"Content-Length: 2\r\n", b"ab", b"/p2") + get(b"/p3"), 200,
          [(b"GET", b"/p1", b""), (b"POST", b"/p2", b"ab"), (b"GET", b"/p3", b"")]),
]

PIPELINED_BEHIND = [
    # a good request, then a refused one, then more: only the first reaches the upstream
    Probe("pipelined-good-then-cl-te", get(b"/ok") + post(b"Content-Length: 6\r\n"
                                                          b"Transfer-Encoding: chunked\r\n", b"0\r\n\r\nG")
          + AFTER, 400, [(b"GET", b"/ok", b"")]),
    Probe("pipelined-good-then-bad-chunk", get(b"/ok") + chunked(b"zz\r\nhello\r\n0\r\n\r\n") + AFTER, 400,
          [(b"GET", b"/ok", b"")]),
    Probe("pipelined-good-then-obs-fold", get(b"/ok") + get(b"/f", b"X: a\r\n b\r\n") + AFTER, 400,
          [(b"GET", b"/ok", b"")]),
    Probe("pipelined-good-then-no-host", get(b"/ok") + b"GET /h HTTP/1.1\r\n\r\n" + AFTER, 400,
          [(b"GET", b"/ok", b"")]),
    # after an answer that closes, nothing more on the connection is read
    Probe("pipelined-after-connection-close", get(b"/c1", b"Connection: close\r\n") + AFTER, 200,
          [(b"GET", b"/c1", b"")], answers=[200]),
    Probe("pipelined-after-http10", b"GET /t1 HTTP/1.0\r\n\r\n" + AFTER, 200, [(b"GET", b"/t1", b"")],
          answers=[200]),
    # the body of a refused request is never read as a request
    refused("smuggled-in-chunk-data", post(b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
                                           b"5c\r\n" + get(b"/admin") + b"\r\n0\r\n\r\n")),
]

UPGRADES = [
    # h2c: never a tunnel (the upstream would then speak HTTP/2 to the client, past the WAF)
    Probe("upgrade-h2c", b"GET /h2c HTTP/1.1\r\n" + H + b"Upgrade: h2c\r\n"
          b"HTTP2-Settings: AAMAAABkAAQAAP__\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n" + AFTER, 501),
    # an upgrade that frames a body: refused on its head (``framing.upgrade_with_body``)
    Probe("upgrade-h2c-post", post(b"Upgrade: h2c\r\nConnection: Upgrade\r\nContent-Length: 5\r\n", b"hello",
                                   b"/h2c") + AFTER, 400),
    Probe("upgrade-websocket-post", post(b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                         b"Content-Length: 5\r\n", b"hello", b"/ws") + AFTER, 400),
    # Upgrade without "Connection: upgrade" asks for nothing: a plain request, the field dropped
    accepted("upgrade-without-connection", get(b"/u", b"Upgrade: websocket\r\n"), b"GET", b"/u"),
    Probe("upgrade-unknown", get(b"/h2c", b"Upgrade: foo/1\r\nConnection: upgrade\r\n") + AFTER, 501),
]

SMUGGLED = get(b"/smuggled")


def cl0(pid: str, head: bytes, chunked_body: bool = False) -> Probe:
    """CL.0: a request the WAF refuses on its head, its body a whole request. The body is read as
    a body (and dropped), never as the next request; the connection goes on after it."""
    body = b"%x\r\n%b\r\n0\r\n\r\n" % (len(SMUGGLED), SMUGGLED) if chunked_body else SMUGGLED
    framing = b"Transfer-Encoding: chunked\r\n" if chunked_body else b"Content-Length: %d\r\n" % len(SMUGGLED)
    data = head.replace(b"\r\n\r\n", b"\r\n" + framing + b"\r\n", 1) + body
    blocked = 429 if b"/admin" in head else 403
    return Probe(pid, data + get(b"/after", b"Connection: close\r\n"), blocked,
                 [(b"GET", b"/after", b"")], answers=[blocked, 200])


CL0 = [
    cl0("cl0-blocked-path", b"POST /admin HTTP/1.1\r\n" + H + b"\r\n"),
    cl0("cl0-blocked-path-chunked", b"POST /admin HTTP/1.1\r\n" + H + b"\r\n", chunked_body=True),
    cl0("cl0-blocked-query-get", b"GET /q?x=<script> HTTP/1.1\r\n" + H + b"\r\n"),
    cl0("cl0-blocked-query-get-chunked", b"GET /q?x=<script> HTTP/1.1\r\n" + H + b"\r\n", chunked_body=True),
    Probe("cl0-blocked-body-too-large", b"POST /admin HTTP/1.1\r\n" + H
          + b"Content-Length: 99999999999\r\n\r\n" + SMUGGLED + AFTER, 413),
]

PROBES = (TRANSFER_ENCODING + CONTENT_LENGTH + CHUNKS + REQUEST_LINE + HOST + HEADER_NAMES + BODIES
          + PIPELINED_BEHIND + UPGRADES + CL0)


def talk(port: int, data: bytes, half_close: bool = False, step: int = 0) -> bytes:
    """``data`` on a fresh connection (``step``: that many bytes per write, no Nagle); all the proxy
    answers until it closes (a proxy that keeps a refused connection open fails the test with a
    timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
        if step:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for at in range(0, len(data), step):
                try:
                    sock.sendall(data[at:at + step])
                except OSError:
                    break  # refused and closed before the rest: what it answered is read below
        else:
            sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            try:
                got = sock.recv(65536)
            except ConnectionResetError:
                return out
            if not got:
                return out
            out += got


def settle(proxy: RunningProxy, up: RecordingUpstream) -> None:
    """A sentinel request answered through the upstream: anything the proxy would have sent for an
    earlier probe on its one event loop is out by then."""
    mark = up.mark()
    answer = talk(proxy.port, get(b"/sentinel", b"Connection: close\r\n"))
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    _, reached = up.since(mark)
    assert [r.target for r in reached] == [b"/sentinel"]


@pytest.mark.parametrize("probe", [p.param() for p in PROBES])
def test_probe(proxy_to_raw_upstream: RunningProxy, raw_upstream: RecordingUpstream, probe: Probe) -> None:
    check(proxy_to_raw_upstream, raw_upstream, probe, 0)


@pytest.mark.parametrize("probe", [p.param() for p in PROBES if len(p.data) < 4096])
def test_probe_a_byte_per_write(proxy_to_raw_upstream: RunningProxy, raw_upstream: RecordingUpstream,
                                probe: Probe) -> None:
    """The same answer whatever the segmentation: the proxy reads what a slow client writes byte
    by byte (however the kernel then coalesces it) as it reads it whole."""
    check(proxy_to_raw_upstream, raw_upstream, probe, 1)


def check(proxy: RunningProxy, raw_upstream: RecordingUpstream, probe: Probe, step: int) -> None:
    mark = raw_upstream.mark()
    data = probe.data
    last = probe.status == 200 and not probe.ends
    if last:
        data += get(b"/last", b"Connection: close\r\n")  # ends the connection after the accepted ones
    answer = talk(proxy.port, data, probe.half_close, step)
    settle_mark = raw_upstream.mark()
    raw, reached = raw_upstream.since(mark)
    got = [(status, head, body) for status, head, body in responses(answer) if status != 100]
    if probe.answers is not None:
        assert [status for status, _, _ in got] == probe.answers, answer[:300]
        assert [(r.method, r.target, r.body) for r in reached] == probe.reached, (answer[:300], raw[:600])
        settle(proxy, raw_upstream)
        return
    expected = [*probe.reached, (b"GET", b"/last", b"")] if last else probe.reached
    assert [(r.method, r.target, r.body) for r in reached] == expected, (answer[:300], raw[:600])
    assert all(r.framed for r in reached)
    if probe.status is None:
        assert all(status != 200 for status, _, _ in got), answer[:300]
        assert not reached
    elif probe.status == 200:
        assert [status for status, _, _ in got] == [200] * len(expected), answer[:300]
    else:
        assert got and got[-1][0] == probe.status, answer[:300]
        assert b"connection: close" in got[-1][1].lower()
        assert [status for status, _, _ in got[:-1]] == [200] * len(probe.reached), answer[:300]
    for req in reached:
        # re-framed by us: one Content-Length, or our chunking; no hop-by-hop field of the client's
        assert len(req.header(b"content-length")) + len(req.header(b"transfer-encoding")) <= 1
        assert not req.header(b"upgrade") and not req.header(b"expect") and not req.header(b"trailer")
        assert not req.header(b"x-sum")  # a trailer never becomes a header
    assert raw_upstream.mark() == settle_mark
    settle(proxy, raw_upstream)
