"""The client host of the namespace lab (``lab.py``): reads one JSON command a line, answers one
JSON line. It runs inside the client namespace, so every request crosses the lab's network."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import boto3
import httpx
from botocore.config import Config

_http = httpx.Client(timeout=5.0)


def get(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        return _http.get(url, headers=headers).status_code
    except httpx.HTTPError:
        return 0  # no answer (refused, reset, timed out)


def burst(urls: list[str], count: int, headers: dict[str, str] | None = None, parallel: int = 1) -> list[int]:
    """``count`` requests, round-robin over ``urls``, ``parallel`` in flight at a time."""
    targets = [urls[i % len(urls)] for i in range(count)]
    if parallel <= 1:
        return [get(url, headers) for url in targets]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(lambda url: get(url, headers), targets))


def wafv2(endpoint: str, keys: list[str], method: str, kwargs: dict[str, Any]) -> Any:
    client = boto3.client("wafv2", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=keys[0], aws_secret_access_key=keys[1],
                          config=Config(retries={"max_attempts": 1}))
    return getattr(client, method)(**kwargs)


def watch(urls: list[str], headers: dict[str, str], status: int, timeout: float) -> dict[str, float | None]:
    """Seconds until each URL first answers ``status`` (None: not within ``timeout``)."""
    started = time.monotonic()
    delays: dict[str, float | None] = dict.fromkeys(urls)
    while any(v is None for v in delays.values()) and time.monotonic() - started < timeout:
        for url in urls:
            if delays[url] is None and get(url, headers) == status:
                delays[url] = time.monotonic() - started
        time.sleep(0.01)
    return delays


def change_and_watch(endpoint: str, keys: list[str], method: str, kwargs: dict[str, Any],
                     urls: list[str], headers: dict[str, str], status: int, timeout: float) -> dict[str, Any]:
    """Make a WAFv2 change on one host, then poll every proxy until it answers ``status``:
    seconds from the API's answer to each proxy's first ``status`` (None: not within timeout)."""
    result = wafv2(endpoint, keys, method, kwargs)
    return {"delays": watch(urls, headers, status, timeout), "response": result}


def retrying(urls: list[str], count: int, attempts: int) -> dict[str, int]:
    """``count`` requests, each tried on the next proxy when one gives no answer (as a load
    balancer or a retrying client does): how many got an answer, and how many retries it took."""
    answered = lost = retries = 0
    start = 0
    for _ in range(count):
        for attempt in range(attempts):
            if get(urls[(start + attempt) % len(urls)]) == 200:
                answered += 1
                retries += attempt
                break
        else:
            lost += 1
        start += 1
    return {"answered": answered, "lost": lost, "retries": retries}


OPS = {"get": get, "burst": burst, "wafv2": wafv2, "watch": watch, "change_and_watch": change_and_watch,
       "retrying": retrying}


def serve_upstream(address: str, port: int) -> None:
    """``lab_client.py --upstream ADDR PORT``: the upstream host, 200 "ok" to any GET."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Ok(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer((address, port), Ok).serve_forever()


def main() -> None:
    if sys.argv[1:2] == ["--upstream"]:
        serve_upstream(sys.argv[2], int(sys.argv[3]))
        return
    for line in sys.stdin:
        command = json.loads(line)
        op = OPS[command.pop("op")]
        try:
            answer: dict[str, Any] = {"result": op(**command)}
        except Exception as exc:  # reported to the test, which raises it there
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
