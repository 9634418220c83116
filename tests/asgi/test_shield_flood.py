"""Automatic flood mitigation end to end: a real uvicorn, clients bound to many 127.x.y.z
addresses, a virtual clock the test advances (bounded request counts, no timing asserts)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.servers import RunningServer, uvicorn_in_thread
from wafproxy.asgi.shield import FloodGuard, FloodSettings, ShieldMiddleware

T0 = 1_764_000_000.0
BROWSER = {
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    "accept": "text/html",
    "accept-language": "en-GB",
}
TOOL = {"user-agent": "flood/0.1"}


class VirtualClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


async def ok_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@contextlib.contextmanager
def clients(
    server: RunningServer, addresses: list[str], headers: dict[str, str]
) -> Iterator[list[httpx.Client]]:
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(
                httpx.Client(
                    base_url=server.url, headers=headers, transport=httpx.HTTPTransport(local_address=a)
                )
            )
            for a in addresses
        ]


def run(
    flood_addresses: list[str],
    per_flood_source: int,
    flood_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> tuple[list[tuple[int, int]], int, int, FloodGuard]:
    """10 s of baseline (10 browsers at 1 rps), then 12 s of a 10x flood on top.

    Returns per flood second (flood sent, flood refused), benign sent, benign refused.
    """
    caplog.set_level(logging.WARNING, logger="wafproxy.shield")
    clock = VirtualClock()
    guard = FloodGuard(FloodSettings(min_flood_rps=30, warmup_seconds=5))
    shield = ShieldMiddleware(ok_app, flood=guard, clock=clock)
    benign_sent = benign_refused = 0
    per_second: list[tuple[int, int]] = []
    with (
        uvicorn_in_thread(shield) as server,
        clients(server, [f"127.0.1.{i}" for i in range(1, 11)], BROWSER) as benign,
        clients(server, flood_addresses, flood_headers) as flood,
    ):
        for second in range(22):
            flooding = second >= 10
            sent = refused = 0
            rounds = per_flood_source if flooding else 1
            for r in range(rounds):
                clock.now = T0 + second + r / (rounds + 1)
                if r == 0:
                    for client in benign:
                        benign_sent += 1
                        benign_refused += client.get("/page").status_code != 200
                if flooding:
                    for client in flood:
                        sent += 1
                        refused += client.get("/").status_code == 429
            if flooding:
                per_second.append((sent, refused))
    return per_second, benign_sent, benign_refused, guard


def assert_mitigated(per_second: list[tuple[int, int]], benign_sent: int, benign_refused: int) -> None:
    ratios = [refused / sent for sent, refused in per_second]
    print(f"\nflood blocked per second: {[round(r, 3) for r in ratios]}")
    print(f"benign refused {benign_refused}/{benign_sent}")
    assert ratios[0] < 0.5  # it was a flood that got through at first: the test can fail
    first = next(i for i, r in enumerate(ratios) if r >= 0.95)
    assert first <= 10  # >= 95 % blocked within 10 s of the flood's start...
    assert all(r >= 0.95 for r in ratios[first:])  # ...and from then on
    assert benign_refused <= 0.001 * benign_sent


def test_flood_from_few_addresses_gets_ip_rules(caplog: pytest.LogCaptureFixture) -> None:
    per_second, benign_sent, benign_refused, guard = run(
        [f"127.0.2.{i}" for i in range(1, 6)], 20, TOOL, caplog
    )
    assert_mitigated(per_second, benign_sent, benign_refused)
    assert {kind for kind, _ in guard.rules} == {"ip"}
    assert sorted(key for _, key in guard.rules) == [f"127.0.2.{i}" for i in range(1, 6)]
    assert "flood rule counting" in caplog.text and "flood rule enforcing" in caplog.text


def test_flood_rotating_addresses_gets_a_signature_rule(caplog: pytest.LogCaptureFixture) -> None:
    addresses = [f"127.0.{3 + i // 250}.{1 + i % 250}" for i in range(100)]
    per_second, benign_sent, benign_refused, guard = run(addresses, 1, TOOL, caplog)
    assert_mitigated(per_second, benign_sent, benign_refused)
    assert [kind for kind, _ in guard.rules] == ["signature"]


def test_rules_expire_after_their_ttl() -> None:
    guard = FloodGuard(FloodSettings(min_flood_rps=20, warmup_seconds=3, ttl_seconds=30, count_seconds=0))
    for second in range(5):
        for i in range(5):
            guard.check(f"10.0.0.{i}", "sig-browser", T0 + second + i / 10)
    for n in range(60):
        guard.check("10.9.9.9", "sig-tool", T0 + 5 + n / 61)
    verdicts = [guard.check("10.9.9.9", "sig-tool", T0 + 6 + n / 20) for n in range(15)]
    assert verdicts[0] is None and verdicts[-1] is not None  # the rule counts from its creation
    assert guard.check("10.9.9.9", "sig-tool", T0 + 40) is None  # TTL over
    assert guard.events["rule_expired"] == 1


def test_a_rule_that_would_hurt_recent_benign_traffic_is_not_enforced() -> None:
    guard = FloodGuard(FloodSettings(min_flood_rps=20, warmup_seconds=3, margin=0.1, source_factor=0.5))
    for second in range(6):  # a busy but legitimate source, 12 rps, part of the baseline
        for i in range(12):
            guard.check("10.0.0.1", "sig", T0 + second + i / 13)
    for n in range(200):  # flood: the same busy source among others
        guard.check("10.0.0.1" if n % 2 else f"10.1.0.{n % 50}", "sig", T0 + 6 + n / 201)
    guard.check("10.0.0.1", "sig", T0 + 7.5)
    assert ("ip", "10.0.0.1") not in guard.rules
    assert guard.events["rule_rejected"] >= 1
