"""The probe classes of the request head: its line, its fields, Host. ``probegen`` has the
body-framing classes and the whole set, ``probegen_flow`` the connection's (hop-by-hop fields,
upgrades, Expect, pipelining)."""

from __future__ import annotations

from collections.abc import Iterator

from tests.server.probekit import (
    BAD,
    VERSION,
    H,
    Probe,
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


HEAD_CLASSES = (request_line, fields, hosts)
