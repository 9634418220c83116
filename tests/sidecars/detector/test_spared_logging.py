"""A never_ban address that attacks is still a finding; on loopback it stays out of the console.

``wafproxy demo``'s first assessment probes the proxy from 127.0.0.1: its "… not banned" lines
read to a first-time user as an attack on them. Loopback's spared hits log at DEBUG (the finding
is recorded all the same); any other never_ban network keeps its INFO line; and nothing a client
sends (X-Forwarded-For without a trusted proxy, a user agent) makes an attacker count as loopback.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.control.stack import write_acl_dir
from tests.support.servers import free_port, wafproxy_process
from tests.support.wait import DEADLINE
from wafproxy.asgi.middleware import WafMiddleware
from wafproxy.observability.dispatch import EventDispatcher
from wafproxy.sidecars.assessor.probe import USER_AGENT as ASSESSOR_USER_AGENT
from wafproxy.sidecars.detector.detector import Detector
from wafproxy.sidecars.detector.findings import DetectorInfo
from wafproxy.sidecars.detector.policy import load_policy

SCANNER_PATHS = ("/.env", "/.git/config", "/backup.sql", "/", "/")


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def spared(self) -> list[logging.LogRecord]:
        return [r for r in self.records if "not banned" in r.getMessage()]


@pytest.fixture
def detector_log() -> Iterator[_Records]:
    """Records of ``wafproxy.detector`` at every level, on the logger itself: whatever another
    test's dictConfig did to propagation, and restored afterwards."""
    logger = logging.getLogger("wafproxy.detector")
    handler, level = _Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _scan(tmp_path: Path, client_ip: str, *, never_ban: list[str] | None = None,
          headers: dict[str, str] | None = None) -> tuple[Detector, list[int]]:
    remediation: dict[str, object] = {"write_ip_set": False}
    if never_ban is not None:
        remediation["never_ban"] = never_ban
    detector = Detector(load_policy(overrides={"remediation": remediation}), DetectorInfo("f" * 32))

    async def ok(scope: dict[str, object], receive: object, send: object) -> None:
        await send({"type": "http.response.start", "status": 404, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"nothing here"})  # type: ignore[operator]

    mw = WafMiddleware(ok, acl=write_acl_dir(tmp_path / "acl"), event_sink=EventDispatcher([detector]),
                       gate=detector.gate)

    async def scenario() -> list[int]:
        transport = httpx.ASGITransport(app=mw, client=(client_ip, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://waf") as client:
            return [(await client.get(p, headers=headers)).status_code for p in SCANNER_PATHS]

    return detector, asyncio.run(scenario())


@pytest.mark.parametrize("client_ip", ["127.0.0.1", "127.3.4.5", "::1"])
def test_loopback_spared_hits_are_debug_lines_and_still_findings(
    tmp_path: Path, detector_log: _Records, client_ip: str
) -> None:
    detector, statuses = _scan(tmp_path, client_ip)
    assert statuses == [404] * len(SCANNER_PATHS)  # never refused: loopback is never banned
    assert "Recon:Proxy/PathProbe" in {f.type for f in detector.store.all()}  # the finding stays
    assert detector.remediator.spared >= 1 and detector.remediator.bans == 0
    spared = detector_log.spared()
    assert spared, "the spared hit is still logged, at debug"
    assert {r.levelno for r in spared} == {logging.DEBUG}
    assert all(client_ip in r.getMessage() for r in spared)


def test_another_never_ban_network_keeps_its_info_line(tmp_path: Path, detector_log: _Records) -> None:
    detector, statuses = _scan(tmp_path, "198.51.100.7", never_ban=["198.51.100.0/24"])
    assert statuses == [404] * len(SCANNER_PATHS)
    assert "Recon:Proxy/PathProbe" in {f.type for f in detector.store.all()}
    spared = detector_log.spared()
    assert spared and {r.levelno for r in spared} == {logging.INFO}


def test_a_client_cannot_claim_loopback_to_go_quiet_or_unbanned(tmp_path: Path,
                                                                detector_log: _Records) -> None:
    """No trusted proxy: X-Forwarded-For is the client's own words and changes nothing; neither
    does the assessor's own user agent."""
    headers = {"x-forwarded-for": "127.0.0.1", "user-agent": ASSESSOR_USER_AGENT}
    detector, statuses = _scan(tmp_path, "203.0.113.9", headers=headers)
    assert 403 in statuses  # banned at its 3rd sensitive path, as any scanner
    assert detector.remediator.bans >= 1 and detector.remediator.spared == 0
    assert detector_log.spared() == []


def test_demo_start_up_prints_no_spared_loopback_lines() -> None:
    """The symptom itself: ``wafproxy demo`` at its default log level, up to its first assessment
    (whose probes come from loopback and raise the detector's findings), prints no "not banned"."""
    port, admin = free_port(), free_port()
    # --assess-interval: tests/conftest.py turns the periodic assessment off through the env.
    with wafproxy_process("demo", "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                          "--assess-interval", "3600", wait_ports=(port, admin)) as proc:
        assert proc.stdout is not None
        fd, text = proc.stdout.fileno(), ""  # raw reads: select() cannot see a reader's buffer
        deadline = time.monotonic() + 4 * DEADLINE
        while "assessment:" not in text:
            left = deadline - time.monotonic()
            assert left > 0, f"no assessment line: {text}"
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 65536)
                assert chunk, f"demo exited: {text}"
                text += chunk.decode(errors="replace")
    lines = text.splitlines()
    assert not [line for line in lines if "not banned" in line], lines
