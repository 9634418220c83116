"""IP sets as pytricia radix trees: lookup cost does not grow with the number of CIDRs.

One tree per address family. An IPv4-mapped IPv6 client (``::ffff:192.0.2.1``, what a dual-stack
socket reports) is looked up as the IPv4 address it carries, as AWS WAF sees it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

import pytricia  # type: ignore[import-not-found]


class IpTrie:
    """Immutable after construction: a set of CIDRs answering ``ip in trie`` in O(prefix length)."""

    __slots__ = ("_v4", "_v6", "_size")

    def __init__(self, cidrs: Iterable[str]) -> None:
        self._v4 = pytricia.PyTricia(32)
        self._v6 = pytricia.PyTricia(128)
        size = 0
        for cidr in cidrs:
            tree = self._v6 if ":" in cidr else self._v4
            tree[cidr] = True
            size += 1
        self._size = size

    def __len__(self) -> int:
        return self._size

    def __contains__(self, ip: str) -> bool:
        return self.contains(ip)

    def contains(self, ip: str) -> bool:
        """True when ``ip`` (a literal address) falls in any CIDR; False for non-addresses."""
        try:
            if ":" in ip:
                if ip.startswith("::ffff:") and "." in ip:
                    return self._v4.get_key(ip[7:]) is not None
                return self._v6.get_key(ip) is not None
            return self._v4.get_key(ip) is not None
        except (ValueError, KeyError, TypeError):
            return False


@lru_cache(maxsize=4096)
def parse_ip(text: str) -> str | None:
    """The canonical form of an IP literal (headers are attacker input), or None when invalid.

    Cached (bounded LRU, C-implemented): the same few client addresses arrive again and again,
    and ``ipaddress`` parsing costs several microseconds; an attacker cycling addresses only
    evicts entries.
    """
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)  # a dual-stack socket's view of an IPv4 client
    return str(addr)
