"""The probe classes of what a request does to its connection: hop-by-hop fields, upgrades,
Expect, pipelining (``probegen`` has the whole set)."""

from __future__ import annotations

from collections.abc import Iterator

from tests.server.probekit import (
    BAD,
    HELLO,
    NOT_IMPLEMENTED,
    VERSION,
    H,
    Probe,
    Want,
    accept,
    refuse,
    request,
)

# -- hop-by-hop abuse, upgrades, Expect --------------------------------------------------------


def hop_by_hop() -> Iterator[Probe]:
    for label, value in [
        ("content-length", b"Content-Length"),
        ("transfer-encoding", b"Transfer-Encoding"),
        ("te-host", b"Transfer-Encoding, Host"),
        ("host", b"Host"),
        ("close-cl", b"close, Content-Length"),
        ("upper", b"CONTENT-LENGTH"),
        ("tab-list", b"keep-alive,\tcontent-length"),
    ]:
        fields_ = b"Connection: " + value + b"\r\nContent-Length: 5\r\n"
        yield Probe("hop-by-hop", label, request(target=b"/hh", fields=fields_, body=b"hello"), refuse())
    for label, value in [
        ("keep-alive", b"keep-alive"),
        ("close-upper", b"Close"),
        ("x-custom", b"X-Foo"),
        ("te-trailers", b"TE"),
    ]:
        fields_ = b"Connection: " + value + b"\r\nContent-Length: 5\r\n"
        yield Probe(
            "hop-by-hop-ok",
            label,
            request(target=b"/hh", fields=fields_, body=b"hello"),
            accept(b"POST", b"/hh", b"hello"),
        )


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
    yield Probe(
        "upgrade",
        "websocket-with-body",
        request(
            target=b"/ws",
            fields=b"Upgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 5\r\n",
            body=b"hello",
        ),
        refuse({400, 501}),
    )
    ws = b"Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    # an upgrade that frames a body: where the body ends and the new protocol begins is ambiguous
    for label, connection, framing, body in [
        ("websocket-get-cl", b"Upgrade", b"Content-Length: 5\r\n", b"hello"),
        ("websocket-get-chunked", b"Upgrade", b"Transfer-Encoding: chunked\r\n", HELLO),
        ("websocket-keep-alive-list-cl", b"keep-alive, Upgrade", b"Content-Length: 5\r\n", b"hello"),
        ("h2c-get-chunked", b"Upgrade, HTTP2-Settings", b"Transfer-Encoding: chunked\r\n" + settings, HELLO),
    ]:
        head = ws if label.startswith("websocket") else b"Upgrade: h2c\r\n"
        yield Probe(
            "upgrade-body",
            label,
            request(b"GET", b"/ws", head + b"Connection: " + connection + b"\r\n" + framing, body),
            refuse(),
        )
    # RFC 9110 §7.8: an Upgrade in HTTP/1.0 is ignored: a plain GET, answered, then closed
    yield Probe(
        "upgrade-ok",
        "websocket-http10",
        request(b"GET", b"/up", ws + b"Connection: Upgrade\r\n", version=b"HTTP/1.0"),
        accept(b"GET", b"/up"),
    )
    # no "Connection: upgrade": the Upgrade field asks for nothing and is dropped
    yield Probe(
        "upgrade-ok",
        "h2c-no-connection",
        request(b"GET", b"/up", b"Upgrade: h2c\r\n" + settings),
        accept(b"GET", b"/up"),
    )


def expect() -> Iterator[Probe]:
    cl5 = b"Content-Length: 5\r\n"
    ok = [
        ("continue", b"Expect: 100-continue\r\n" + cl5, b"hello"),
        ("continue-case", b"Expect: 100-Continue\r\n" + cl5, b"hello"),
        ("continue-no-body", b"Expect: 100-continue\r\n", b""),
        ("continue-chunked", b"Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n", HELLO),
    ]
    for label, head, body in ok:
        yield Probe(
            "expect-ok",
            label,
            request(target=b"/ex", fields=head, body=body),
            accept(b"POST", b"/ex", b"hello" if body else b""),
        )
    yield Probe(
        "expect-ok",
        "http10-ignored",
        request(target=b"/ex", fields=b"Expect: 100-continue\r\n" + cl5, body=b"hello", version=b"HTTP/1.0"),
        accept(b"POST", b"/ex", b"hello"),
    )
    # RFC 9110 §10.1.1: a server MAY answer 417; nginx forwards, and so do we (without the field)
    yield Probe(
        "expect-ok",
        "unknown",
        request(target=b"/ex", fields=b"Expect: foo\r\n" + cl5, body=b"hello"),
        accept(b"POST", b"/ex", b"hello"),
    )
    yield Probe(
        "expect-bad",
        "cl-te",
        request(
            target=b"/ex",
            fields=b"Expect: 100-continue\r\n" + cl5 + b"Transfer-Encoding: chunked\r\n",
            body=b"hello",
        ),
        refuse(),
    )


def pipelined() -> Iterator[Probe]:
    """Requests in one write: each read as it would be alone (a request line llhttp needs
    rewritten included), and nothing after a refusal."""
    good = [
        (b"GET", b"/p1", b"", request(b"GET", b"/p1")),
        (b"POST", b"/p1", b"hello", request(target=b"/p1", fields=b"Content-Length: 5\r\n", body=b"hello")),
        (
            b"POST",
            b"/p1",
            b"hello",
            request(target=b"/p1", fields=b"Transfer-Encoding: chunked\r\n", body=HELLO),
        ),
    ]
    second = [
        ("utf8", "GET /wiki/Zürich HTTP/1.1".encode(), b"GET", "/wiki/Zürich".encode()),
        ("method", b"FOO /p2 HTTP/1.1", b"FOO", b"/p2"),
        ("space", b"GET /p 2 HTTP/1.1", b"GET", b"/p%202"),
        ("http12", b"GET /p2 HTTP/1.2", b"GET", b"/p2"),
        ("lower-method", b"get /p2 HTTP/1.1", b"get", b"/p2"),
        ("absolute", b"GET http://x/p2 HTTP/1.1", b"GET", b"/p2"),
        ("empty-line-before", b"\r\nGET /p2 HTTP/1.1", b"GET", b"/p2"),
    ]
    for method, target, body, first in good:
        kind = {b"": "get", b"hello": "cl"}.get(body, "cl") if b"chunked" not in first else "chunked"
        for label, line, m2, t2 in second:
            yield Probe(
                "pipelined",
                f"{kind}-then-{label}",
                first + line + b"\r\n" + H + b"\r\n",
                Want(reached=((method, target, body), (m2, t2, b""))),
            )
    yield Probe(
        "pipelined",
        "three-utf8",
        request(b"GET", b"/p1")
        + "GET /é2 HTTP/1.1\r\n".encode()
        + H
        + b"\r\n"
        + "GET /é3 HTTP/1.1\r\n".encode()
        + H
        + b"\r\n",
        Want(reached=((b"GET", b"/p1", b""), (b"GET", "/é2".encode(), b""), (b"GET", "/é3".encode(), b""))),
    )
    utf8 = "GET /é2 HTTP/1.1\r\n".encode() + H + b"\r\n"
    # the walk to the next request through every framing llhttp accepted
    chunky = b'5;a="x;y"\r\nhello\r\n000\r\nX-T: 1\r\nX-U: 2\r\n\r\n'
    for label, first, body in [
        (
            "chunked-ext-trailers",
            request(target=b"/p1", fields=b"Transfer-Encoding: chunked\r\n", body=chunky),
            b"hello",
        ),
        (
            "cl-leading-zero",
            request(target=b"/p1", fields=b"Content-Length: 005\r\n", body=b"hello"),
            b"hello",
        ),
        (
            "cl-body-looks-like-head",
            request(target=b"/p1", fields=b"Content-Length: 8\r\n", body=b"\r\n\r\nGET "),
            b"\r\n\r\nGET ",
        ),
    ]:
        yield Probe(
            "pipelined",
            label + "-then-utf8",
            first + utf8,
            Want(reached=((b"POST", b"/p1", body), (b"GET", "/é2".encode(), b""))),
        )
    # nothing after a request that closes the connection is read, rewritten or not
    yield Probe(
        "pipelined",
        "close-then-utf8",
        request(b"GET", b"/p1", b"Connection: close\r\n") + utf8,
        Want(reached=((b"GET", b"/p1", b""),)),
    )
    bad = [
        (
            "cl-te",
            request(
                target=b"/x",
                fields=b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n",
                body=b"0\r\n\r\nG",
            ),
            BAD,
        ),
        ("bad-chunk", request(target=b"/x", fields=b"Transfer-Encoding: chunked\r\n", body=b"zz\r\n"), BAD),
        ("obs-fold", request(b"GET", b"/x", b"X: a\r\n b\r\n"), BAD),
        ("no-host", b"GET /x HTTP/1.1\r\n\r\n", BAD),
        ("utf8-bare-lf", "GET /é HTTP/1.1\n".encode() + H + b"\r\n", BAD),
        ("method-nul", b"G\x00T /x HTTP/1.1\r\n" + H + b"\r\n", BAD),
        ("http30", b"GET /x HTTP/3.0\r\n" + H + b"\r\n", VERSION),
        (
            "te-gzip-chunked",
            request(target=b"/x", fields=b"Transfer-Encoding: gzip, chunked\r\n", body=HELLO),
            NOT_IMPLEMENTED,
        ),
    ]
    for label, data, statuses in bad:
        yield Probe(
            "pipelined-refused",
            f"get-then-{label}",
            request(b"GET", b"/p1") + data,
            refuse(statuses, ((b"GET", b"/p1", b""),)),
        )
    yield Probe(
        "pipelined-refused",
        "utf8-then-bad",
        "GET /é1 HTTP/1.1\r\n".encode() + H + b"\r\n" + b"GET /x HTTP/1.1\r\n\r\n",
        refuse(BAD, ((b"GET", "/é1".encode(), b""),)),
    )
    # a request smuggled in a refused request's body is never read as a request
    yield Probe(
        "pipelined-refused",
        "smuggled-in-body",
        request(
            target=b"/x",
            fields=b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
            body=b"5c\r\n" + request(b"GET", b"/admin") + b"\r\n0\r\n\r\n",
        ),
        refuse(),
    )


FLOW_CLASSES = (hop_by_hop, upgrades, expect, pipelined)
