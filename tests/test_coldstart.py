"""A first start from an empty hyperscan cache: progress is printed, requests are answered — blocked
and allowed as the default web ACL says — while the hyperscan databases still compile (issue 11).

Real processes, the shipped default ACL (no ``--acl``), an empty ``WAFPROXY_HS_CACHE``. The full
build takes minutes of CPU: the test stops the server as soon as it has what it checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.output import Lines
from tests.support.servers import RunningServer, free_port, wafproxy_process
from tests.support.upstream import probe_default_acl, recording_upstream
from wafproxy.engine.matchers import HAVE_HYPERSCAN

PROGRESS = "hyperscan pattern databases (not in the cache yet)"
FINISHED = "matching now runs on hyperscan"
DEADLINE = 120.0  # generous: a loaded 2-core machine; the RE2 start-up compile takes ~2 s


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[RunningServer, list[str]]]:
    with recording_upstream() as up:
        yield up


@pytest.mark.skipif(not HAVE_HYPERSCAN, reason="without hyperscan there is nothing to compile")
def test_cold_start_answers_while_hyperscan_compiles(
    tmp_path: Path, upstream: tuple[RunningServer, list[str]]
) -> None:
    server, seen = upstream
    port, admin = free_port(), free_port()
    args = ("serve", "--upstream", server.url, "--listen", f"127.0.0.1:{port}",
            "--admin-listen", f"127.0.0.1:{admin}")
    with wafproxy_process(*args, env={"WAFPROXY_HS_CACHE": str(tmp_path / "hs-cache")}) as proc:
        out = Lines(proc)
        # Progress first: it is printed before the listeners open, without any request.
        out.wait_for("compiling web ACL", DEADLINE)
        progress = out.wait_for(PROGRESS, DEADLINE)
        probe_default_acl(f"http://127.0.0.1:{port}", seen, proc, DEADLINE)
        printed = out.snapshot()
        # Answered before the hyperscan build was over (minutes of CPU from an empty cache).
        assert not any(FINISHED in line for line in printed), printed
        assert "compiling" in printed[progress]
        started = [line for line in printed if line.strip()]
        assert len(started) == len(set(started)), f"a start-up line printed twice: {started}"
