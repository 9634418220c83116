"""``WafMiddleware`` under uvicorn (httptools) with the differential matrix's streams: how a
request is framed is uvicorn's call, not ours (what it lets through is documented in
docs/hardening.md), but the middleware must never hand the app a body other than the one it
inspected. Two uvicorns on loopback, one app behind the middleware and the same app bare: for
every stream the app behind the middleware reads exactly what the bare app reads (the same
requests, the same bodies, in order), less the requests the WAF refused, and never a body that
carries the ACL's body marker, whatever framing carried it.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.asgi.test_middleware import acl_document
from tests.server.smuggle_gen import BASES, H, streams
from tests.support.servers import uvicorn_in_thread
from tests.support.wait import DEADLINE
from wafproxy.asgi.middleware import WafMiddleware
from wafproxy.asgi.types import Receive, Scope, Send

MARKER = b"drop table"  # acl_document's BlockBodyMarker
Read = tuple[bytes, bytes, bytes]


class Recorder:
    """A bare ASGI app: records (method, raw path, body) of each request it reads whole."""

    def __init__(self) -> None:
        self.reads: list[Read] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.reads.append((scope["method"].encode(), scope["raw_path"], body))
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Recorder, int, Recorder]]:
    acl = Path(tmp_path_factory.mktemp("acl")) / "acl.json"
    acl.write_text(json.dumps(acl_document()))
    guarded, bare = Recorder(), Recorder()
    with (uvicorn_in_thread(WafMiddleware(guarded, acl=str(acl)), http="httptools") as one,
          uvicorn_in_thread(bare, http="httptools") as two):
        yield one.port, guarded, two.port, bare


def _talk(port: int, data: bytes) -> bytes:
    out = b""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)  # uvicorn answers what it read, then sees the end
        while True:
            try:
                got = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                return out
            if not got:
                return out
            out += got


def _reads(port: int, recorder: Recorder, data: bytes) -> list[Read]:
    before = len(recorder.reads)
    _talk(port, data)
    return recorder.reads[before:]


MARKED = [
    b"POST /m HTTP/1.1\r\n" + H + b"Content-Length: 15\r\n\r\nx=1 drop table",
    b"POST /m HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\ndrop \r\n5\r\ntable\r\n0\r\n\r\n",
    b"POST /m HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
    b"A;x=\"y\"\r\ndrop table\r\n0\r\nT: 1\r\n\r\n",
    b"POST /m HTTP/1.0\r\nContent-Length: 10\r\nConnection: keep-alive\r\n\r\ndrop tablePOST /n HTTP/1.0\r\n"
    b"Content-Length: 10\r\n\r\ndrop table",
    b"GET /m HTTP/1.1\r\n" + H + b"Content-Length: 10\r\n\r\ndrop table",  # a GET's body is inspected too
    b"POST /m HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\nA\r\ndrop table\r\n0\r\n\r\n",
    b"GET /a HTTP/1.1\r\n" + H + b"\r\nPOST /m HTTP/1.1\r\n" + H + b"Content-Length: 10\r\n\r\ndrop table",
]


@pytest.mark.parametrize("data", [pytest.param(d, id=f"marked{i}") for i, d in enumerate(MARKED)])
def test_a_marked_body_never_reaches_the_app_whatever_frames_it(
    pair: tuple[int, Recorder, int, Recorder], data: bytes
) -> None:
    guarded_port, guarded, bare_port, bare = pair
    theirs = _reads(bare_port, bare, data)
    ours = _reads(guarded_port, guarded, data)
    assert any(MARKER in body for _, _, body in theirs) or not theirs, theirs  # uvicorn framed it
    assert not any(MARKER in body for _, _, body in ours), ours
    assert ours == [r for r in theirs if MARKER not in r[2]][: len(ours)]


@pytest.mark.parametrize("seed", [200, 201, 202])
def test_the_app_behind_the_middleware_reads_what_the_bare_app_reads(
    pair: tuple[int, Recorder, int, Recorder], seed: int
) -> None:
    guarded_port, guarded, bare_port, bare = pair
    for data in [*BASES, *streams(seed, 40)]:
        theirs = _reads(bare_port, bare, data)
        ours = _reads(guarded_port, guarded, data)
        assert ours == theirs, data


@pytest.mark.parametrize("name", [b"content-length", b"Content-Length", b"CONTENT-LENGTH",
                                  b"Transfer-Encoding"])
def test_a_body_header_named_out_of_spec_case_still_has_its_body_inspected(
    tmp_path: Path, name: bytes
) -> None:
    """ASGI names headers in lower case; a server or an outer middleware that does not
    ("Content-Length") took the no-body fast path and the app read the body uninspected."""
    acl = tmp_path / "acl.json"
    acl.write_text(json.dumps(acl_document()))
    app = Recorder()
    middleware = WafMiddleware(app, acl=str(acl))
    sent: list[dict[str, object]] = []
    messages = [{"type": "http.request", "body": b"x " + MARKER, "more_body": False}]

    async def receive() -> dict[str, object]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/m", "raw_path": b"/m", "query_string": b"",
             "headers": [(b"host", b"x"), (name, b"12" if b"ength" in name.lower() else b"chunked")],
             "http_version": "1.1", "client": ("192.0.2.7", 5000), "scheme": "http", "server": ("x", 80)}
    asyncio.run(middleware(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 403
    assert app.reads == []
