"""Headless Chromium driven over the Chrome DevTools Protocol (a websocket; no webdriver needed).

``Browser.start(tmp)`` launches Debian's ``/usr/bin/chromium`` with a fresh profile and the flags
that keep it from calling home, attaches to its page, and records console messages, uncaught
exceptions, log entries and every request URL, so a test can assert there were no errors and no
request to another host. Waits poll a condition in the page with a deadline (never a fixed sleep).
"""

from __future__ import annotations

import base64
import json
import struct
import subprocess
import time
import urllib.request
import zlib
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
)


class Browser:
    def __init__(self, proc: subprocess.Popen[bytes], ws: Any) -> None:
        self.proc = proc
        self.ws = ws
        self._id = 0
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.console: list[str] = []
        self.loads = 0  # Page.loadEventFired seen so far

    @classmethod
    def start(cls, profile: Path, deadline: float = 30.0) -> Browser:
        profile.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        end = time.monotonic() + deadline
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > end or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("chromium did not start")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:  # noqa: S310
                pages = [t for t in json.load(r) if t["type"] == "page"]
            if pages or time.monotonic() > end:
                break
            time.sleep(0.05)
        ws = connect(pages[0]["webSocketDebuggerUrl"], max_size=64 << 20).__enter__()
        browser = cls(proc, ws)
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(f"{domain}.enable")
        return browser

    def _record(self, msg: dict[str, Any]) -> None:
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Page.loadEventFired":
            self.loads += 1
        elif method == "Runtime.exceptionThrown":
            self.errors.append(json.dumps(params.get("exceptionDetails", {}))[:500])
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            self.console.append(f"{params.get('type')}: {text}")
            if params.get("type") in ("error", "assert"):
                self.errors.append(text)
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.errors.append(params["entry"].get("text", "")[:500])
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=30))
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))
            self._record(msg)

    def pump(self) -> None:
        """Read the events that arrived meanwhile (console messages, requests)."""
        self.call("Runtime.evaluate", expression="0")

    def eval(self, expression: str) -> Any:
        out = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in out:
            raise RuntimeError(f"{expression[:80]}: {out['exceptionDetails']}")
        return out["result"].get("value")

    def wait(self, expression: str, what: str, deadline: float = 20.0) -> Any:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            try:
                value = self.eval(expression)
            except RuntimeError:
                value = None  # mid-navigation: the context is gone; try again
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    def wait_load(self, seen: int, deadline: float = 20.0) -> None:
        """Until a page load beyond the ``seen``-th one (``Page.loadEventFired``) has happened."""
        end = time.monotonic() + deadline
        while self.loads <= seen:
            if time.monotonic() > end:
                raise AssertionError("timed out waiting for a page load")
            try:
                self._record(json.loads(self.ws.recv(timeout=max(0.05, end - time.monotonic()))))
            except TimeoutError:
                continue

    def goto(self, url: str) -> None:
        seen = self.loads
        self.call("Page.navigate", url=url)
        self.wait_load(seen)

    def click_and_load(self, expression: str) -> None:
        """Run ``expression`` (a click, a submit) and wait for the page it navigates to."""
        seen = self.loads
        self.eval(expression)
        self.wait_load(seen)

    def viewport(self, width: int, height: int = 900, mobile: bool = False) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )

    def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode(
            self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return data

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def distinct_rows(png: bytes) -> int:
    """How many different (filtered) pixel rows a PNG has, decoded by hand (no PIL). A blank image
    filters to a handful of identical rows (every row "same as above"); a page of text and charts
    to hundreds. Filtered rows are enough for that test and avoid unfiltering in Python."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, bpp = 8, b"", 0, 4
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, _, depth, color = struct.unpack(">IIBB", body[:10])
            bpp = {2: 3, 6: 4, 0: 1, 4: 2}[color] * depth // 8
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp + 1
    return len({raw[i : i + stride] for i in range(0, len(raw), stride)})
