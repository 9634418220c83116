"""End to end: a real ``wafproxy demo`` process, its periodic assessment, and ``wafproxy inspect``
run against it: findings printed, stored there, listed by boto3's inspector2 client, a fix applied."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import boto3

from tests.sidecars.assessor.demo import running_demo
from tests.support.servers import REPO


def inspect(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wafproxy", "inspect", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_inspect_the_demo_and_find_the_same_findings_through_the_api() -> None:
    with running_demo("--assess-interval", "3600") as demo:
        env, waf, api = demo.env, demo.waf, demo.admin
        upstream = demo.upstream
        inspector: Any = boto3.client("inspector2", endpoint_url=api, region_name="us-east-1", **demo.keys())

        # The periodic assessment runs by itself soon after start.
        deadline = time.monotonic() + 60
        while not inspector.list_findings()["findings"]:
            assert time.monotonic() < deadline, "no periodic assessment within 60 s"
            time.sleep(0.2)

        done = inspect(
            env,
            "--target",
            waf,
            "--upstream",
            upstream,
            "--admin",
            api,
            "--json",
            "--fail-on",
            "MEDIUM",
        )
        assert done.returncode == 3, done.stderr  # MEDIUM findings are active
        report = json.loads(done.stdout)
        assert report["assessed_at"].endswith("Z") and report["score"] is not None
        titles = {f["title"] for f in report["findings"]}
        assert {"No rate-based rule", "Content-Security-Policy missing or unsafe"} <= titles
        assert all(f["remediation"]["recommendation"]["text"] for f in report["findings"])
        stored = {f["findingArn"]: f for f in _all(inspector)}
        assert {f["findingArn"] for f in report["findings"]} <= set(stored)

        text = inspect(env, "--target", waf, "--admin", api)
        assert text.returncode == 0 and "MEDIUM (" in text.stdout and "fix WAFP-CFG-NO-RATE-" in text.stdout
        fix_id = next(k for k in report["fixes"] if k.startswith("WAFP-CFG-NO-RATE-"))
        applied = inspect(env, "--target", waf, "--admin", api, "--apply", fix_id)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert '+      "Name": "wafproxy-assessor-rate-limit",' in applied.stdout  # the diff was shown
        again = inspect(env, "--target", waf, "--admin", api, "--json")
        assert "No rate-based rule" not in {f["title"] for f in json.loads(again.stdout)["findings"]}
        rate = [f for f in _all(inspector) if f["title"] == "No rate-based rule"]
        assert rate and all(f["status"] == "CLOSED" for f in rate)


def _all(client: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    token = None
    while True:
        page = client.list_findings(maxResults=100, **({"nextToken": token} if token else {}))
        out += page["findings"]
        token = page.get("nextToken")
        if not token:
            return out
