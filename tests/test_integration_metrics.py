"""``wafproxy serve`` wiring of the observability series: open connections per connection, shield
refusals by reason, per-request series not counted twice."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import RunningServer, free_port, uvicorn_in_thread, wafproxy_process
from tests.support.wait import DEADLINE, until
from tests.test_integration_control import upstream_app
from tests.test_serve import acl_document


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningServer]:
    with uvicorn_in_thread(upstream_app) as server:
        yield server


def value(metrics: str, series: str) -> float:
    for line in metrics.splitlines():
        if line.split(" ", 1)[0] == series:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def scrape(admin: int) -> str:
    return httpx.get(f"http://127.0.0.1:{admin}/metrics", timeout=DEADLINE).text



def test_connections_shield_refusals_and_upstream_counts(upstream: RunningServer, tmp_path: Path) -> None:
    acl = tmp_path / "acl.json"
    acl.write_text(json.dumps(acl_document()))
    port, admin = free_port(), free_port()
    args = ("serve", "--upstream", upstream.url, "--acl", str(acl), "--listen", f"127.0.0.1:{port}",
            "--admin-listen", f"127.0.0.1:{admin}")
    with wafproxy_process(*args, wait_ports=(port, admin)):
        until(lambda: value(scrape(admin), "wafproxy_open_connections") == 0)
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        try:
            until(lambda: value(scrape(admin), "wafproxy_open_connections") == 3)
        finally:
            for sock in held:
                sock.close()
        until(lambda: value(scrape(admin), "wafproxy_open_connections") == 0)

        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=DEADLINE) as client:
            assert client.get("/x" * 5000).status_code == 414  # the shield, before the WAF
            for _ in range(3):
                assert client.get("/fine").status_code == 200
        reason = 'wafproxy_shield_rejections_total{reason="url_too_long"}'
        until(lambda: value(scrape(admin), reason) == 1)  # synced from the data path every 2 s
        text = scrape(admin)
        forwarded = [ln for ln in text.splitlines() if ln.startswith("wafproxy_upstream_requests_total")]
        assert sum(float(ln.rsplit(" ", 1)[1]) for ln in forwarded) == 3, forwarded  # once each
