"""Through a real ``wafproxy serve`` on loopback: after N requests every per-request series says N.

Plain requests are counted in place (``observability.unfolded``) and folded into the prometheus
series later; blocked ones go through the queued tally. With ``--workers 2`` each worker writes
its own multiprocess files and the admin process merges them. Either way a scrape must add up to
exactly what was sent, split by action, with the histograms' counts, +Inf buckets and sums right.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.asgi.test_middleware import acl_document
from tests.support.servers import RunningServer, free_port, uvicorn_in_thread, wafproxy_process
from tests.support.wait import DEADLINE, until
from tests.test_integration_control import upstream_app

ALLOWED_GETS = 150
ALLOWED_POSTS = 20
POST_BODY = b"x" * 100
BLOCKED = 12


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningServer]:
    with uvicorn_in_thread(upstream_app) as server:
        yield server


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def expected(acl: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    allowed = ALLOWED_GETS + ALLOWED_POSTS
    total = allowed + BLOCKED
    return {
        ("wafproxy_requests_total", (("action", "ALLOW"), ("web_acl", acl))): allowed,
        ("wafproxy_requests_total", (("action", "BLOCK"), ("web_acl", acl))): BLOCKED,
        ("wafproxy_evaluation_duration_seconds_count", (("web_acl", acl),)): total,
        ("wafproxy_evaluation_duration_seconds_bucket", (("le", "+Inf"), ("web_acl", acl))): total,
        ("wafproxy_request_body_bytes_count", (("web_acl", acl),)): total,
        ("wafproxy_request_body_bytes_sum", (("web_acl", acl),)): ALLOWED_POSTS * len(POST_BODY),
        ("wafproxy_request_body_bytes_bucket", (("le", "0.0"), ("web_acl", acl))): total - ALLOWED_POSTS,
        ("wafproxy_request_body_bytes_bucket", (("le", "256.0"), ("web_acl", acl))): total,
        ("wafproxy_upstream_requests_total", (("code", "200"),)): allowed,
        ("wafproxy_upstream_request_duration_seconds_count", ()): allowed,
        ("wafproxy_upstream_request_duration_seconds_bucket", (("le", "+Inf"),)): allowed,
    }


@pytest.mark.parametrize("workers", [1, 2])
def test_a_scrape_after_n_requests_counts_n(upstream: RunningServer, tmp_path: Path, workers: int) -> None:
    doc = acl_document()
    acl = tmp_path / "acl.json"
    acl.write_text(json.dumps(doc))
    port, admin = free_port(), free_port()
    args = ("serve", "--upstream", upstream.url, "--acl", str(acl), "--listen", f"127.0.0.1:{port}",
            "--admin-listen", f"127.0.0.1:{admin}", "--workers", str(workers), "--detector", "off")
    with wafproxy_process(*args, wait_ports=(port, admin)):
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=DEADLINE) for _ in range(4)]
        try:
            for i in range(ALLOWED_GETS):
                assert clients[i % 4].get(f"/fine?i={i}").status_code == 200
            for i in range(ALLOWED_POSTS):
                assert clients[i % 4].post("/form", content=POST_BODY).status_code == 200
            for i in range(BLOCKED):
                assert clients[i % 4].get(f"/?q=<script>{i}").status_code == 403
        finally:
            for client in clients:
                client.close()
        want = expected(doc["Name"])
        last: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}

        def counted() -> bool:
            nonlocal last
            last = samples(httpx.get(f"http://127.0.0.1:{admin}/metrics", timeout=DEADLINE).text)
            return all(last.get(key) == value for key, value in want.items())

        until(counted)
        assert {key: last.get(key) for key in want} == want
        # Nothing counted twice: still exactly N on a later scrape.
        assert counted(), {key: last.get(key) for key in want}
