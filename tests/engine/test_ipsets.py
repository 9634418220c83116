"""IP sets: normalisation as AWS stores CIDRs, v4/v6 separation, mapped addresses, errors."""

from __future__ import annotations

import socket

import pytest

from wafproxy.engine import WebAclError
from wafproxy.engine.doc import Node
from wafproxy.engine.ipsets import IpTrie, parse_ip
from wafproxy.engine.model import normalize_cidr, parse_ip_set


@pytest.mark.parametrize(
    ("text", "family", "expected"),
    [
        ("10.1.2.3/8", socket.AF_INET, "10.0.0.0/8"),
        ("10.1.2.3", socket.AF_INET, "10.1.2.3/32"),
        ("0.0.0.0/0", socket.AF_INET, "0.0.0.0/0"),
        ("2001:DB8::1/32", socket.AF_INET6, "2001:db8::/32"),
        ("2001:db8::1", socket.AF_INET6, "2001:db8::1/128"),
        ("1.2.3.4/33", socket.AF_INET, None),
        ("1.2.3.4/", socket.AF_INET, None),
        ("1.2.3.4/-1", socket.AF_INET, None),
        ("256.1.1.1", socket.AF_INET, None),
        ("2001:db8::1", socket.AF_INET, None),
        ("1.2.3.4", socket.AF_INET6, None),
    ],
)
def test_normalize_cidr(text, family, expected):
    assert normalize_cidr(text, family) == expected


def test_parse_ip_set_errors_carry_the_index():
    with pytest.raises(WebAclError) as err:
        parse_ip_set(
            Node({"Name": "s", "IPAddressVersion": "IPV6", "Addresses": ["2001:db8::/32", "10.0.0.0/8"]})
        )
    assert err.value.path == "$.Addresses[1]" and "not an IPV6 address" in err.value.reason


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("10.200.0.1", True),
        ("11.0.0.1", False),
        ("::ffff:10.0.0.1", True),
        ("2001:db8:0:1::5", True),
        ("2001:db9::5", False),
        ("not-an-ip", False),
        ("", False),
    ],
)
def test_trie_membership(ip, expected):
    trie = IpTrie(["10.0.0.0/8", "2001:db8::/48"])
    assert trie.contains(ip) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" 192.0.2.1 ", "192.0.2.1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("x", None),
    ],
)
def test_parse_ip(text, expected):
    assert parse_ip(text) == expected
