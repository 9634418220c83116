"""What real clients send reaches the upstream through the proxy server with the shipped default web
ACL: curl (including `-X POST` with no Content-Length and an empty User-Agent), httpx, urllib,
a Rails-style method-override form, a health check on HTTP/1.0 with an IP-literal Host. The
protocol group refuses protocol tricks; none of these is one (docs/managed-rules.md)."""

from __future__ import annotations

import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.bodystream.upstream import RecordingUpstream, recording_upstream
from tests.server.harness import RunningProxy, exchange, proxy_in_thread, statuses

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with recording_upstream() as up:
        yield up


@pytest.fixture(scope="module")
def proxy(upstream: RecordingUpstream) -> Iterator[RunningProxy]:
    with proxy_in_thread(upstream.url, ROOT / "rules" / "default-web-acl.json") as running:
        yield running


CURL = [
    ["-X", "POST"],  # no body: no Content-Length at all
    ["-A", ""],  # no User-Agent
    ["-H", "Accept:"],  # no Accept
    ["-d", "name=Jane&_method=delete&authenticity_token=abc"],
    ["--data-binary", "\x01binary", "-H", "Content-Type:"],  # a body without Content-Type
    ["-F", "upload=@" + str(Path(__file__)), "-F", "note=O'Brien's CV"],
    ["-r", "0-99"],
    ["--compressed", "-H", "Accept-Encoding: gzip, deflate, br, zstd"],
    ["-X", "DELETE"],
    ["-X", "PROPFIND", "-H", "Depth: 1"],
    ["-G", "--data-urlencode", "q=caf\u00e9 cr\u00e8me", "--data-urlencode", "msg=line1\nnote: x"],
]


@pytest.mark.parametrize("args", CURL, ids=lambda a: " ".join(a)[:40])
def test_curl(proxy: RunningProxy, args: list[str]) -> None:
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", *args, proxy.url + "/p"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.stdout == "200", (args, out.stdout, out.stderr)


def test_httpx(proxy: RunningProxy) -> None:
    with httpx.Client(base_url=proxy.url, timeout=30) as client:
        answers = [
            client.get("/search", params={"q": "(wool OR linen) AND NOT dry", "tags": ["a", "b"], "page": 2}),
            client.post("/form", data={"user[name]": "Jane", "items[0].qty": "2", "_method": "PATCH"}),
            client.post("/api", json={"name": "updated", "note": "caf\u00e9 \u2019quoted\u2019"}),
            client.put("/api/1", content=b'{"a":1}', headers={"Content-Type": "application/json"}),
            client.patch("/api/1", json={"op": "replace"}),
            client.delete("/api/1"),
            client.head("/"),
            client.post("/empty"),
            client.options("/api", headers={"Origin": "https://app.example",
                                            "Access-Control-Request-Method": "PUT"}),
            client.get("/", headers={"Cookie": "prefs=%7B%22lang%22%3A%22en%22%7D; sid=9f86d081"}),
        ]
    assert [a.status_code for a in answers] == [200] * len(answers)


def test_urllib(proxy: RunningProxy) -> None:
    with urllib.request.urlopen(proxy.url + "/healthz?full=1", timeout=30) as answer:
        assert answer.status == 200
    post = urllib.request.Request(proxy.url + "/form", data=b"a=1&b=%E2%9C%93", method="POST")
    with urllib.request.urlopen(post, timeout=30) as answer:
        assert answer.status == 200


@pytest.mark.parametrize("raw", [
    b"GET /healthz HTTP/1.0\r\n\r\n",  # HTTP/1.0 health check: no Host, no User-Agent
    b"GET / HTTP/1.1\r\nHost: 10.0.0.5:8080\r\nUser-Agent: kube-probe/1.29\r\nAccept: */*\r\n"
    b"Connection: close\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: [::1]\r\nUser-Agent: ELB-HealthChecker/2.0\r\nConnection: close\r\n\r\n",
], ids=["http10", "ipv4-host", "ipv6-host"])
def test_health_checks(proxy: RunningProxy, raw: bytes) -> None:
    assert statuses(exchange(proxy.port, raw)) == [200]
