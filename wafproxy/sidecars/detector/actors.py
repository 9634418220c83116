"""Who an actor is, and the bounded table of what the detector remembers about each.

An actor is a client address; IPv6 clients are aggregated per /64 (one subscriber usually owns a
whole /64, and an attacker rotating addresses inside it stays one actor). Optionally a session
cookie or API key header names the actor instead, so users behind one NAT address are told apart
(see docs/detector.md for the trade-off: a client choosing its own key can split itself).

The table is an LRU of at most ``max_actors`` entries: a flood of distinct addresses evicts the
least recently seen actors, never grows memory past the bound (bans live in the gate, not here).
"""

from __future__ import annotations

import hashlib
import socket
from collections import OrderedDict
from typing import Any

_V6_CACHE_MAX = 4096


class ActorKeys:
    """Turns a client address (and optional credential) into the actor key, cheaply.

    IPv4 addresses are their own key; IPv6 is cut to its /64 through ``inet_pton`` (ten times
    cheaper than ``ipaddress``), with a small bounded memo for the addresses seen most.
    """

    __slots__ = ("_v6",)

    def __init__(self) -> None:
        self._v6: dict[str, str] = {}

    def of_ip(self, ip: str) -> str:
        if ":" not in ip:
            return ip
        cached = self._v6.get(ip)
        if cached is not None:
            return cached
        try:
            packed = socket.inet_pton(socket.AF_INET6, ip)
        except OSError:
            return ip  # not an address (a unit test's "client"): itself
        if packed[:12] == b"\x00" * 10 + b"\xff\xff":  # IPv4-mapped: the IPv4 address
            key = socket.inet_ntop(socket.AF_INET, packed[12:])
        else:
            key = socket.inet_ntop(socket.AF_INET6, packed[:8] + b"\x00" * 8) + "/64"
        if len(self._v6) >= _V6_CACHE_MAX:
            self._v6.clear()
        self._v6[ip] = key
        return key


def credential_actor(kind: str, value: str) -> str:
    """``session:<hash>``: never the credential itself (findings and logs must not carry it)."""
    return f"{kind}:{hashlib.sha256(value.encode('utf-8', 'replace')).hexdigest()[:16]}"


class Actor:
    """What the detector keeps about one actor: counters and the scenarios' buckets (lazily)."""

    __slots__ = ("key", "ip", "first_seen", "last_seen", "requests", "state")

    def __init__(self, key: str, ip: str, now: float) -> None:
        self.key = key
        self.ip = ip  # the last address it used: what a ban applies to
        self.first_seen = now
        self.last_seen = now
        self.requests = 0
        self.state: dict[str, Any] = {}


class ActorTable:
    """``max_actors`` most recently seen actors; ``evicted`` counts the ones pushed out."""

    def __init__(self, max_actors: int) -> None:
        if max_actors < 1:
            raise ValueError("max_actors must be >= 1")
        self.max_actors = max_actors
        self._actors: OrderedDict[str, Actor] = OrderedDict()
        self.evicted = 0

    def touch(self, key: str, ip: str, now: float) -> Actor:
        actors = self._actors
        actor = actors.get(key)
        if actor is None:
            if len(actors) >= self.max_actors:
                actors.popitem(last=False)
                self.evicted += 1
            actor = actors[key] = Actor(key, ip, now)
        else:
            actors.move_to_end(key)
            actor.ip = ip
        actor.last_seen = now
        actor.requests += 1
        return actor

    def get(self, key: str) -> Actor | None:
        return self._actors.get(key)

    def __len__(self) -> int:
        return len(self._actors)
