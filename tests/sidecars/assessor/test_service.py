"""The assessor inside serve: periodic runs on the admin app's lifespan, and the FindingSink."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from tests.support.servers import RunningServer, uvicorn_in_thread
from wafproxy.settings import Settings, UpstreamRoute
from wafproxy.sidecars.assessor.context import ConfigFacts
from wafproxy.sidecars.assessor.service import Assessor, attach
from wafproxy.sidecars.assessor.store import FindingStore


class ListSink:
    """A FindingSink (ports.FindingSink) keeping what it was given, as the findings hub would."""

    def __init__(self) -> None:
        self.batches: list[list[dict[str, object]]] = []

    async def put_findings(self, findings: list[dict[str, object]]) -> None:
        self.batches.append(findings)


def test_run_once_stores_and_offers_inspector_findings(tmp_path: Path, bad_server: RunningServer) -> None:
    settings = Settings(upstreams=(UpstreamRoute(bad_server.url),), state_dir=tmp_path, assess_interval=0)
    sink = ListSink()
    store = FindingStore(tmp_path / "a.sqlite3")
    assessor = Assessor(
        settings, store, lambda: ConfigFacts(source="t", web_acl={"Name": "x", "Rules": []}), sink=sink
    )
    assessor.set_listener("0.0.0.0", 1, tls=False)  # nothing there: reported, the rest still runs
    report = asyncio.run(assessor.run_once())
    assert any(e.resource_id == "http://127.0.0.1:1" for e in report.errors)
    assert sink.batches and {f["findingArn"] for f in sink.batches[0]} == {
        f["findingArn"] for f in store.findings()
    }
    finding: dict[str, Any] = sink.batches[0][0]
    assert {
        "findingArn",
        "awsAccountId",
        "type",
        "severity",
        "status",
        "remediation",
        "resources",
        "firstObservedAt",
        "lastObservedAt",
        "inspectorScore",
    } <= set(finding)
    store.close()


def test_periodic_assessment_starts_with_the_admin_lifespan(
    tmp_path: Path, bad_server: RunningServer
) -> None:
    settings = Settings(upstreams=(UpstreamRoute(bad_server.url),), state_dir=tmp_path, assess_interval=3600)
    app = attach(Starlette(), settings, reloader=None)
    with uvicorn_in_thread(app, lifespan="on"):
        deadline = time.monotonic() + 30
        store = FindingStore(tmp_path / "assessor.sqlite3")
        while not store.findings():
            assert time.monotonic() < deadline, "no assessment within 30 s of start"
            time.sleep(0.1)
        assert any(
            f["title"] == "/.git/config answers through the proxy" or "Content-Security" in f["title"]
            for f in store.findings()
        )
        store.close()
    assert app.assessor.runs == 1  # type: ignore[attr-defined]


def test_interval_zero_turns_it_off(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, assess_interval=0)
    app = attach(Starlette(), settings, reloader=None)
    with uvicorn_in_thread(app, lifespan="on"):
        assert app.assessor._task is None  # type: ignore[attr-defined]


def test_assess_interval_setting() -> None:
    import argparse

    import pytest

    from wafproxy.settings import SettingsError, resolve

    assert resolve(argparse.Namespace(), {}).assess_interval == 3600.0
    assert resolve(argparse.Namespace(assess_interval="0"), {}).assess_interval == 0.0
    assert resolve(None, {"WAFPROXY_ASSESS_INTERVAL": "30"}).assess_interval == 30.0
    with pytest.raises(SettingsError, match="--assess-interval"):
        resolve(argparse.Namespace(assess_interval="-1"), {})
