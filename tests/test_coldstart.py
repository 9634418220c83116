"""A first start from an empty hyperscan cache: progress is printed, requests are answered — blocked
and allowed as the default web ACL says — while the hyperscan databases still compile (issue 11).

Real processes, the shipped default ACL (no ``--acl``), an empty ``WAFPROXY_HS_CACHE``. The full
build takes minutes of CPU: the test stops the server as soon as it has what it checks.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.support.servers import RunningServer, free_port, uvicorn_in_thread, wafproxy_process
from wafproxy.engine.matchers import HAVE_HYPERSCAN

PROGRESS = "hyperscan pattern databases (not in the cache yet)"
FINISHED = "matching now runs on hyperscan"
DEADLINE = 120.0  # generous: a loaded 2-core machine; the RE2 start-up compile takes ~2 s


class Lines:
    """Everything a process prints, read on a thread, in order; waits poll with a deadline."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            with self._changed:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = DEADLINE) -> int:
        """Index of the first line containing ``text``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for index, line in enumerate(self.lines):
                    if text in line:
                        return index
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    raise AssertionError(f"no line with {text!r}:\n" + "\n".join(self.lines))
                self._changed.wait(left)

    def snapshot(self) -> list[str]:
        with self._changed:
            return list(self.lines)


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[RunningServer, list[str]]]:
    seen: list[str] = []

    async def anything(request: Request) -> Response:
        seen.append(str(request.url.path) + "?" + request.url.query)
        return PlainTextResponse("upstream")

    app = Starlette(routes=[Route("/{p:path}", anything, methods=["GET", "POST"])])
    with uvicorn_in_thread(app, http="httptools") as server:
        yield server, seen


@pytest.mark.skipif(not HAVE_HYPERSCAN, reason="without hyperscan there is nothing to compile")
def test_cold_start_answers_while_hyperscan_compiles(
    tmp_path: Path, upstream: tuple[RunningServer, list[str]]
) -> None:
    server, seen = upstream
    cache = tmp_path / "hs-cache"
    port, admin = free_port(), free_port()
    args = ("serve", "--upstream", server.url, "--listen", f"127.0.0.1:{port}",
            "--admin-listen", f"127.0.0.1:{admin}")
    with wafproxy_process(*args, env={"WAFPROXY_HS_CACHE": str(cache)}) as proc:
        out = Lines(proc)
        # Progress first: it is printed before the listeners open, without any request.
        out.wait_for("compiling web ACL")
        progress = out.wait_for(PROGRESS)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + DEADLINE
        while True:  # the listener opens right after the compile
            try:
                benign = httpx.get(f"{base}/search?q=teapot", timeout=30)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, "\n".join(out.snapshot())
                time.sleep(0.05)
        answered = out.snapshot()
        assert benign.status_code == 200 and benign.text == "upstream"
        assert httpx.get(f"{base}/search", params={"q": "<script>alert(1)</script>"}).status_code == 403
        assert httpx.get(f"{base}/search", params={"q": "1' OR '1'='1"}).status_code == 403
        assert httpx.get(f"{base}/.git/config").status_code == 403
        assert seen == ["/search?q=teapot"]  # nothing blocked reached the upstream
        # Answered before the hyperscan build was over (minutes of CPU from an empty cache).
        assert not any(FINISHED in line for line in out.snapshot()), out.snapshot()
        assert "compiling" in answered[progress]
        started = [line for line in answered if line.strip()]
        assert len(started) == len(set(started)), f"a start-up line printed twice: {started}"
        assert any(PROGRESS in line for line in started)
