"""A real upstream (uvicorn + Starlette on loopback) that records what reached it; and for the
smuggling probes a raw recording upstream with our server in front of it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from tests.asgi.test_middleware import acl_document
from tests.server.harness import RunningProxy, proxy_in_thread
from tests.support.recording_upstream import RecordingUpstream, recording_upstream
from tests.support.servers import RunningServer, uvicorn_in_thread


class Recorder:
    """What reached the upstream: paths (raw, as sent) and header dicts."""

    def __init__(self) -> None:
        self.paths: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.bodies: list[int] = []

    def app(self) -> Starlette:
        async def anything(request: Request) -> Response:
            self.paths.append(request.scope["raw_path"])
            self.headers.append(dict(request.headers))
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
            self.bodies.append(size)
            if request.url.path == "/slow":
                await asyncio.sleep(float(request.query_params.get("s", "1")))
            if request.url.path == "/stream":
                n = int(request.query_params.get("n", "10"))

                async def chunks() -> AsyncIterator[bytes]:
                    for _ in range(n):
                        yield b"x" * 65536

                return StreamingResponse(chunks(), media_type="application/octet-stream")
            if request.url.path == "/empty":
                return Response(status_code=204)
            return Response(b"upstream:" + str(size).encode(), headers={"x-upstream": "yes"})

        async def echo(ws: WebSocket) -> None:
            self.paths.append(ws.scope["raw_path"])
            await ws.accept()
            while True:
                try:
                    text = await ws.receive_text()
                except Exception:  # noqa: BLE001 - the client left
                    return
                await ws.send_text("echo:" + text)

        return Starlette(routes=[WebSocketRoute("/ws", echo),
                                 Route("/{p:path}", anything, methods=["GET", "POST", "PUT", "HEAD"])])


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[RunningServer, Recorder]]:
    recorder = Recorder()
    with uvicorn_in_thread(recorder.app(), http="httptools") as server:
        yield server, recorder


@pytest.fixture(scope="module")
def acl_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("acl") / "acl.json"
    path.write_text(json.dumps(acl_document()))
    return path


@pytest.fixture(scope="module")
def raw_upstream() -> Iterator[RecordingUpstream]:
    """Every byte the proxy writes upstream, unnormalised (tests/support/recording_upstream.py)."""
    with recording_upstream() as up:
        yield up


@pytest.fixture(scope="module")
def proxy_to_raw_upstream(raw_upstream: RecordingUpstream, acl_path: Path) -> Iterator[RunningProxy]:
    """Our server in a thread in front of ``raw_upstream`` (the smuggling probes, both sides). Not
    called ``proxy``: other modules here define their own ``proxy`` in front of other upstreams."""
    with proxy_in_thread(raw_upstream.url, acl_path) as running:
        yield running
