"""``BanGate.count`` without a walk of the table answers what the walk did, and every other method
of the gate answers as before: checked against a reference gate that walks its table for
everything (the gate's behaviour before the expiry heaps), over random operation sequences with
a controllable clock (ties, expiries, extensions, lifts, a full table, the clock going back)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from wafproxy.ports import GateBlock
from wafproxy.sidecars.detector.actors import ActorKeys
from wafproxy.sidecars.detector.gate import BanGate


@dataclass(slots=True)
class _RefBan:
    key: str
    until: float
    block: GateBlock
    finding_type: str
    ip: str


class WalkedGate:
    """The reference: a dict walked on every count, make-room and listing."""

    def __init__(self, max_bans: int) -> None:
        self.max_bans = max_bans
        self.keys = ActorKeys()
        self.bans: dict[str, _RefBan] = {}
        self.refused = 0

    def verdict(self, client_ip: str, now: float) -> GateBlock | None:
        ban = self.bans.get(self.keys.of_ip(client_ip))
        if ban is None:
            return None
        if ban.until <= now:
            del self.bans[ban.key]
            return None
        self.refused += 1
        block = ban.block
        if block.status != 429:
            return block
        return GateBlock(block.status, block.reason, int(ban.until - now) + 1)

    def ban(self, ip: str, until: float, block: GateBlock, finding_type: str, now: float) -> _RefBan:
        key = self.keys.of_ip(ip)
        existing = self.bans.get(key)
        if existing is not None and existing.until >= until:
            return existing
        if existing is None and len(self.bans) >= self.max_bans:
            for k in [k for k, b in self.bans.items() if b.until <= now]:
                del self.bans[k]
            if len(self.bans) >= self.max_bans:
                del self.bans[min(self.bans.values(), key=lambda b: b.until).key]  # first among equals
        ban = self.bans[key] = _RefBan(key, until, block, finding_type, ip)  # an extension keeps its place
        return ban

    def current(self, key: str, now: float) -> _RefBan | None:
        ban = self.bans.get(key)
        return ban if ban is not None and ban.until > now else None

    def lift(self, ip_or_key: str) -> bool:
        key = self.keys.of_ip(ip_or_key.removesuffix("/32")) if not ip_or_key.endswith("/64") else ip_or_key
        return self.bans.pop(key, None) is not None

    def active(self, now: float) -> list[_RefBan]:
        return [b for b in self.bans.values() if b.until > now]

    def count(self, now: float) -> int:
        return sum(1 for b in self.bans.values() if b.until > now)


def _view(ban: object | None) -> tuple[object, ...] | None:
    if ban is None:
        return None
    return (ban.key, ban.until, ban.block, ban.finding_type, ban.ip)  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", range(8))
def test_every_answer_matches_a_walk_of_the_table(seed: int) -> None:
    rng = random.Random(seed)
    max_bans = rng.choice((5, 20, 60))
    gate, ref = BanGate(max_bans=max_bans), WalkedGate(max_bans)
    blocks = (GateBlock(403, "banned"), GateBlock(429, "slow down"))
    ips = [f"10.0.0.{i}" for i in range(40)] + [f"2001:db8:0:{i}::{j}" for i in range(8) for j in (1, 2)]
    now = 1000.0
    for step in range(4000):
        r = rng.random()
        if r < 0.02:
            now -= rng.choice((0.5, 3.0, 20.0))  # the clock goes back
        else:
            now += rng.choice((0.0, 0.0, 0.5, 1.0, 4.0))  # ties of ``until`` on purpose
        ip = rng.choice(ips)
        op = rng.random()
        if op < 0.35:
            until = now + rng.choice((-1.0, 0.0, 1.0, 2.0, 5.0, 10.0))  # already expired too
            block = rng.choice(blocks)
            assert _view(gate.ban(ip, until, block, "t", now)) == _view(ref.ban(ip, until, block, "t", now))
        elif op < 0.45:
            name = rng.choice((ip, ip + "/32", ref.keys.of_ip(ip)))
            assert gate.lift(name) == ref.lift(name), step
        elif op < 0.6:
            assert gate.verdict(ip, now) == ref.verdict(ip, now), step
        elif op < 0.7:
            key = ref.keys.of_ip(ip)
            assert _view(gate.current(key, now)) == _view(ref.current(key, now)), step
        else:
            at = now + rng.choice((0.0, 0.0, 0.5, 3.0, -2.0))  # a scrape may read the clock late or early
            assert gate.count(at) == ref.count(at), step
        assert [_view(b) for b in gate.active(now)] == [_view(b) for b in ref.active(now)], step
        assert gate.refused == ref.refused
        assert len(gate._untils) == len(gate._bans)


def test_an_expired_ban_counted_out_can_still_be_lifted_and_extended() -> None:
    """Counting does not purge: ``lift`` of a ban past its time answers True as it did, and a ban
    extended after it was counted expired counts again."""
    gate = BanGate(max_bans=10)
    block = GateBlock(403, "banned")
    gate.ban("10.0.0.1", 110.0, block, "t", 100.0)
    gate.ban("10.0.0.2", 120.0, block, "t", 100.0)
    assert gate.count(100.0) == 2
    assert gate.count(115.0) == 1
    assert gate.lift("10.0.0.1") is True
    assert gate.count(125.0) == 0
    gate.ban("10.0.0.2", 200.0, block, "t", 125.0)
    assert gate.count(125.0) == 1
    assert gate.count(112.0) == 1  # an earlier clock read is answered exactly too
    assert gate.count(250.0) == 0


def test_a_malformed_expiry_is_counted_as_the_walk_counted_it() -> None:
    """A NaN ``until`` (a malformed ban from Redis: ``float(doc["until"])``) never holds, does not
    break the order of the others, and can be lifted; a NaN clock counts nothing, as the walk did."""
    gate, ref = BanGate(max_bans=10), WalkedGate(10)
    block = GateBlock(403, "banned")
    for g in (gate, ref):
        g.ban("10.0.0.1", 150.0, block, "t", 100.0)
        g.ban("10.0.0.2", float("nan"), block, "t", 100.0)
        g.ban("10.0.0.3", 120.0, block, "t", 100.0)
    for at in (100.0, 130.0, 200.0, float("nan")):
        assert gate.count(at) == ref.count(at)
    assert gate.lift("10.0.0.2") is ref.lift("10.0.0.2") is True
    assert gate.count(130.0) == ref.count(130.0) == 1
