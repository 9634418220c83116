"""WafMiddleware mounted in a real Starlette app on a real uvicorn: decisions, body replay, websockets."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets.sync.client as ws_client
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from tests.support.servers import RunningServer, uvicorn_in_thread
from wafproxy import WafMiddleware
from wafproxy.asgi.middleware import CLIENT_IP_KEY
from wafproxy.engine.ratecheck import RateCheck
from wafproxy.events import RequestEvent

_VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}


def _byte_match(field: dict[str, Any], needle: str, constraint: str = "CONTAINS") -> dict[str, Any]:
    return {
        "ByteMatchStatement": {
            "FieldToMatch": field,
            "SearchString": needle,
            "PositionalConstraint": constraint,
            "TextTransformations": [
                {"Priority": 0, "Type": "URL_DECODE"},
                {"Priority": 1, "Type": "LOWERCASE"},
            ],
        }
    }


def acl_document(extra_rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A small ACL in the AWS WAFv2 shape: a query-string XSS byte match, a path block with a custom
    response, a body match, and an Allow that inserts a header."""
    rules: list[dict[str, Any]] = [
        {
            "Name": "BlockScriptInQuery",
            "Priority": 0,
            "Action": {"Block": {}},
            "VisibilityConfig": _VIS,
            "Statement": _byte_match({"QueryString": {}}, "<script"),
        },
        {
            "Name": "BlockAdmin",
            "Priority": 1,
            "VisibilityConfig": _VIS,
            "Action": {"Block": {"CustomResponse": {"ResponseCode": 429, "CustomResponseBodyKey": "slow"}}},
            "Statement": _byte_match({"UriPath": {}}, "/admin", "STARTS_WITH"),
        },
        {
            "Name": "BlockBodyMarker",
            "Priority": 2,
            "Action": {"Block": {}},
            "VisibilityConfig": _VIS,
            "Statement": _byte_match({"Body": {"OversizeHandling": "CONTINUE"}}, "drop table"),
        },
        {
            "Name": "TagTagged",
            "Priority": 3,
            "VisibilityConfig": _VIS,
            "Action": {
                "Allow": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "checked", "Value": "yes"}]}}
            },
            "Statement": _byte_match({"UriPath": {}}, "/tagged", "STARTS_WITH"),
        },
        *(extra_rules or []),
    ]
    return {
        "Name": "test-acl",
        "DefaultAction": {"Allow": {}},
        "VisibilityConfig": _VIS,
        "CustomResponseBodies": {"slow": {"ContentType": "TEXT_PLAIN", "Content": "go away"}},
        "Rules": rules,
    }


RATE_RULE = {
    "Name": "RateLimitApi",
    "Priority": 10,
    "Action": {"Block": {}},
    "VisibilityConfig": _VIS,
    "Statement": {
        "RateBasedStatement": {
            "Limit": 100,
            "EvaluationWindowSec": 60,
            "AggregateKeyType": "IP",
            "ScopeDownStatement": _byte_match({"UriPath": {}}, "/api", "STARTS_WITH"),
        }
    },
}


@pytest.fixture
def acl_file(tmp_path: Path) -> Path:
    path = tmp_path / "acl.json"
    path.write_text(json.dumps(acl_document()))
    return path


class Seen:
    """What the protected app received (so a test can prove a blocked request never got there)."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.headers: dict[str, str] = {}
        self.client_ip: str | None = None


def protected_app(acl: Any, seen: Seen, **kwargs: Any) -> Starlette:
    async def anything(request: Request) -> Response:
        seen.paths.append(request.url.path)
        seen.headers = dict(request.headers)
        seen.client_ip = request.scope["state"].get(CLIENT_IP_KEY)
        body = await request.body()
        return Response(
            body, headers={"x-sha256": hashlib.sha256(body).hexdigest(), "x-size": str(len(body))}
        )

    async def ws(websocket: WebSocket) -> None:
        seen.paths.append(websocket.url.path)
        seen.headers = dict(websocket.headers)
        seen.client_ip = websocket.scope["state"].get(CLIENT_IP_KEY)
        await websocket.accept()
        await websocket.send_text("hello " + await websocket.receive_text())
        await websocket.close()

    return Starlette(
        routes=[
            WebSocketRoute("/ws", ws),
            WebSocketRoute("/tagged/ws", ws),
            Route("/{path:path}", anything, methods=["GET", "POST", "PUT", "HEAD"]),
        ],
        middleware=[Middleware(WafMiddleware, acl=acl, **kwargs)],
    )


@pytest.fixture
def served(acl_file: Path) -> Iterator[tuple[RunningServer, Seen, list[RequestEvent]]]:
    seen = Seen()
    events: list[RequestEvent] = []

    class ListSink:
        def emit(self, event: RequestEvent) -> None:
            events.append(event)

    with uvicorn_in_thread(
        protected_app(str(acl_file), seen, event_sink=ListSink()), http="httptools", loop="uvloop"
    ) as server:
        yield server, seen, events


def test_two_line_use_with_add_middleware(acl_file: Path) -> None:
    seen = Seen()

    async def hello(request: Request) -> Response:
        seen.paths.append(request.url.path)
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/", hello)])
    app.add_middleware(WafMiddleware, acl=str(acl_file))
    with uvicorn_in_thread(app) as server:
        assert httpx.get(f"{server.url}/").json() == {"ok": True}
        assert httpx.get(f"{server.url}/", params={"q": "<SCRIPT>x"}).status_code == 403
    assert seen.paths == ["/"]


def test_allowed_and_blocked_requests(served: tuple[RunningServer, Seen, list[RequestEvent]]) -> None:
    server, seen, events = served
    with httpx.Client(base_url=server.url) as client:
        ok = client.get("/search", params={"q": "shoes"})
        assert ok.status_code == 200
        assert seen.client_ip == "127.0.0.1"
        blocked = client.get("/search", params={"q": "<script>alert(1)</script>"})
        assert blocked.status_code == 403
        assert "blocked" in blocked.text.lower() and "BlockScriptInQuery" not in blocked.text
        custom = client.get("/admin/users")
        assert (custom.status_code, custom.text) == (429, "go away")
        assert client.head("/search?q=%3Cscript%3E").status_code == 403
    assert seen.paths == ["/search"]
    assert [e.response_status for e in events] == [200, 403, 429, 403]
    assert [e.decision.terminating_rule_id for e in events] == [
        "Default_Action",
        "BlockScriptInQuery",
        "BlockAdmin",
        "BlockScriptInQuery",
    ]
    assert all(e.source == "MIDDLEWARE" and e.web_acl == "test-acl" for e in events)
    assert events[0].upstream_seconds is not None and events[1].upstream_seconds is None


def test_inserted_headers_reach_the_app(served: tuple[RunningServer, Seen, list[RequestEvent]]) -> None:
    server, seen, _ = served
    assert httpx.get(f"{server.url}/tagged").status_code == 200
    inserted = {k: v for k, v in seen.headers.items() if k.endswith("checked")}
    assert list(inserted.values()) == ["yes"], seen.headers


def test_body_inspected_and_large_body_replayed_byte_identical(
    served: tuple[RunningServer, Seen, list[RequestEvent]],
) -> None:
    server, seen, events = served
    with httpx.Client(base_url=server.url) as client:
        assert client.post("/form", content=b"name=x&q=DROP%20TABLE users").status_code == 403
        big = os.urandom(3 * 1024 * 1024 + 7)  # far beyond any inspection limit, sent in many chunks
        resp = client.post("/upload", content=big)
        assert resp.status_code == 200
        assert resp.headers["x-size"] == str(len(big))
        assert resp.headers["x-sha256"] == hashlib.sha256(big).hexdigest()

        def chunks() -> Iterator[bytes]:  # chunked transfer encoding: no Content-Length
            for i in range(0, len(big), 65536):
                yield big[i : i + 65536]

        streamed = client.post("/upload", content=chunks())
        assert streamed.headers["x-sha256"] == hashlib.sha256(big).hexdigest()
    assert seen.paths == ["/upload", "/upload"]
    inspected = events[1].request
    assert len(inspected.body) < len(big) and inspected.body_size == len(big) and inspected.body_truncated
    assert events[2].request.body_truncated


def test_websocket_handshake_is_inspected(served: tuple[RunningServer, Seen, list[RequestEvent]]) -> None:
    server, seen, events = served
    url = f"ws://127.0.0.1:{server.port}/ws"
    with ws_client.connect(url) as conn:
        conn.send("waf")
        assert conn.recv() == "hello waf"
    with pytest.raises(Exception) as refused:
        ws_client.connect(url + "?q=<script>")
    assert "403" in str(refused.value)
    assert seen.paths == ["/ws"]
    assert [e.response_status for e in events] == [101, 403]
    assert events[1].decision.terminating_rule_id == "BlockScriptInQuery"
    assert seen.client_ip == "127.0.0.1"
    with ws_client.connect(f"ws://127.0.0.1:{server.port}/tagged/ws") as conn:
        conn.send("again")
        assert conn.recv() == "hello again"
    assert seen.headers.get("x-amzn-waf-checked") == "yes"


class CountingStore:
    """A real (tiny) rate store: over the limit after ``limit`` hits per key."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.hits: dict[str, int] = {}

    def hit(self, check: RateCheck, now: float) -> bool:
        self.hits[check.key] = self.hits.get(check.key, 0) + 1
        return self.hits[check.key] > self.limit


class AsyncCountingStore(CountingStore):
    async def hit(self, check: RateCheck, now: float) -> bool:  # type: ignore[override]
        return CountingStore.hit(self, check, now)


class BrokenStore:
    def hit(self, check: RateCheck, now: float) -> bool:
        raise ConnectionError("store down")


@pytest.mark.parametrize("store_type", [CountingStore, AsyncCountingStore])
def test_rate_checks_are_answered_by_the_store(tmp_path: Path, store_type: type[CountingStore]) -> None:
    acl = tmp_path / "rate.json"
    acl.write_text(json.dumps(acl_document([RATE_RULE])))
    store = store_type(limit=2)
    seen = Seen()
    with uvicorn_in_thread(protected_app(str(acl), seen, rate_store=store)) as server:
        codes = [httpx.get(f"{server.url}/api/x").status_code for _ in range(4)]
        assert httpx.get(f"{server.url}/other").status_code == 200  # outside the scope-down
    assert codes == [200, 200, 403, 403]
    assert list(store.hits.values()) == [4]


@pytest.mark.parametrize(("mode", "status"), [("closed", 500), ("open", 200)])
def test_engine_failure_takes_the_fail_mode(tmp_path: Path, mode: str, status: int) -> None:
    acl = tmp_path / "rate.json"
    acl.write_text(json.dumps(acl_document([RATE_RULE])))
    seen = Seen()
    reasons: list[str] = []
    app = protected_app(str(acl), seen, rate_store=BrokenStore(), fail_mode=mode, on_fail_open=reasons.append)
    with uvicorn_in_thread(app) as server:
        assert httpx.get(f"{server.url}/api/x").status_code == status
        assert httpx.get(f"{server.url}/fine").status_code == 200  # no rate check: no failure
    assert seen.paths == (["/api/x", "/fine"] if mode == "open" else ["/fine"])
    assert reasons == (["ConnectionError"] if mode == "open" else [])


def test_bad_arguments_fail_at_construction(acl_file: Path) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None: ...

    with pytest.raises(ValueError, match="fail_mode"):
        WafMiddleware(app, acl=str(acl_file), fail_mode="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="trusted_proxies"):
        WafMiddleware(app, acl=str(acl_file), trusted_proxies=["not-a-cidr"])


def test_lifespan_passes_through(acl_file: Path) -> None:
    started: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        while True:
            message = await receive()
            started.append(message["type"])
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return

    with uvicorn_in_thread(WafMiddleware(inner, acl=str(acl_file)), lifespan="on"):
        pass
    assert started == ["lifespan.startup", "lifespan.shutdown"]


def test_captcha_and_challenge_answer_like_aws(tmp_path: Path) -> None:
    """AWS answers CAPTCHA with 405 and CHALLENGE with 202 (interstitials; ours are text for now)."""
    rules = [
        {
            "Name": "Cap",
            "Priority": 20,
            "Action": {"Captcha": {}},
            "VisibilityConfig": _VIS,
            "Statement": _byte_match({"UriPath": {}}, "/captcha", "STARTS_WITH"),
        },
        {
            "Name": "Chal",
            "Priority": 21,
            "Action": {"Challenge": {}},
            "VisibilityConfig": _VIS,
            "Statement": _byte_match({"UriPath": {}}, "/challenge", "STARTS_WITH"),
        },
    ]
    acl = tmp_path / "acl.json"
    acl.write_text(json.dumps(acl_document(rules)))
    seen = Seen()
    with uvicorn_in_thread(protected_app(str(acl), seen)) as server:
        captcha = httpx.get(f"{server.url}/captcha/x")
        challenge = httpx.get(f"{server.url}/challenge/x")
    assert (captcha.status_code, challenge.status_code) == (405, 202)
    assert "captcha" in captcha.text.lower() and "challenge" in challenge.text.lower()
    assert captcha.headers["cache-control"] == "no-store"
    assert seen.paths == []


def test_rate_rule_without_a_store_never_limits_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    acl = tmp_path / "rate.json"
    acl.write_text(json.dumps(acl_document([RATE_RULE])))
    with uvicorn_in_thread(protected_app(str(acl), Seen())) as server:
        with caplog.at_level("WARNING", logger="wafproxy.middleware"):
            codes = {httpx.get(f"{server.url}/api/x").status_code for _ in range(3)}
    assert codes == {200}
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
    assert "without a rate_store" in caplog.records[0].message
