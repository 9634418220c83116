"""Who is the client? The socket peer, unless the peer is a proxy we trust to tell us.

Modelled on uvicorn's ``middleware/proxy_headers.py``. The trusted networks are parsed once into
pytricia radix trees. ``resolve`` walks X-Forwarded-For right to left, because each proxy appends
the address it received the request from: the right-most entries were written by our own trusted
proxies, and the first untrusted hop is the closest address nobody we trust could have forged.
Everything further left is client-supplied and may be invented, so it is never used.

Edge cases (each a row in tests/asgi/test_client_ip.py):
- an untrusted peer's X-Forwarded-For is ignored entirely (else anyone could pick their own IP);
- every hop trusted -> the left-most hop (a request that originated inside our proxy tier);
- an entry that is not an IP address (``unknown``, empty, garbage) ends the walk: we answer with
  the last good hop to its right (a trusted proxy) or the peer, never with anything to its left;
- ports (``1.2.3.4:80``, ``[::1]:80``) are removed, IPv4-mapped IPv6 is reported as IPv4;
- at most ``MAX_HOPS`` entries are examined so a huge header costs bounded work.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytricia

MAX_HOPS = 32


def parse_hop(entry: str) -> str | None:
    """A normalised IP address from one X-Forwarded-For entry, or None if it is not one."""
    entry = entry.strip()
    if entry.startswith("["):  # [v6] or [v6]:port (RFC 7239 style)
        end = entry.find("]")
        if end < 0:
            return None
        entry = entry[1:end]
    elif entry.count(":") == 1:  # v4:port
        entry = entry.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(entry)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


class TrustedProxies:
    """The networks whose X-Forwarded-For we believe. ``"*"`` trusts every peer (tests, sidecars).

    Raises ``ValueError`` naming the entry for anything that is not an address or a CIDR.
    """

    __slots__ = ("_v4", "_v6", "_all", "cidrs")

    def __init__(self, cidrs: Iterable[str] = ()) -> None:
        self.cidrs = tuple(cidrs)
        self._all = "*" in self.cidrs
        self._v4 = pytricia.PyTricia(32)
        self._v6 = pytricia.PyTricia(128)
        for index, cidr in enumerate(self.cidrs):
            if cidr == "*":
                continue
            try:
                network = ipaddress.ip_network(cidr.strip(), strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies[{index}]: not an IP address or CIDR: {cidr!r}") from None
            tree = self._v4 if network.version == 4 else self._v6
            tree[str(network)] = True
            if isinstance(network, ipaddress.IPv4Network):
                # The same peer may show up as ::ffff:a.b.c.d on a dual-stack listener.
                mapped = f"::ffff:{network.network_address}/{96 + network.prefixlen}"
                self._v6[mapped] = True

    def __bool__(self) -> bool:
        return self._all or len(self._v4) > 0 or len(self._v6) > 0

    def is_trusted(self, ip: str) -> bool:
        if self._all:
            return True
        try:
            return (self._v6 if ":" in ip else self._v4).get(ip) is not None
        except ValueError:
            return False  # not an address at all

    def resolve(self, peer_ip: str, x_forwarded_for: Sequence[str] = ()) -> str:
        """The client IP: ``peer_ip``, or when it is trusted, the right-most untrusted XFF hop."""
        if not x_forwarded_for or not self.is_trusted(peer_ip):
            return peer_ip
        chain = ",".join(x_forwarded_for).split(",")
        result = peer_ip
        for entry in reversed(chain[-MAX_HOPS:]):
            hop = parse_hop(entry)
            if hop is None:
                return result  # a broken chain: nothing to the left of here can be believed
            if not self.is_trusted(hop):
                return hop
            result = hop
        return result

    def resolve_scope(self, scope: Mapping[str, Any]) -> str:
        """The client IP of an ASGI HTTP/WebSocket scope (``""`` when there is no socket peer)."""
        client = scope.get("client")
        peer = str(client[0]) if client else ""
        if not self:
            return peer
        values = [value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"]
        return self.resolve(peer, values)
