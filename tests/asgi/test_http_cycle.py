"""CoalescingCycle: a BODY_FOLLOWS response goes out in one write, byte-identical to uvicorn's two."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from wafproxy.asgi.http_cycle import BODY_FOLLOWS, CoalescingCycle


class RecordingTransport:
    """A transport that keeps every write (the cycle's only peer here)."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _cycle(cls: type[RequestResponseCycle], method: str = "GET", keep_alive: bool = True) -> tuple[Any, RecordingTransport]:
    transport = RecordingTransport()
    scope = {"type": "http", "method": method, "http_version": "1.1", "path": "/", "headers": []}
    cycle = cls(scope=scope, transport=transport, flow=FlowControl(transport), logger=logging.getLogger("t"),  # type: ignore[arg-type]
                access_logger=logging.getLogger("t"), access_log=False, default_headers=[],
                message_event=asyncio.Event(), expect_100_continue=False, keep_alive=keep_alive,
                on_response=lambda: None)
    return cycle, transport


async def _respond(cycle: Any, flag: bool, body: bytes = b"hello") -> None:
    start = {"type": "http.response.start", "status": 200,
             "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]}
    if flag:
        start[BODY_FOLLOWS] = True
    await cycle.send(start)
    await cycle.send({"type": "http.response.body", "body": body, "more_body": False})


@pytest.mark.parametrize("keep_alive", [True, False])
async def test_body_follows_is_one_write_with_uvicorns_bytes(keep_alive: bool) -> None:
    plain, plain_t = _cycle(RequestResponseCycle, keep_alive=keep_alive)
    await _respond(plain, flag=True)
    ours, ours_t = _cycle(CoalescingCycle, keep_alive=keep_alive)
    await _respond(ours, flag=True)
    assert len(plain_t.writes) == 2
    assert ours_t.writes == [b"".join(plain_t.writes)]
    assert ours.response_complete and ours_t.closed == (not keep_alive)


async def test_without_the_flag_nothing_is_held() -> None:
    ours, transport = _cycle(CoalescingCycle)
    await ours.send({"type": "http.response.start", "status": 204, "headers": []})
    assert len(transport.writes) == 1  # the head is out before any body (streaming apps)


async def test_head_request_writes_the_head() -> None:
    ours, transport = _cycle(CoalescingCycle, method="HEAD")
    await _respond(ours, flag=True)
    assert len(transport.writes) == 1 and transport.writes[0].startswith(b"HTTP/1.1 200")


async def test_a_refused_body_message_still_sends_the_head() -> None:
    ours, transport = _cycle(CoalescingCycle)
    await ours.send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")],
                     BODY_FOLLOWS: True})
    with pytest.raises(RuntimeError):
        await ours.send({"type": "http.response.body", "body": b"too long", "more_body": False})
    assert transport.writes and transport.writes[0].startswith(b"HTTP/1.1 200")
