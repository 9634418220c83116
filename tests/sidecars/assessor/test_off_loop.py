"""The assessor shares the proxy's event loop in ``serve``: its slow set-up work (importing the check
families, building the probe clients, the first request's lazy imports, reading the installed
packages) runs on threads, and its findings are what they were."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support.servers import REPO, RunningServer
from wafproxy.sidecars.assessor import registry
from wafproxy.sidecars.assessor.context import AssessContext, ConfigFacts
from wafproxy.sidecars.assessor.probe import Prober

# A fresh interpreter (nothing imported yet), an import hook recording which thread imported
# what while one assessment runs on the loop against a real HTTP server.
_FRESH = r"""
import asyncio, http.server, json, sys, threading

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.end_headers()
        self.wfile.write(b"<!doctype html><title>t</title>")
    do_HEAD = do_OPTIONS = do_POST = do_GET
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()

from wafproxy.sidecars.assessor.context import AssessContext, ConfigFacts, Target
from wafproxy.sidecars.assessor.probe import Prober
from wafproxy.sidecars.assessor.runner import assess

imported = {}

class Recorder:
    def find_spec(self, name, path=None, target=None):
        imported.setdefault(name, threading.get_ident())
        return None

async def main():
    loop_thread = threading.get_ident()
    await asyncio.to_thread(int)  # the default executor exists in serve before the assessor runs
    sys.meta_path.insert(0, Recorder())
    prober = Prober(min_interval=0)
    ctx = AssessContext([Target(f"http://127.0.0.1:{server.server_port}/", "app")], prober,
                        ConfigFacts(source="t", web_acl={"Name": "x", "Rules": []}))
    try:
        report = await assess(ctx)
    finally:
        await prober.close()
    return loop_thread, report.probes

loop_thread, probes = asyncio.run(main())
print(json.dumps({"loop": loop_thread, "imported": imported, "probes": probes}))
"""


def test_nothing_is_imported_on_the_loop_during_a_first_assessment() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _FRESH], capture_output=True, text=True, timeout=120, cwd=REPO, check=False
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    imported: dict[str, int] = out["imported"]
    assert out["probes"] > 0
    families = {f"wafproxy.sidecars.assessor.{name}" for name in registry.FAMILY_MODULES}
    assert families <= set(imported), "the check families were imported before the run"
    assert "anyio._backends._asyncio" in imported
    on_loop = sorted(name for name, thread in imported.items() if thread == out["loop"])
    assert on_loop == []


def test_family_modules_load_on_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    load = registry.load_families

    def recording() -> None:
        seen.append(threading.get_ident())
        load()

    monkeypatch.setattr(registry, "load_families", recording)
    monkeypatch.setattr(registry, "_loaded", False)

    async def run() -> tuple[int, registry.FamilyResult]:
        ctx = AssessContext([], Prober(min_interval=0), ConfigFacts(source="t", web_acl=None))
        return threading.get_ident(), await registry.run_all(ctx)

    loop_thread, result = asyncio.run(run())
    assert len(seen) == 1 and seen[0] != loop_thread
    assert result.errors  # no targets, no configuration: reported, as before
    assert asyncio.run(run())[1].errors == result.errors and len(seen) == 1  # loaded once


def test_probe_clients_are_built_once_per_mode_off_the_loop(
    monkeypatch: pytest.MonkeyPatch, good_server: RunningServer
) -> None:
    builds: list[tuple[bool, int]] = []
    build = Prober._build

    def recording(self: Prober, verify: bool) -> object:
        builds.append((verify, threading.get_ident()))
        return build(self, verify)

    monkeypatch.setattr(Prober, "_build", recording)

    async def run() -> tuple[int, list[int]]:
        prober = Prober(min_interval=0)
        try:
            got = await prober.get_many([f"{good_server.url}/?n={i}" for i in range(8)])
        finally:
            await prober.close()
        return threading.get_ident(), [r.status for r in got]

    loop_thread, statuses = asyncio.run(run())
    assert statuses == [200] * 8
    assert [verify for verify, _ in builds] == [True]  # eight concurrent probes, one client
    assert all(thread != loop_thread for _, thread in builds)


def test_a_probe_client_that_cannot_be_built_fails_the_probe_as_before(tmp_path: Path) -> None:
    """A CA file that is not there: the build raises on its thread, the probe raises as it did."""

    async def run() -> None:
        prober = Prober(min_interval=0, ca_file=tmp_path / "missing.pem")
        try:
            await prober.get("https://127.0.0.1:1/")
        finally:
            await prober.close()

    with pytest.raises(FileNotFoundError):
        asyncio.run(run())

