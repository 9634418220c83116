"""The server's one-pass upstream head (``forwarding.forward_lines`` + ``upstream_write.compose_head``)
is byte for byte what ``upstream_headers`` + ``serialize_head`` write, for every shape of request a
peer that is not a trusted proxy sends; and it refuses what they refuse."""

from __future__ import annotations

import itertools

import pytest

from wafproxy.asgi.client_ip import TrustedProxies
from wafproxy.asgi.forwarding import Via, forward_lines, upstream_headers
from wafproxy.asgi.upstream_write import compose_head, serialize_head

Headers = list[tuple[bytes, bytes]]

HEADER_SETS: list[Headers] = [
    [(b"host", b"shop.example"), (b"user-agent", b"Mozilla/5.0"), (b"accept", b"*/*")],
    [(b"user-agent", b"curl")],  # HTTP/1.0: no Host
    [(b"host", b"a"), (b"content-length", b"3"), (b"content-type", b"text/plain")],
    [(b"host", b"a"), (b"transfer-encoding", b"chunked"), (b"content-type", b"text/plain")],
    [(b"host", b"a"), (b"connection", b"keep-alive"), (b"keep-alive", b"timeout=5"), (b"te", b"trailers")],
    [(b"host", b"a"), (b"connection", b"Close"), (b"expect", b"100-continue"), (b"upgrade", b"h2c")],
    [(b"host", b'we"ird\\host'), (b"x-forwarded-for", b"6.6.6.6"), (b"forwarded", b"for=6.6.6.6"),
     (b"x-forwarded-proto", b"https"), (b"x-forwarded-host", b"evil"), (b"x-real-ip", b"1.1.1.1")],
    [(b"host", b"a"), (b"proxy-authorization", b"Basic c2VjcmV0"), (b"trailer", b"x"),
     (b"proxy-connection", b"keep-alive"), (b"cookie", b"a=1"), (b"cookie", b"b=2")],
    [(b"host", b"a"), (b"x-amzn-waf-checked", b"yes")],  # an inserted header, after the client's
]


@pytest.mark.parametrize(("headers", "peer", "scheme", "preserve", "method", "body"), [
    (h, peer, scheme, preserve, method, body)
    for h, peer, scheme, preserve, (method, body) in itertools.product(
        HEADER_SETS, ["127.0.0.1", "2001:db8::7"], ["http", "https"], [True, False],
        [("GET", b""), ("POST", b""), ("POST", b"abc"), ("DELETE", b"x" * 70)])
])
def test_the_one_pass_head_is_the_general_one(headers: Headers, peer: str, scheme: str, preserve: bool,
                                              method: str, body: bytes) -> None:
    out, _ = upstream_headers(headers, peer=peer, scheme=scheme, upstream_host=b"up:8080",
                              preserve_host=preserve, trusted=TrustedProxies([]), client_ip=peer)
    general, chunked = serialize_head(method, b"/p/a?q=1", out, body, b"/base", b"up:8080")
    lines = forward_lines(headers, Via(peer, scheme), b"up:8080", preserve)
    assert lines is not None
    assert compose_head(method, b"/p/a?q=1", b"/base", *lines, body) == general
    assert not chunked


def test_a_connection_field_naming_fields_goes_the_general_way() -> None:
    headers = [(b"host", b"a"), (b"connection", b"keep-alive, x-drop"), (b"x-drop", b"1")]
    assert forward_lines(headers, Via("127.0.0.1", "http"), b"up", True) is None


@pytest.mark.parametrize(("target", "headers"), [
    (b"*", [(b"host", b"a")]),
    (b"/a b", [(b"host", b"a")]),
    (b"/a\x7f", [(b"host", b"a")]),
    (b"/a", [(b"host", b"a"), (b"x-a", b"1\r\nx-injected: 1")]),
    (b"/a", [(b"host", b"a\nb")]),
    (b"/a", [(b"x\r\nname", b"1"), (b"host", b"a")]),
])
def test_the_one_pass_head_refuses_what_the_general_one_refuses(target: bytes, headers: Headers) -> None:
    out, _ = upstream_headers(headers, peer="127.0.0.1", scheme="http", upstream_host=b"up",
                              preserve_host=True, trusted=TrustedProxies([]), client_ip="127.0.0.1")
    with pytest.raises(ValueError):
        serialize_head("GET", target, out, b"", b"", b"up")
    lines = forward_lines(headers, Via("127.0.0.1", "http"), b"up", True)
    assert lines is not None
    with pytest.raises(ValueError):
        compose_head("GET", target, b"", *lines, b"")
