"""A tiny upstream that records what reached it, and a probe of the default web ACL through a proxy."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.support.servers import RunningServer, uvicorn_in_thread


@contextlib.contextmanager
def recording_upstream() -> Iterator[tuple[RunningServer, list[str]]]:
    """An upstream answering "upstream" to anything; the list holds each request's path?query."""
    seen: list[str] = []

    async def anything(request: Request) -> Response:
        seen.append(f"{request.url.path}?{request.url.query}")
        return PlainTextResponse("upstream")

    app = Starlette(routes=[Route("/{p:path}", anything, methods=["GET", "POST"])])
    with uvicorn_in_thread(app, http="httptools") as server:
        yield server, seen


def first_answer(url: str, proc: subprocess.Popen[bytes], timeout: float) -> httpx.Response:
    """GET ``url`` as soon as the proxy listens (polled until ``timeout``; fails if it exits)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=30)
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.05)


def probe_default_acl(base: str, seen: list[str], proc: subprocess.Popen[bytes], timeout: float) -> None:
    """A benign request passes; XSS, SQL injection and a dotfile are blocked and never reach it."""
    seen.clear()
    benign = first_answer(f"{base}/search?q=teapot", proc, timeout)
    assert benign.status_code == 200 and benign.text == "upstream"
    assert httpx.get(f"{base}/search", params={"q": "<script>alert(1)</script>"}).status_code == 403
    assert httpx.get(f"{base}/search", params={"q": "1' OR '1'='1"}).status_code == 403
    assert httpx.get(f"{base}/.git/config").status_code == 403
    assert seen == ["/search?q=teapot"]
