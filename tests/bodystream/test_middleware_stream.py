"""Whole-body inspection through ``WafMiddleware`` under uvicorn: the app records what it read."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

import pytest

from tests.bodystream.test_proxy_stream import DEFAULT_ACL, padding, post
from tests.support.servers import RunningServer, uvicorn_in_thread
from wafproxy.asgi.middleware import WafMiddleware


class App:
    """An ASGI app that reads its whole body and records (bytes read, whether it ended)."""

    def __init__(self) -> None:
        self.seen: list[tuple[bytes, bool]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        ended = False
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                ended = True
                break
        self.seen.append((body, ended))
        text = b"app:%d" % len(body)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(text)).encode())]})
        await send({"type": "http.response.body", "body": text})


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[RunningServer, App]]:
    app = App()
    with uvicorn_in_thread(WafMiddleware(app, acl=DEFAULT_ACL)) as server:
        yield server, app


@pytest.mark.parametrize("kb", [64, 900])
def test_attack_after_padding_blocked_and_app_never_sees_whole_body(served, kb: int) -> None:
    server, app = served
    body = padding(kb * 1024) + b"&q=<script>alert(document.cookie)</script>&z=" + b"y" * 2000
    before = len(app.seen)
    status, text = post(server.port, body)
    assert status == 403 and b"Forbidden" in text
    assert all(not ended for _, ended in app.seen[before:])


def test_benign_megabyte_reaches_the_app_intact(served) -> None:
    server, app = served
    body = padding(1 << 20)
    status, text = post(server.port, body, pieces=10_000)
    assert (status, text) == (200, b"app:%d" % len(body))
    assert app.seen[-1] == (body, True)


def test_gzip_bomb_413_and_gzipped_benign_intact(served) -> None:
    server, app = served
    assert post(server.port, gzip.compress(b"\0" * (20 << 20)), extra=b"content-encoding: gzip\r\n")[0] == 413
    body = gzip.compress(padding(200 * 1024))
    assert post(server.port, body, extra=b"content-encoding: gzip\r\n")[0] == 200
    assert app.seen[-1] == (body, True)


def test_streamed_block_is_one_event_naming_the_managed_rule() -> None:
    events: list = []

    class Sink:
        def emit(self, event: object) -> None:
            events.append(event)

    app = App()
    with uvicorn_in_thread(WafMiddleware(app, acl=DEFAULT_ACL, event_sink=Sink())) as server:
        body = padding(300 * 1024) + b"&q=1%27+UNION+SELECT+password+FROM+users--+-"
        assert post(server.port, body)[0] == 403
    blocked = [e for e in events if e.response_status == 403]
    assert len(blocked) == 1
    decision = blocked[0].decision
    assert decision.terminating_rule_id == "WafproxyManagedRulesSQLiRuleSet"
    assert decision.terminating_group_rule_id.startswith("SQLi")


def test_refused_bodies_are_reported_for_the_metric() -> None:
    reasons: list[str] = []
    app = App()
    with uvicorn_in_thread(WafMiddleware(app, acl=DEFAULT_ACL, on_body_refused=reasons.append)) as server:
        bomb = gzip.compress(b"\0" * (20 << 20))
        assert post(server.port, bomb, extra=b"content-encoding: gzip\r\n")[0] == 413
        assert post(server.port, b"x", extra=b"content-encoding: zstd\r\n")[0] == 415
    assert reasons == ["decompression_bomb", "unsupported_content_encoding"]
    assert app.seen == []
