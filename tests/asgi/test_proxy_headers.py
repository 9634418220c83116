"""Header rules of the proxy as tables: hop-by-hop stripping (RFC 9110 §7.6.1) and Host parsing."""

from __future__ import annotations

import pytest

from wafproxy.asgi.hop_by_hop import connection_tokens, strip_hop_by_hop
from wafproxy.asgi.upstream_routes import host_of

H = list[tuple[bytes, bytes]]

STRIP_CASES: list[tuple[str, H, H]] = [
    ("nothing-to-strip", [(b"accept", b"*/*")], [(b"accept", b"*/*")]),
    (
        "fixed-set",
        [
            (b"Connection", b"keep-alive"),
            (b"Keep-Alive", b"timeout=5"),
            (b"TE", b"trailers"),
            (b"Transfer-Encoding", b"chunked"),
            (b"Upgrade", b"h2c"),
            (b"Trailer", b"x"),
            (b"Proxy-Connection", b"keep-alive"),
            (b"Proxy-Authorization", b"Basic eA=="),
            (b"Proxy-Authenticate", b"Basic"),
            (b"X-Kept", b"1"),
        ],
        [(b"x-kept", b"1")],
    ),
    (
        "named-in-connection-any-case",
        [(b"connection", b"close, X-Hop ,x-other"), (b"x-hop", b"1"), (b"X-Other", b"2"), (b"X-Kept", b"3")],
        [(b"x-kept", b"3")],
    ),
    (
        "several-connection-headers",
        [(b"connection", b"x-a"), (b"connection", b"x-b"), (b"x-a", b"1"), (b"x-b", b"2"), (b"x-c", b"3")],
        [(b"x-c", b"3")],
    ),
    (
        "order-and-duplicates-kept",
        [(b"x", b"1"), (b"y", b"2"), (b"x", b"3")],
        [(b"x", b"1"), (b"y", b"2"), (b"x", b"3")],
    ),
]


@pytest.mark.parametrize(("given", "kept"), [c[1:] for c in STRIP_CASES], ids=[c[0] for c in STRIP_CASES])
def test_strip_hop_by_hop(given: H, kept: H) -> None:
    assert strip_hop_by_hop(given) == kept


def test_connection_options_are_not_header_names() -> None:
    assert connection_tokens([b"close", b"keep-alive, , Upgrade"]) == frozenset({b"upgrade"})


@pytest.mark.parametrize(
    ("value", "host"),
    [
        (b"Example.COM", "example.com"),
        (b"example.com:8080", "example.com"),
        (b"[::1]:8443", "::1"),
        (b"[2001:DB8::1]", "2001:db8::1"),
        (b"", ""),
    ],
)
def test_host_of(value: bytes, host: str) -> None:
    assert host_of(value) == host
