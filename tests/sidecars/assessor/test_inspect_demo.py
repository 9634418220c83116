"""End to end: a real ``wafproxy demo`` process, its periodic assessment, and ``wafproxy inspect``
run against it: findings printed, stored there, listed by boto3's inspector2 client, a fix applied."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from typing import Any

import boto3

from tests.support.servers import REPO, free_port, wafproxy_process


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
    port, admin = free_port(), free_port()
    with wafproxy_process(
        "demo",
        "--listen",
        f"127.0.0.1:{port}",
        "--admin-listen",
        f"127.0.0.1:{admin}",
        "--log-level",
        "warning",
        "--assess-interval",
        "3600",
        wait_ports=(port, admin),
    ) as proc:
        assert proc.stdout is not None
        banner = ""
        while "KMS (AWS API)" not in banner:
            line = proc.stdout.readline().decode()
            assert line, "demo exited before printing its banner"
            banner += line
        creds = re.search(r"credentials \(demo\):\s+(\S+)", banner)
        upstream = re.search(r"unprotected:\s+(http://\S+)/", banner)
        assert creds and upstream
        env = {
            **os.environ,
            "AWS_SHARED_CREDENTIALS_FILE": creds.group(1),
            "AWS_PROFILE": "demo",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        waf, api = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin}"
        inspector: Any = boto3.session.Session(profile_name=None).client(
            "inspector2", endpoint_url=api, region_name="us-east-1", **_keys(creds.group(1))
        )

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
            upstream.group(1),
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


def _keys(path: str) -> dict[str, str]:
    text = open(path, encoding="utf-8").read()
    key = re.search(r"aws_access_key_id = (\S+)", text)
    secret = re.search(r"aws_secret_access_key = (\S+)", text)
    assert key and secret
    return {"aws_access_key_id": key.group(1), "aws_secret_access_key": secret.group(1)}


def _all(client: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    token = None
    while True:
        page = client.list_findings(maxResults=100, **({"nextToken": token} if token else {}))
        out += page["findings"]
        token = page.get("nextToken")
        if not token:
            return out
