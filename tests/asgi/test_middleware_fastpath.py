"""WafMiddleware's bodiless fast path (issue 11): an HTTP/1.x request that declares no body is
decided without reading from the client; the app gets the server's own ``receive`` (and its own
``send`` when no event needs the status). Whatever may carry a body still goes through the reading
path and is inspected; other scopes pass straight through.

The identity checks call the middleware directly with plain ASGI callables (what is checked is
which callables reach the app, not the network); the rest runs on a real uvicorn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.asgi.test_middleware import Seen, acl_document, protected_app
from tests.support.servers import RunningServer, uvicorn_in_thread
from wafproxy import WafMiddleware
from wafproxy.asgi import scoperequest
from wafproxy.asgi.middleware import CLIENT_IP_KEY, DECISION_KEY
from wafproxy.asgi.scoperequest import bodiless_request, read_headers, scope_request
from wafproxy.events import RequestEvent
from wafproxy.ports import GATE_RULE_ID, GateBlock

Message = dict[str, Any]


class ListSink:
    def __init__(self) -> None:
        self.events: list[RequestEvent] = []

    def emit(self, event: RequestEvent) -> None:
        self.events.append(event)


@pytest.fixture
def acl_file(tmp_path: Path) -> Path:
    import json

    path = tmp_path / "acl.json"
    path.write_text(json.dumps(acl_document()))
    return path


@pytest.fixture
def served(acl_file: Path) -> Iterator[tuple[RunningServer, Seen, ListSink]]:
    seen, sink = Seen(), ListSink()
    with uvicorn_in_thread(protected_app(str(acl_file), seen, event_sink=sink),
                           http="httptools", loop="uvloop") as server:
        yield server, seen, sink


def http_scope(path: str = "/search", query: bytes = b"q=shoes",
               headers: list[tuple[bytes, bytes]] | None = None, method: str = "GET",
               http_version: str = "1.1") -> dict[str, Any]:
    """A scope as uvicorn builds it."""
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": http_version, "method": method,
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
            "headers": headers if headers is not None else [(b"host", b"example.test")],
            "client": ("198.51.100.7", 50000), "server": ("127.0.0.1", 8000), "state": {}}


class Peer:
    """The server's side of one exchange: what the client sent, what the app answered."""

    def __init__(self, *bodies: bytes) -> None:
        last = len(bodies) - 1
        self.incoming: list[Message] = [
            {"type": "http.request", "body": b, "more_body": i < last} for i, b in enumerate(bodies)
        ] or [{"type": "http.request", "body": b"", "more_body": False}]
        self.reads = 0
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        self.reads += 1
        return self.incoming.pop(0) if self.incoming else {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])


class Inner:
    """The protected app: notes the callables and scope it got, reads the body, answers 204."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[dict[str, Any], Any, Any]] = []
        self.bodies: list[bytes] = []
        self.fail = fail

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls.append((scope, receive, send))
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        self.bodies.append(body)
        if self.fail:
            raise RuntimeError("app failed")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def test_bodiless_get_reaches_the_app_with_the_servers_own_callables(acl_file: Path) -> None:
    inner, peer = Inner(), Peer()
    asyncio.run(WafMiddleware(inner, acl=str(acl_file))(http_scope(), peer.receive, peer.send))
    (scope, receive, send), = inner.calls
    assert receive == peer.receive and send == peer.send  # nothing wrapped, nothing buffered
    assert peer.reads == 1 and inner.bodies == [b""]  # the app, not the WAF, read the empty body
    assert scope["state"][CLIENT_IP_KEY] == "198.51.100.7"
    assert scope["state"][DECISION_KEY].terminating_rule_id == "Default_Action"
    assert peer.status == 204


def test_with_a_sink_only_send_is_wrapped_and_the_event_has_the_apps_status(acl_file: Path) -> None:
    inner, peer, sink = Inner(), Peer(), ListSink()
    mw = WafMiddleware(inner, acl=str(acl_file), event_sink=sink)
    asyncio.run(mw(http_scope(), peer.receive, peer.send))
    (_, receive, send), = inner.calls
    assert receive == peer.receive and send != peer.send
    assert [e.response_status for e in sink.events] == [204]
    assert sink.events[0].upstream_seconds is not None


def test_bodiless_get_blocked_without_reading_or_calling_the_app(acl_file: Path) -> None:
    inner, peer, sink = Inner(), Peer(), ListSink()
    mw = WafMiddleware(inner, acl=str(acl_file), event_sink=sink)
    asyncio.run(mw(http_scope(query=b"q=%3Cscript%3E"), peer.receive, peer.send))
    assert inner.calls == [] and peer.reads == 0
    assert peer.status == 403
    assert [(e.response_status, e.decision.terminating_rule_id) for e in sink.events] == [
        (403, "BlockScriptInQuery")]


def test_app_failure_on_the_fast_path_is_one_event_with_500(acl_file: Path) -> None:
    inner, peer, sink = Inner(fail=True), Peer(), ListSink()
    mw = WafMiddleware(inner, acl=str(acl_file), event_sink=sink)
    with pytest.raises(RuntimeError, match="app failed"):
        asyncio.run(mw(http_scope(), peer.receive, peer.send))
    assert [e.response_status for e in sink.events] == [500]


def test_gate_refuses_a_bodiless_request_before_the_engine(acl_file: Path) -> None:
    class BanOne:
        def verdict(self, client_ip: str, now: float) -> GateBlock | None:
            return GateBlock(429, "Recon:HTTP/Scan", retry_after=30) if client_ip == "198.51.100.7" else None

    inner, peer, sink = Inner(), Peer(), ListSink()
    asyncio.run(WafMiddleware(inner, acl=str(acl_file), event_sink=sink, gate=BanOne())(
        http_scope(), peer.receive, peer.send))
    assert inner.calls == [] and peer.status == 429
    assert (b"retry-after", b"30") in peer.sent[0]["headers"]
    assert [e.decision.terminating_rule_id for e in sink.events] == [GATE_RULE_ID]


def test_http2_request_without_a_declared_length_has_its_body_inspected(acl_file: Path) -> None:
    """HTTP/2 sends DATA without Content-Length: no header says "no body", so it is read first."""
    inner, peer = Inner(), Peer(b"x=1&q=drop ", b"table users")
    asyncio.run(WafMiddleware(inner, acl=str(acl_file))(
        http_scope(method="POST", http_version="2"), peer.receive, peer.send))
    assert inner.calls == [] and peer.status == 403


def test_body_path_still_replays_what_it_read(acl_file: Path) -> None:
    inner, peer = Inner(), Peer(b"hello ", b"world")
    scope = http_scope(method="POST", headers=[(b"host", b"h"), (b"content-length", b"11")])
    asyncio.run(WafMiddleware(inner, acl=str(acl_file))(scope, peer.receive, peer.send))
    (_, receive, _), = inner.calls
    assert receive != peer.receive and inner.bodies == [b"hello world"] and peer.status == 204


@pytest.mark.parametrize("kind", ["lifespan", "somethingelse"])
def test_other_scopes_pass_through_untouched(acl_file: Path, kind: str) -> None:
    inner, peer = Inner(), Peer()
    scope = {"type": kind, "asgi": {"version": "3.0"}}
    asyncio.run(WafMiddleware(inner, acl=str(acl_file))(scope, peer.receive, peer.send))
    assert inner.calls == [(scope, peer.receive, peer.send)] and peer.reads == 0


@pytest.mark.parametrize(("headers", "bodiless"), [
    ([(b"host", b"h")], True),
    ([(b"host", b"h"), (b"content-length", b"0")], True),
    ([(b"content-length", b"5")], False),
    ([(b"content-length", b"00")], False),  # not the plain "0": the reading path judges it
    ([(b"transfer-encoding", b"chunked")], False),
    ([(b"content-encoding", b"gzip")], False),  # refused 415 when unknown, even without a body
])
def test_which_headers_declare_a_body(headers: list[tuple[bytes, bytes]], bodiless: bool) -> None:
    assert read_headers(headers)[2] is bodiless


@pytest.mark.parametrize("scope", [
    http_scope(),
    http_scope(path="/wiki/Z\u00fcrich", query="q=caf\u00e9".encode()),
    http_scope(headers=[(b"host", b"h"), (b"cookie", "n=\u2019".encode()), (b"x-latin", b"\xe9t\xe9"),
                        (b"x-forwarded-for", b"203.0.113.9")]),
    http_scope(method="HEAD", http_version="1.0"),
])
def test_fast_path_builds_the_request_the_reading_path_builds(acl_file: Path, scope: dict[str, Any]) -> None:
    """The same ``WafRequest`` (but its id) as ``Inspector.build``: the same decisions."""
    mw = WafMiddleware(Inner(), acl=str(acl_file), trusted_proxies=["198.51.100.0/24"])
    scope["raw_path"] = scope["path"].encode()  # raw UTF-8 bytes, as some clients send them
    for _ in range(2):  # decoded, then from the memo of decoded header lines
        text, by_name, _ = read_headers(scope["headers"])
        fast = bodiless_request(mw.inspector, scope, text, by_name, scope["method"])
        slow = scope_request(mw.inspector, scope, b"", 0, False)
        assert fast.request_id != slow.request_id
        assert repr(fast).replace(fast.request_id, "") == repr(slow).replace(slow.request_id, "")
        names = {name for name, _ in slow.headers} | {"absent"}
        assert {n: fast.header_values(n) for n in names} == {n: slow.header_values(n) for n in names}
        assert fast._lowered == slow._lowered  # built by the pass above, by header_values below
    assert fast.client_ip == ("203.0.113.9" if len(scope["headers"]) > 1 else "198.51.100.7")


def test_on_uvicorn_bodiless_and_body_requests(served: tuple[RunningServer, Seen, ListSink]) -> None:
    server, seen, sink = served
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/search", params={"q": "shoes"}).status_code == 200
        assert client.get("/search", params={"q": "<script>"}).status_code == 403
        empty = client.post("/form", content=b"")  # Content-Length: 0
        assert (empty.status_code, empty.headers["x-size"]) == (200, "0")
        # A GET may carry a body too: it is read and inspected.
        assert client.request("GET", "/search", content=b"q=drop table users").status_code == 403
        assert client.get("/search", headers={"content-encoding": "x-unknown"}).status_code == 415
        assert client.head("/search", params={"q": "<script>"}).status_code == 403
    assert seen.paths == ["/search", "/form"]
    assert [e.response_status for e in sink.events] == [200, 403, 200, 403, 403]


def test_header_lines_as_lists_are_read_too() -> None:
    """The ASGI spec allows any two-item iterable per header; the memo keys on tuples."""
    as_lists = [[b"host", b"h"], [b"content-length", b"3"]]
    assert read_headers(as_lists) == ((("host", "h"), ("content-length", "3")),
                                       {"host": ("h",), "content-length": ("3",)}, False)


def test_the_memo_of_decoded_header_lines_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    memo: dict[Any, Any] = {}
    monkeypatch.setattr(scoperequest, "_decoded", memo)
    long_value = b"v" * (scoperequest.MEMO_VALUE_MAX + 1)
    for i in range(scoperequest.MEMO_ENTRIES + 10):
        read_headers([(b"x-id", str(i).encode()), (b"x-long", long_value), (b"content-length", b"0")])
        assert len(memo) <= scoperequest.MEMO_ENTRIES
    assert (b"x-long", long_value) not in memo and (b"content-length", b"0") not in memo
    assert (b"x-id", str(scoperequest.MEMO_ENTRIES + 9).encode()) in memo
