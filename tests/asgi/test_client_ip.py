"""Client IP resolution: one row per edge case of wafproxy/asgi/client_ip.py's docstring."""

from __future__ import annotations

import pytest

from wafproxy.asgi.client_ip import MAX_HOPS, TrustedProxies, parse_hop

TRUSTED = ["127.0.0.2/32", "10.0.0.0/8", "fd00::/8"]

# (case id, trusted cidrs, peer, x-forwarded-for header values, expected client ip)
CASES = [
    ("no-xff", TRUSTED, "127.0.0.2", [], "127.0.0.2"),
    ("untrusted-peer-ignores-xff", TRUSTED, "127.0.0.3", ["1.2.3.4"], "127.0.0.3"),
    ("untrusted-peer-ignores-xff-even-if-trusted-looking", TRUSTED, "8.8.8.8", ["10.0.0.1"], "8.8.8.8"),
    ("trusted-peer-one-hop", TRUSTED, "127.0.0.2", ["1.2.3.4"], "1.2.3.4"),
    ("rightmost-untrusted-wins", TRUSTED, "127.0.0.2", ["6.6.6.6, 1.2.3.4, 10.1.1.1"], "1.2.3.4"),
    ("spoofed-left-ignored", TRUSTED, "10.9.9.9", ["evil, 5.5.5.5, 10.0.0.7"], "5.5.5.5"),
    ("all-trusted-leftmost", TRUSTED, "127.0.0.2", ["10.0.0.1, 10.0.0.2"], "10.0.0.1"),
    ("several-header-lines-joined", TRUSTED, "127.0.0.2", ["1.1.1.1", "2.2.2.2, 10.0.0.3"], "2.2.2.2"),
    ("invalid-rightmost-stops-at-peer", TRUSTED, "127.0.0.2", ["1.2.3.4, garbage"], "127.0.0.2"),
    ("invalid-stops-at-last-good-hop", TRUSTED, "127.0.0.2", ["1.2.3.4, unknown, 10.0.0.5"], "10.0.0.5"),
    ("empty-entry-stops", TRUSTED, "127.0.0.2", ["1.2.3.4,,10.0.0.5"], "10.0.0.5"),
    ("v4-with-port", TRUSTED, "127.0.0.2", ["1.2.3.4:5678"], "1.2.3.4"),
    ("v6-bracketed-port", TRUSTED, "127.0.0.2", ["[2001:db8::1]:443"], "2001:db8::1"),
    ("v6-plain", TRUSTED, "127.0.0.2", ["2001:db8::1"], "2001:db8::1"),
    ("v6-normalised", TRUSTED, "127.0.0.2", ["2001:DB8:0:0::1"], "2001:db8::1"),
    ("v6-trusted-peer", TRUSTED, "fd00::1", ["fd00::2, 9.9.9.9"], "9.9.9.9"),
    ("v4-mapped-peer-trusted", TRUSTED, "::ffff:127.0.0.2", ["1.2.3.4"], "1.2.3.4"),
    ("v4-mapped-hop-reported-as-v4", TRUSTED, "127.0.0.2", ["::ffff:1.2.3.4"], "1.2.3.4"),
    ("nothing-trusted", [], "127.0.0.2", ["1.2.3.4"], "127.0.0.2"),
    ("trust-all-is-leftmost", ["*"], "8.8.8.8", ["1.2.3.4, 5.6.7.8"], "1.2.3.4"),
    ("peer-not-an-address", TRUSTED, "unix-socket", ["1.2.3.4"], "unix-socket"),
]


@pytest.mark.parametrize(
    ("trusted", "peer", "xff", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_resolve(trusted: list[str], peer: str, xff: list[str], expected: str) -> None:
    assert TrustedProxies(trusted).resolve(peer, xff) == expected


def test_walk_is_bounded() -> None:
    """A 10 000-hop header costs MAX_HOPS parses; the answer is the left-most hop examined."""
    chain = ", ".join(f"10.0.{i // 256 % 256}.{i % 256}" for i in range(10_000))
    resolved = TrustedProxies(TRUSTED).resolve("127.0.0.2", [chain])
    assert resolved == chain.split(", ")[-MAX_HOPS]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (" 1.2.3.4 ", "1.2.3.4"),
        ("1.2.3.4:80", "1.2.3.4"),
        ("[::1]", "::1"),
        ("[::1]:80", "::1"),
        ("[::1", None),
        ("", None),
        ("unknown", None),
        ("1.2.3.256", None),
        ("_hidden", None),
    ],
)
def test_parse_hop(entry: str, expected: str | None) -> None:
    assert parse_hop(entry) == expected


def test_bad_cidr_names_its_index() -> None:
    with pytest.raises(ValueError, match=r"trusted_proxies\[1\].*'nope'"):
        TrustedProxies(["10.0.0.0/8", "nope"])


def test_resolve_scope_reads_asgi_headers() -> None:
    trusted = TrustedProxies(["127.0.0.2"])
    scope = {"client": ("127.0.0.2", 5000), "headers": [(b"x-forwarded-for", b"192.0.2.1")]}
    assert trusted.resolve_scope(scope) == "192.0.2.1"
    assert trusted.resolve_scope({**scope, "client": ("127.0.0.3", 5000)}) == "127.0.0.3"
    assert trusted.resolve_scope({**scope, "client": None}) == ""
