"""The console in a real browser: headless Chromium against ``wafproxy demo`` with live traffic.

Signs in, loads every page, applies a filter, resolves a finding, edits nothing it should not,
and saves screenshots at 1280 and 390 px that must not be blank; no console errors, no request to
another host. Screenshots go to ``$WAFPROXY_CONSOLE_SHOTS`` (``docs/console`` when regenerating the
docs) or the test's temporary directory, with ``measured.json`` (page weight, first paint).
"""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.chromium import CHROMIUM, Browser, distinct_rows
from tests.support.servers import wafproxy_process

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run installs it)"
)
MAX_PAGE_BYTES = 300 * 1024


def _banner(proc) -> dict[str, str]:  # type: ignore[no-untyped-def]
    lines = []
    while not (line := proc.stdout.readline().decode()).lstrip().startswith("KMS"):
        assert line, "demo exited before printing its banner: " + "".join(lines)
        lines.append(line)
    text = "".join(lines)
    return {
        "waf": re.search(r"through WAF:\s+(\S+)/", text).group(1),  # type: ignore[union-attr]
        "console": re.search(r"console:\s+(\S+)", text).group(1),  # type: ignore[union-attr]
        "credentials": re.search(r"credentials \(demo\):\s+(\S+)", text).group(1),  # type: ignore[union-attr]
    }


@pytest.fixture
def demo() -> Iterator[dict[str, str]]:
    with wafproxy_process(
        "demo", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--log-level", "warning"
    ) as proc:
        info = _banner(proc)
        ini = configparser.ConfigParser()
        ini.read(info["credentials"])
        info["key"], info["secret"] = ini["demo"]["aws_access_key_id"], ini["demo"]["aws_secret_access_key"]
        stop = threading.Event()

        def traffic() -> None:  # a scanner and a user, until the test ends
            with httpx.Client(base_url=info["waf"], timeout=5) as c:
                n = 0
                while not stop.is_set():
                    for path in (
                        "/.env",
                        "/.git/config",
                        "/search?q=<script>alert(1)</script>",
                        "/search?q=teapot",
                        "/api/items",
                    ):
                        c.get(path)
                    n += 1
                    stop.wait(0.05)

        thread = threading.Thread(target=traffic, daemon=True)
        thread.start()
        try:
            yield info
        finally:
            stop.set()
            thread.join(timeout=10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    b = Browser.start(tmp_path / "profile")
    try:
        yield b
    finally:
        b.close()


def test_console_in_chromium(demo: dict[str, str], browser: Browser, tmp_path: Path) -> None:
    shots = Path(os.environ.get("WAFPROXY_CONSOLE_SHOTS") or tmp_path / "shots")
    base = demo["console"]
    admin_host = urlsplit(base).netloc
    measured: dict[str, object] = {}

    def shot(name: str) -> None:
        png = browser.screenshot(shots / f"{name}.png")
        assert distinct_rows(png) > 50, f"{name}.png looks blank"

    browser.viewport(1280)
    browser.goto(base)  # → sign-in
    assert browser.eval("location.pathname") == "/console/signin"
    shot("signin")
    browser.click_and_load(
        f"document.getElementById('akid').value = {json.dumps(demo['key'])};"
        f"document.getElementById('secret').value = {json.dumps(demo['secret'])};"
        "document.querySelector('form.signin').submit(); true"
    )
    assert browser.eval("location.pathname") == "/console"
    assert demo["secret"] not in browser.eval("location.href")
    # Keyboard: the first Tab lands on the skip link.
    browser.call("Input.dispatchKeyEvent", type="keyDown", key="Tab", code="Tab", windowsVirtualKeyCode=9)
    browser.call("Input.dispatchKeyEvent", type="keyUp", key="Tab", code="Tab", windowsVirtualKeyCode=9)
    assert browser.eval("document.activeElement.className") == "skip"
    browser.eval("document.activeElement.blur(); true")
    # Live: the chart's BLOCK total grows while the scanner runs (polled by console.js, ≤ 1/s).
    first = int(
        browser.wait("Number(document.querySelector('[data-total=BLOCK]').textContent) || 0", "blocks")
    )
    browser.wait(f"Number(document.querySelector('[data-total=BLOCK]').textContent) > {first}", "live update")
    browser.wait("document.querySelectorAll('#top-ips tbody a').length > 0", "top blocked IPs")
    measured["dashboard_first_contentful_paint_ms"] = browser.eval(
        "Math.round((performance.getEntriesByName('first-contentful-paint')[0] || {startTime: -1}).startTime)"
    )
    shot("dashboard-1280")
    browser.viewport(390, 844, mobile=True)
    browser.goto(base)
    assert browser.eval("document.documentElement.scrollWidth") <= 390 + 1, "horizontal scroll at 390 px"
    shot("dashboard-390")
    browser.viewport(1280)

    # Click through from a top blocked rule to its sampled requests.
    browser.goto(base)
    browser.wait("document.querySelectorAll('#top-rules tbody a').length > 0", "top rules")
    browser.click_and_load("document.querySelector('#top-rules tbody a').click(); true")
    assert browser.eval("location.pathname") == "/console/samples"
    browser.wait("document.querySelectorAll('#samples tbody tr td code').length > 0", "sampled requests")
    shot("samples")

    # Findings: the WAF's aggregated finding arrives; filter on it; resolve one.
    browser.goto(base + "/findings")
    shot("findings")
    browser.click_and_load(
        "document.querySelector('select[name=product]').value = 'WAF';"
        "document.querySelector('form.filters button').click(); true"
    )
    assert "product=WAF" in browser.eval("location.search")
    has_finding = "document.querySelectorAll('#findings input[name=id]').length > 0"
    deadline = time.monotonic() + 30  # the WAF producer drains every 5 s: reload until it is listed
    while not browser.eval(has_finding) and time.monotonic() < deadline:
        seen = browser.loads
        browser.call("Page.reload")
        browser.wait_load(seen)
    assert browser.eval(has_finding), "no WAF finding listed"
    assert "Rule " in browser.eval("document.querySelector('#findings details summary').textContent")
    shot("findings-filtered")
    browser.viewport(390, 844, mobile=True)
    browser.goto(base + "/findings")
    assert browser.eval("document.documentElement.scrollWidth") <= 390 + 1, "horizontal scroll at 390 px"
    shot("findings-390")
    browser.viewport(1280)
    browser.goto(base + "/findings?product=WAF")
    browser.click_and_load(
        "document.querySelector('#findings input[name=id]').click();"
        "document.querySelector('button[value=resolve]').click(); true"
    )
    assert "updated=1" in browser.eval("location.search")
    assert "Updated 1 finding(s)." in browser.eval("document.querySelector('.ok').textContent")

    for name, path, ready in (
        ("controls", "/controls", "#controls tbody tr"),
        ("acl", "/acl", "#acl-rules tbody tr"),
        ("ipsets", "/ipsets", "#ipsets tbody tr"),
    ):
        browser.goto(base + path)
        browser.wait(f"document.querySelectorAll('{ready}').length > 0", name)
        if name == "controls":  # the automation rules, below the controls, in the order they run
            assert browser.eval("document.querySelector('#rules caption') !== null")
        shot(name)
    browser.click_and_load("document.querySelector('#ipsets tbody a').click(); true")
    assert browser.eval("document.getElementById('addresses') !== null")
    shot("ipset-edit")

    browser.pump()
    assert browser.errors == [], browser.errors
    foreign = [
        u
        for u in browser.requests
        if not u.startswith(("data:", "about:")) and urlsplit(u).netloc != admin_host
    ]
    assert foreign == [], foreign

    # Page weight: each page plus its stylesheet and script, uncompressed.
    with httpx.Client(
        base_url=base.rsplit("/console", 1)[0], headers={"origin": base.rsplit("/console", 1)[0]}
    ) as c:
        c.post("/console/signin", data={"access_key_id": demo["key"], "secret_access_key": demo["secret"]})
        assets = sum(len(c.get(f"/console/static/{n}").content) for n in ("console.css", "console.js"))
        for path in ("", "/findings", "/controls", "/acl", "/ipsets"):
            weight = len(c.get("/console" + path).content) + assets
            measured[f"page_weight_bytes{path or '/dashboard'}"] = weight
            assert weight <= MAX_PAGE_BYTES, (path, weight)
    (shots / "measured.json").write_text(json.dumps(measured, indent=1, sort_keys=True) + "\n")

    # The scanner also shows in `aws securityhub get-findings` against the admin listener.
    aws = Path(sys.executable).with_name("aws")
    env = {**os.environ, "AWS_SHARED_CREDENTIALS_FILE": demo["credentials"], "AWS_PROFILE": "demo"}
    out = subprocess.run(
        [str(aws), "--region", "us-east-1", "--endpoint-url", base.rsplit("/console", 1)[0], "securityhub",
         "get-findings", "--filters", '{"ProductName": [{"Value": "WAF", "Comparison": "EQUALS"}]}'],
        env=env, capture_output=True, timeout=60, check=True)
    titles = [f["Title"] for f in json.loads(out.stdout)["Findings"]]
    assert any(t.startswith("Rule BlockDotfiles blocked") for t in titles), titles
