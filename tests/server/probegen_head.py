"""The probe classes of the request head (line, fields, Host, hop-by-hop, upgrades, Expect) and
of pipelining; ``probegen`` has the body-framing classes and the whole set."""

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
        ("http12", b"GET /rl HTTP/1.2", b"/rl"),
        ("percent-encoded", b"GET /a%20b HTTP/1.1", b"/a%20b"),
        ("absolute-default-port", b"GET http://x:80/rl HTTP/1.1", b"/rl"),
        ("absolute-https-default-port", b"GET https://X:443/rl HTTP/1.1", b"/rl"),
        ("empty-line-before", b"\r\nGET /rl HTTP/1.1", b"/rl"),
        ("lf-before", b"\nGET /rl HTTP/1.1", b"/rl"),
        ("unknown-method", b"FOO /rl HTTP/1.1", b"/rl"),
    ]
    for label, line, target in ok:
        method = line.lstrip(b"\r\n").split(b" ")[0]
        yield Probe("line-ok", label, line + b"\r\n" + H + b"\r\n", accept(method, target))
    bad: list[tuple[str, bytes, frozenset[int]]] = [
        ("tab-after-method", b"GET\t/rl HTTP/1.1", BAD),
        ("tab-before-version", b"GET /rl\tHTTP/1.1", BAD),
        ("vt-separator", b"GET\x0b/rl HTTP/1.1", BAD),
        ("ff-separator", b"GET /rl\x0cHTTP/1.1", BAD),
        ("nul-separator", b"GET\x00/rl HTTP/1.1", BAD),
        ("leading-space", b" GET /rl HTTP/1.1", BAD),
        ("trailing-space", b"GET /rl HTTP/1.1 ", BAD),
        ("trailing-tab", b"GET /rl HTTP/1.1\t", BAD),
        ("bare-cr-in-target", b"GET /r\rl HTTP/1.1", BAD),
        ("nul-in-target", b"GET /r\x00l HTTP/1.1", BAD),
        ("del-in-target", b"GET /r\x7fl HTTP/1.1", BAD),
        ("ctl-in-target", b"GET /r\x01l HTTP/1.1", BAD),
        ("hash-fragment-ok", b"GET /rl#f HTTP/1.1", frozenset()),
        ("lowercase-version", b"GET /rl http/1.1", BAD),
        ("mixed-version", b"GET /rl Http/1.1", BAD),
        ("version-no-minor", b"GET /rl HTTP/1", BAD),
        ("version-two-digit-minor", b"GET /rl HTTP/1.10", BAD),
        ("version-leading-zero", b"GET /rl HTTP/01.1", BAD),
        ("version-x", b"GET /rl HTTP/1.x", BAD),
        ("version-sp", b"GET /rl HTTP/ 1.1", BAD),
        ("version-missing", b"GET /rl", BAD),
        ("http09-line", b"GET /rl HTTP/0.9", VERSION),
        ("http20", b"GET /rl HTTP/2.0", VERSION),
        ("http30", b"GET /rl HTTP/3.0", VERSION),
        ("http99", b"GET /rl HTTP/9.9", VERSION),
        ("http20-pri", b"PRI * HTTP/2.0", VERSION),
        ("http11-empty-target", b"GET  HTTP/1.1", BAD),
        ("method-paren", b"GE(T /rl HTTP/1.1", BAD),
        ("method-high-byte", b"G\xc3\x89T /rl HTTP/1.1", BAD),
        ("method-nul", b"GE\x00T /rl HTTP/1.1", BAD),
        ("method-colon", b"GET: /rl HTTP/1.1", BAD),
        ("method-slash", b"GE/T /rl HTTP/1.1", BAD),
        ("asterisk-get", b"GET * HTTP/1.1", BAD),
        ("authority-get", b"GET x:80 HTTP/1.1", BAD),
        ("relative", b"GET rl HTTP/1.1", BAD),
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
        ("name-sp-before-colon", b"X-A : v"),
        ("name-tab-before-colon", b"X-A\t: v"),
        ("name-empty", b": v"),
        ("name-inner-space", b"X A: v"),
        ("name-nul", b"X\x00A: v"),
        ("name-ctl", b"X\x01A: v"),
        ("name-del", b"X\x7fA: v"),
        ("name-high-byte", b"X\xc3\xa9: v"),
        ("name-paren", b"X(A): v"),
        ("name-at", b"X@A: v"),
        ("name-brace", b"X{A}: v"),
        ("name-quote", b'X"A: v'),
        ("name-no-colon", b"XA"),
        ("name-leading-space", b" X-A: v"),
        ("value-nul", b"X-A: a\x00b"),
        ("value-ctl", b"X-A: a\x01b"),
        ("value-del", b"X-A: a\x7fb"),
        ("value-bare-cr", b"X-A: a\rb"),
        ("value-bare-lf", b"X-A: a\nb"),
        ("value-vt", b"X-A: a\x0bb"),
        ("value-ff", b"X-A: a\x0cb"),
        ("value-esc", b"X-A: a\x1bb"),
        ("obs-fold-sp", b"X-A: a\r\n b"),
        ("obs-fold-tab", b"X-A: a\r\n\tb"),
        ("obs-fold-empty-first", b"X-A:\r\n b"),
        ("line-bare-lf", b"X-A: a\nX-B: b"),
    ]
    for label, line in bad:
        yield Probe("field-bad", label, request(b"GET", b"/f", line + b"\r\n"), refuse())
    ok = [
        ("value-obs-text", b"X-A: caf\xc3\xa9"),
        ("value-inner-tab", b"X-A: a\tb"),
        ("value-empty", b"X-A:"),
        ("value-only-ows", b"X-A: \t "),
        ("name-tchars", b"X!#$%&'*+.^_`|~A: v"),
        ("no-space", b"X-A:v"),
        ("value-quote-comma", b'X-A: "a, b", c'),
        ("name-underscore", b"X_A: v"),
        ("name-digits", b"1: v"),
        ("value-latin1-byte", b"X-A: \xff"),
        ("value-trailing-ows", b"X-A: v \t"),
    ]
    for label, line in ok:
        yield Probe("field-ok", label, request(b"GET", b"/f", line + b"\r\n"), accept(b"GET", b"/f"))
    yield Probe("field-bad", "head-end-bare-lf", b"GET /f HTTP/1.1\r\n" + H + b"\n", refuse())
    yield Probe("field-bad", "head-end-cr-cr", b"GET /f HTTP/1.1\r\n" + H + b"\r\r\n", refuse())
    yield Probe(
        "field-bad", "head-all-bare-lf", b"GET /f HTTP/1.1\n" + H.replace(b"\r\n", b"\n") + b"\n", refuse()
    )


# -- Host --------------------------------------------------------------------------------------


def hosts() -> Iterator[Probe]:
    bad = [
        ("missing", b""),
        ("two", H + H),
        ("two-differing", b"Host: a\r\nHost: b\r\n"),
        ("empty", b"Host:\r\n"),
        ("space", b"Host: a b\r\n"),
        ("comma", b"Host: a,b\r\n"),
        ("userinfo", b"Host: u@a\r\n"),
        ("slash", b"Host: a/b\r\n"),
        ("backslash", b"Host: a\\b\r\n"),
        ("port-letters", b"Host: a:b\r\n"),
        ("two-ports", b"Host: a:1:2\r\n"),
        ("high-byte", b"Host: \xc3\xa9\r\n"),
        ("ipv6-unclosed", b"Host: [::1\r\n"),
        ("sp-before-colon", b"Host : a\r\n"),
        ("question", b"Host: a?b\r\n"),
        ("hash", b"Host: a#b\r\n"),
    ]
    for label, host in bad:
        yield Probe("host-bad", label, request(b"GET", b"/h", host=host), refuse())
    ok = [
        ("port", b"Host: a.example:8080\r\n"),
        ("ipv6", b"Host: [::1]:80\r\n"),
        ("upper", b"Host: A.EXAMPLE\r\n"),
        ("underscore", b"Host: a_b\r\n"),
        ("trailing-dot", b"Host: a.\r\n"),
        ("ipv4", b"Host: 127.0.0.1\r\n"),
        ("punycode", b"Host: xn--zrich-kva.example\r\n"),
        ("empty-port", b"Host: a:\r\n"),
    ]
    for label, host in ok:
        yield Probe("host-ok", label, request(b"GET", b"/h", host=host), accept(b"GET", b"/h"))
    yield Probe("host-ok", "http10-missing", b"GET /h HTTP/1.0\r\n\r\n", accept(b"GET", b"/h"))
    yield Probe(
        "host-ok",
        "absolute-matches",
        b"GET http://a.example/h HTTP/1.1\r\nHost: a.example\r\n\r\n",
        accept(b"GET", b"/h"),
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


HEAD_CLASSES = (request_line, fields, hosts, hop_by_hop, upgrades, expect, pipelined)
