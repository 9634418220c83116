"""A websocket relay with no byte either way for ``websocket_idle_timeout`` seconds is closed with
1001 to the client and to a real websocket upstream (uvicorn on loopback), and counted in
``wafproxy_limit_hits_total{limit="websocket_idle"}``; traffic either way keeps it open. The
setting is one flag, one ``WAFPROXY_*`` variable and one config key; 0 turns it off."""

from __future__ import annotations

import time
from pathlib import Path

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.server.harness import proxy_in_thread
from tests.server.test_bounds import hits, masked, read_frame, ws_connect
from tests.support.servers import uvicorn_in_thread
from tests.support.wait import until
from tests.test_settings_bounds import parse
from wafproxy.asgi.limits import ShieldLimits
from wafproxy.observability.limits_metrics import LimitsMetrics

IDLE = 2.0


def echo_upstream(closes: list[int]) -> Starlette:
    """Echoes text frames; records the close code each client left with."""

    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        try:
            while True:
                await ws.send_text("echo:" + await ws.receive_text())
        except WebSocketDisconnect as gone:
            closes.append(gone.code)

    return Starlette(routes=[WebSocketRoute("/ws", echo)])


def test_an_idle_websocket_is_closed_1001_both_ways_and_counted(acl_path: Path) -> None:
    closes: list[int] = []
    registry = CollectorRegistry()
    with uvicorn_in_thread(echo_upstream(closes)) as upstream, \
            proxy_in_thread(upstream.url, acl_path, limits=LimitsMetrics(registry),
                            websocket_idle_timeout=IDLE) as proxy:
        with ws_connect(proxy.port) as sock:
            sock.settimeout(60)
            # Frames back and forth for twice the timeout: traffic keeps the relay open.
            start, n = time.monotonic(), 0
            while time.monotonic() - start < 2 * IDLE:
                sock.sendall(masked(0x1, b"%d" % n))
                assert read_frame(sock) == (0x1, b"echo:%d" % n)
                n += 1
            assert proxy.server.ctx.refusals["websocket_idle"] == 0
            # Then silence: the recv waits for the proxy's going-away close, then the socket's end.
            assert read_frame(sock) == (0x8, (1001).to_bytes(2, "big"))
            assert sock.recv(100) == b""
        until(lambda: closes == [1001], what="the upstream told 1001 and its connection closed")
        assert proxy.server.ctx.refusals["websocket_idle"] == 1
    assert hits(registry, "websocket_idle") == 1


def test_the_setting_flag_env_config_and_zero_off(tmp_path: Path) -> None:
    assert ShieldLimits().websocket_idle_timeout == 600.0
    assert parse(["--websocket-idle-timeout", "30"])[0].websocket_idle_timeout == 30.0
    assert parse([], {"WAFPROXY_WEBSOCKET_IDLE_TIMEOUT": "0"})[0].websocket_idle_timeout == 0.0
    config = tmp_path / "c.yaml"
    config.write_text("websocket_idle_timeout: 45\n")
    assert parse(["--config", str(config)])[0].websocket_idle_timeout == 45.0
