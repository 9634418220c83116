"""The admin app on a real uvicorn: /healthz, /readyz (ACL + upstream reachability), /metrics."""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.support.servers import bound_socket, uvicorn_in_thread
from wafproxy.asgi.admin import Readiness, UpstreamProbe, create_admin_app


def _upstream() -> Starlette:
    return Starlette(routes=[Route("/", lambda r: PlainTextResponse("up"))])


def test_healthz_and_readyz_follow_acl_and_upstream() -> None:
    with uvicorn_in_thread(_upstream()) as up:
        readiness = Readiness(upstreams=[UpstreamProbe.from_url(up.url)], probe_interval=0.0)
        with uvicorn_in_thread(create_admin_app(readiness)) as admin:
            assert httpx.get(f"{admin.url}/healthz").text == "ok\n"
            not_loaded = httpx.get(f"{admin.url}/readyz")
            assert not_loaded.status_code == 503 and not_loaded.json()["acl"] is None
            readiness.acl_name = "default"
            ready = httpx.get(f"{admin.url}/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["upstreams"] == {f"127.0.0.1:{up.port}": True}
            assert httpx.get(f"{admin.url}/metrics").status_code == 404


def test_readyz_reports_an_unreachable_upstream() -> None:
    closed = bound_socket()  # bound but never listening: connections are refused
    port = closed.getsockname()[1]
    try:
        readiness = Readiness(upstreams=[UpstreamProbe("127.0.0.1", port)], acl_name="default",
                              probe_interval=0.0)
        with uvicorn_in_thread(create_admin_app(readiness)) as admin:
            resp = httpx.get(f"{admin.url}/readyz")
            assert resp.status_code == 503
            assert resp.json()["upstreams"] == {f"127.0.0.1:{port}": False}
    finally:
        closed.close()


def test_metrics_renders_what_the_metrics_object_renders() -> None:
    registry = CollectorRegistry()
    Counter("wafproxy_test_requests", "test", registry=registry).inc(3)
    app = create_admin_app(Readiness(acl_name="x"), lambda: (generate_latest(registry), CONTENT_TYPE_LATEST))
    with uvicorn_in_thread(app) as admin:
        resp = httpx.get(f"{admin.url}/metrics")
        assert resp.status_code == 200
        assert "wafproxy_test_requests_total 3.0" in resp.text
        assert resp.headers["content-type"].startswith("text/plain")
