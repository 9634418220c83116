"""The content bounds in ``WafMiddleware`` (the same ``Inspector`` as the proxy server), on a real
uvicorn: refused before the app runs, answered 414 / 431 / 413, counted through ``on_limit``; and
``build_data_path`` taking the bounds from settings (the ASGI stack: shield, then middleware)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.asgi.test_middleware import acl_document
from tests.support.servers import uvicorn_in_thread
from wafproxy import WafMiddleware
from wafproxy.engine.parsing import ContentLimits
from wafproxy.observability.limits_metrics import LimitsMetrics
from wafproxy.settings import Settings, UpstreamRoute


@pytest.fixture
def acl_file(tmp_path: Path) -> Path:
    path = tmp_path / "acl.json"
    path.write_text(json.dumps(acl_document()))
    return path


def test_middleware_refuses_past_its_content_bounds(acl_file: Path) -> None:
    reached: list[str] = []
    counted: Counter[str] = Counter()

    def on_limit(limit: str) -> None:
        counted[limit] += 1

    async def endpoint(request: Request) -> Response:
        reached.append(request.url.path)
        await request.body()
        return Response("app")

    app = Starlette(routes=[Route("/{p:path}", endpoint, methods=["GET", "POST"])], middleware=[
        Middleware(WafMiddleware, acl=acl_file, on_limit=on_limit,
                   content_limits=ContentLimits(max_query_args=3, max_json_depth=3, max_cookies=2))])
    with uvicorn_in_thread(app, http="httptools") as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/q", params={"a": 1, "b": 2, "c": 3, "d": 4}).status_code == 414
        assert client.get("/c", headers={"cookie": "a=1; b=2; c=3"}).status_code == 431
        deep = client.post("/j", content=b'{"a":[[{"b":1}]]}', headers={"content-type": "text/plain"})
        assert deep.status_code == 413  # JSON by its first byte, whatever it claims to be
        assert deep.text == "JSON body nested too deeply\n"
        assert client.post("/ok", content=b'{"a":[[1]]}', params={"a": 1}).text == "app"
    assert reached == ["/ok"]
    assert counted == {"too_many_query_args": 1, "too_many_cookies": 1, "json_too_deep": 1}


def test_asgi_stack_takes_the_bounds_from_settings(acl_file: Path) -> None:
    from wafproxy.asgi.app import build_data_path

    async def upstream_app(request: Request) -> Response:
        return Response("upstream")

    upstream = Starlette(routes=[Route("/{p:path}", upstream_app)])
    registry = CollectorRegistry()
    with uvicorn_in_thread(upstream) as up:
        settings = Settings(upstreams=(UpstreamRoute(up.url),), acl=acl_file, max_query_args=2,
                            max_url_bytes=100)
        data = build_data_path(settings, limits=LimitsMetrics(registry))
        with uvicorn_in_thread(data.app, http="httptools", lifespan="on") as proxy, \
                httpx.Client(base_url=proxy.url) as client:
            assert client.get("/", params={"a": 1, "b": 2, "c": 3}).status_code == 414  # the middleware
            assert client.get("/" + "u" * 120).status_code == 414  # the shield
            assert client.get("/", params={"a": 1}).text == "upstream"
    sample = registry.get_sample_value
    assert sample("wafproxy_limit_hits_total", {"limit": "too_many_query_args"}) == 1
    assert sample("wafproxy_limit_hits_total", {"limit": "url_too_long"}) == 1
