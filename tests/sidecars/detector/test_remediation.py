"""Remediation through the real control plane: the gate refuses the next request at once, the
ban lands in the IP set as a TTL entry, removing that entry lifts the ban, all audit-logged; a
rate_limit scenario answers 429 with Retry-After."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from tests.control.stack import write_acl_dir, write_credentials
from wafproxy.asgi.inspector import GATE_BODY
from wafproxy.asgi.middleware import WafMiddleware
from wafproxy.control.ops_extra import ControlPlaneIPSetWriter
from wafproxy.control.persist import AuditLog
from wafproxy.control.plane import ControlPlane
from wafproxy.control.reloader import Reloader
from wafproxy.observability.dispatch import EventDispatcher
from wafproxy.sidecars.detector.detector import Detector
from wafproxy.sidecars.detector.findings import DetectorInfo
from wafproxy.sidecars.detector.policy import load_policy
from wafproxy.sidecars.detector.remediation import Remediator


async def _ok(scope: dict[str, object], receive: object, send: object) -> None:
    await send({"type": "http.response.start", "status": 404, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"nothing here"})  # type: ignore[operator]


def test_ban_gate_ip_set_and_reversal(tmp_path: Path) -> None:
    acl = write_acl_dir(tmp_path / "acl")
    reloader = Reloader(acl)
    policy = load_policy(overrides={"remediation": {"ip_set_v4": "blocked"}})

    async def scenario() -> tuple[list[bool], list[str], list[bool]]:
        plane = ControlPlane.from_files(reloader, credentials=write_credentials(tmp_path / "creds"))
        detector = Detector(policy, DetectorInfo("c" * 32))
        audit = AuditLog(tmp_path / "detector-audit.log")
        writer = ControlPlaneIPSetWriter(plane, "wafproxy-detector")
        detector.remediator = Remediator(policy.remediation, detector.gate, writer=writer, audit=audit)
        reloader.add_swap(lambda _: detector.remediator.reconcile(
            lambda name: plane.store.temp.entries(name).keys()))
        mw = WafMiddleware(_ok, acl=reloader.current, trusted_proxies=["127.0.0.1/32"],
                           event_sink=EventDispatcher([detector]), gate=detector.gate)
        reloader.add_swap(mw.swap_acl)
        transport = httpx.ASGITransport(app=mw, client=("127.0.0.1", 1234))
        xff = {"X-Forwarded-For": "203.0.113.77"}
        gated = []
        async with httpx.AsyncClient(transport=transport, base_url="http://waf") as client:
            for path in ("/.env", "/.git/config", "/backup.sql", "/", "/x"):
                answer = await client.get(path, headers=xff)
                gated.append(answer.content == GATE_BODY)
            await detector.remediator.flush()
            entries = sorted(plane.store.temp.entries("blocked"))
            # An operator removes the entry through the control plane: the gate lets the client in.
            await ControlPlaneIPSetWriter(plane, "operator").remove_addresses("blocked", ["203.0.113.77/32"])
            after = [(await client.get("/", headers=xff)).content == GATE_BODY]
        return gated, entries, after

    gated, entries, after = asyncio.run(scenario())
    assert gated == [False, False, False, True, True]
    assert entries == ["203.0.113.77/32"]
    assert after == [False]
    records = [json.loads(line) for line in (tmp_path / "detector-audit.log").read_text().splitlines()]
    assert [r["operation"] for r in records] == ["Ban", "Unban"]
    assert records[0]["resource"] == "203.0.113.77/32"
    assert records[0]["detail"] == "Recon:Proxy/PathProbe block 600s (scenario path_probe)"


def test_rate_limit_action_answers_429_with_retry_after(tmp_path: Path) -> None:
    policy = load_policy(overrides={"scenarios": {"scanner_user_agent": {"action": "rate_limit"}},
                                    "remediation": {"write_ip_set": False}})
    detector = Detector(policy, DetectorInfo("c" * 32))
    mw = WafMiddleware(_ok, acl=write_acl_dir(tmp_path / "acl"), event_sink=EventDispatcher([detector]),
                       gate=detector.gate)

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=mw, client=("198.51.100.3", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://waf") as client:
            return [await client.get("/", headers={"user-agent": "sqlmap/1.8"}) for _ in range(2)]

    first, second = asyncio.run(scenario())
    assert first.status_code == 404
    assert second.status_code == 429 and 1 <= int(second.headers["retry-after"]) <= 61


def test_websocket_handshake_of_a_banned_client_is_refused(tmp_path: Path) -> None:
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.testclient import TestClient
    from starlette.websockets import WebSocket, WebSocketDisconnect

    from wafproxy.ports import GateBlock

    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text("hi")
        await ws.close()

    detector = Detector(load_policy(), DetectorInfo("c" * 32))
    app = WafMiddleware(Starlette(routes=[WebSocketRoute("/ws", echo)]), acl=write_acl_dir(tmp_path / "acl"),
                        event_sink=EventDispatcher([detector]), gate=detector.gate)
    client = TestClient(app)
    with client.websocket_connect("/ws") as ws:
        assert ws.receive_text() == "hi"
    detector.gate.ban("testclient", 4e9, GateBlock(403, "test"), "test", 0)
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws"):
        pass
    assert closed.value.code == 1008
    assert detector.refused == 1


@pytest.mark.parametrize("client_ip", ["127.0.0.1", "127.8.9.10", "::1"])
def test_the_proxys_own_host_is_never_banned_but_still_reported(tmp_path: Path, client_ip: str) -> None:
    """never_ban (default: loopback): a scanner there raises its finding, and is not refused —
    banning the proxy's own host would cut off health checks, the assessor and local tools."""
    policy = load_policy(overrides={"remediation": {"write_ip_set": False}})
    detector = Detector(policy, DetectorInfo("d" * 32))
    mw = WafMiddleware(_ok, acl=write_acl_dir(tmp_path / "acl"), event_sink=EventDispatcher([detector]),
                       gate=detector.gate)

    async def scenario() -> list[int]:
        transport = httpx.ASGITransport(app=mw, client=(client_ip, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://waf") as client:
            return [(await client.get(p, headers={"user-agent": "sqlmap/1.8"})).status_code
                    for p in ("/.env", "/.git/config", "/backup.sql", "/", "/")]

    statuses = asyncio.run(scenario())
    assert statuses == [404] * 5  # every request answered by the app: none refused
    types = {f.type for f in detector.store.all()}
    assert {"PenTest:Proxy/ScannerUserAgent", "Recon:Proxy/PathProbe"} <= types
    assert detector.remediator.spared >= 2 and detector.remediator.bans == 0


def test_never_ban_empty_bans_loopback_too(tmp_path: Path) -> None:
    policy = load_policy(overrides={"remediation": {"write_ip_set": False, "never_ban": []}})
    detector = Detector(policy, DetectorInfo("e" * 32))
    mw = WafMiddleware(_ok, acl=write_acl_dir(tmp_path / "acl"), event_sink=EventDispatcher([detector]),
                       gate=detector.gate)

    async def scenario() -> list[bytes]:
        transport = httpx.ASGITransport(app=mw, client=("127.0.0.1", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://waf") as client:
            return [(await client.get("/", headers={"user-agent": "sqlmap/1.8"})).content for _ in range(2)]

    assert asyncio.run(scenario())[-1] == GATE_BODY


def test_full_gate_drops_expired_then_soonest_like_a_walk_of_the_table() -> None:
    """The expiry heap picks what a walk of the whole table would: every expired ban first, then
    the soonest to expire, the first banned among equals; lifted and extended bans are not
    mistaken for current ones."""
    import random

    from wafproxy.ports import GateBlock
    from wafproxy.sidecars.detector.gate import BanGate

    class Walk(BanGate):  # the reference: the table walked on every make-room
        def _make_room(self, now: float) -> None:
            for key in [k for k, b in self._bans.items() if b.until <= now]:
                del self._bans[key]
            if len(self._bans) >= self.max_bans:
                soonest = min(self._bans.values(), key=lambda b: b.until)
                del self._bans[soonest.key]

    rng = random.Random(11)
    block = GateBlock(403, "banned")
    heap, walk = BanGate(max_bans=50), Walk(max_bans=50)
    now = 1000.0
    for _ in range(5000):
        now += rng.choice((0.0, 0.0, 0.5, 1.0))  # ties of ``until`` on purpose
        ip = f"10.0.{rng.randrange(4)}.{rng.randrange(60)}"
        op, until = rng.random(), now + rng.choice((5.0, 10.0, 30.0))
        for gate in (heap, walk):
            if op < 0.8:
                gate.ban(ip, until, block, "t", now)
            elif op < 0.9:
                gate.lift(ip)
            else:
                gate.verdict(ip, now)
        assert {b.key: b.until for b in heap.active(now)} == {b.key: b.until for b in walk.active(now)}
        assert len(heap._expiry) <= 2 * len(heap._bans) + 65  # stale entries stay bounded
