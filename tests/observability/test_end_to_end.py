"""The observability sinks behind a real uvicorn server (TLS), scraped and read like production.

A tiny inline ASGI app stands in for the adapter: it builds a ``WafRequest`` per request, decides
(block under /admin, else allow), emits one event to the dispatcher, and serves ``/metrics`` from
``WafMetrics.render()``.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.conftest import TlsFiles
from tests.support.servers import client_ssl_context, uvicorn_in_thread
from wafproxy.engine.decision import Action, Decision, RuleMatch
from wafproxy.engine.request import WafRequest
from wafproxy.events import RequestEvent
from wafproxy.observability.dispatch import EventDispatcher
from wafproxy.observability.metrics import WafMetrics
from wafproxy.observability.waflog_writer import WafLogWriter


def build_app(events: EventDispatcher, metrics: WafMetrics) -> Starlette:
    async def scrape(request: Request) -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    async def protected(request: Request) -> Response:
        raw = await request.body()
        waf_request = WafRequest(
            client_ip=request.client.host if request.client else "",
            method=request.method,
            uri_path=request.url.path,
            query_string=request.url.query,
            headers=tuple((k, v) for k, v in request.headers.items()),
            body=raw,
            body_size=len(raw),
            request_id=request.headers.get("x-request-id", ""),
        )
        if request.url.path.startswith("/admin"):
            decision = Decision(Action.BLOCK, "BlockAdmin", matches=(RuleMatch("BlockAdmin", Action.BLOCK),))
            status = 403
        else:
            decision = Decision(Action.ALLOW)
            status = 200
        events.emit(RequestEvent(0.0, "main", waf_request, decision, status, 0.0001, None, "MIDDLEWARE"))
        return PlainTextResponse("no" if status == 403 else "ok", status_code=status)

    return Starlette(
        routes=[Route("/metrics", scrape), Route("/{path:path}", protected, methods=["GET", "POST"])]
    )


def test_requests_show_up_in_metrics_and_the_waf_log(tmp_path: Path, tls_files: TlsFiles) -> None:
    metrics = WafMetrics()
    log_path = tmp_path / "waf.log"
    writer = WafLogWriter(str(log_path), on_drop=metrics.waf_log_dropped)
    events = EventDispatcher([metrics, writer], on_error=metrics.sink_error)
    app = build_app(events, metrics)
    with uvicorn_in_thread(
        app, ssl_certfile=str(tls_files.server_cert), ssl_keyfile=str(tls_files.server_key)
    ) as srv:
        with httpx.Client(base_url=srv.url, verify=client_ssl_context(tls_files.ca)) as client:
            headers = {"Authorization": "Bearer e2e-secret"}
            for i in range(5):
                assert (
                    client.get(f"/shop?i={i}", headers={**headers, "x-request-id": f"ok{i}"}).status_code
                    == 200
                )
            for i in range(3):
                assert (
                    client.post(
                        "/admin/users", content=b"x" * 10, headers={"x-request-id": f"no{i}"}
                    ).status_code
                    == 403
                )
            scrape = client.get("/metrics")
    writer.close()
    assert scrape.headers["content-type"].startswith("text/plain")
    got = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(scrape.text)
        for s in fam.samples
    }
    assert got[("wafproxy_requests_total", (("action", "ALLOW"), ("web_acl", "main")))] == 5
    assert got[("wafproxy_requests_total", (("action", "BLOCK"), ("web_acl", "main")))] == 3
    rule = (("action", "BLOCK"), ("rule", "BlockAdmin"), ("rule_group", ""), ("web_acl", "main"))
    assert got[("wafproxy_rule_matches_total", rule)] == 3
    records = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert [r["httpRequest"]["requestId"] for r in records] == [f"ok{i}" for i in range(5)] + [
        f"no{i}" for i in range(3)
    ]
    assert {r["httpRequest"]["clientIp"] for r in records} == {"127.0.0.1"}
    assert [r["action"] for r in records[-3:]] == ["BLOCK"] * 3 and records[-1][
        "terminatingRuleId"
    ] == "BlockAdmin"
    assert records[-1]["requestBodySize"] == 10 and records[-1]["httpSourceName"] == "MIDDLEWARE"
    assert "e2e-secret" not in log_path.read_text()
    assert {"name": "authorization", "value": "REDACTED"} in records[0]["httpRequest"]["headers"]
