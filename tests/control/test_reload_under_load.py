"""Reload 20 times under load: no failed or dropped request, every answer fits the old or new ACL.

A bounded generator (2,000 requests, 16 concurrent, raw keep-alive connections through httpx) runs
against the data listener while another thread flips the web ACL 20 times through UpdateWebACL,
spread evenly over the run (the i-th flip waits for its share of answers).
``/admin`` is blocked by every version, ``/ok`` by none, ``/toggle`` only by every other version:
any other status, an exception or a missing response fails the test.
"""

from __future__ import annotations

import asyncio
import copy
import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from tests.control.stack import VIS, running_stack

REQUESTS = 2000
CONCURRENCY = 16
RELOADS = 20
EXPECTED = {"/admin": {403}, "/ok": {200}, "/toggle": {200, 403}}


def _toggle_rule() -> dict[str, Any]:
    return {
        "Name": "Toggle",
        "Priority": 5,
        "Action": {"Block": {}},
        "VisibilityConfig": {**VIS, "MetricName": "Toggle"},
        "Statement": {
            "ByteMatchStatement": {
                "SearchString": b"/toggle",
                "FieldToMatch": {"UriPath": {}},
                "PositionalConstraint": "STARTS_WITH",
                "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
            }
        },
    }


async def _load(url: str, results: list[tuple[str, int | str]]) -> None:
    paths = list(EXPECTED)
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(REQUESTS):
        queue.put_nowait(paths[i % len(paths)])
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while not queue.empty():
                path = queue.get_nowait()
                try:
                    results.append((path, (await client.get(path)).status_code))
                except httpx.HTTPError as exc:
                    results.append((path, type(exc).__name__))

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


def test_twenty_reloads_under_load_drop_nothing(tmp_path: Path) -> None:
    with running_stack(tmp_path) as s:
        c = s.client()
        summary = c.list_web_acls(Scope="REGIONAL")["WebACLs"][0]
        base = c.get_web_acl(Name="test-acl", Scope="REGIONAL", Id=summary["Id"])["WebACL"]
        base = {k: base[k] for k in ("Name", "Id", "DefaultAction", "Rules", "VisibilityConfig")}
        # The rate-based rule would (rightly) block the generator itself: leave it out of every version.
        base["Rules"] = [r for r in base["Rules"] if r["Name"] != "RateLimit"]
        versions = [base, {**copy.deepcopy(base), "Rules": [*base["Rules"], _toggle_rule()]}]
        token = c.update_web_acl(Scope="REGIONAL", LockToken=summary["LockToken"], **versions[0])[
            "NextLockToken"
        ]
        reloads_before = s.reloader.reloads
        errors: list[BaseException] = []
        results: list[tuple[str, int | str]] = []

        update_seconds: list[float] = []

        def flip() -> None:
            nonlocal token
            try:
                for i in range(RELOADS):
                    # Spread the reloads over the whole run: the i-th waits for its share of answers.
                    while len(results) < (i + 1) * REQUESTS // (RELOADS + 2) and len(results) < REQUESTS:
                        time.sleep(0.005)
                    t0 = time.perf_counter()
                    version = versions[(i + 1) % 2]
                    token = c.update_web_acl(Scope="REGIONAL", LockToken=token, **version)["NextLockToken"]
                    update_seconds.append(time.perf_counter() - t0)
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        flipper = threading.Thread(target=flip)
        flipper.start()

        async def run() -> None:
            await _load(s.data_url, results)

        t_load = time.perf_counter()
        asyncio.run(run())
        load_seconds = time.perf_counter() - t_load
        flipper.join(60)
        assert not errors, errors
        assert s.reloader.reloads - reloads_before == RELOADS
        assert len(results) == REQUESTS
        wrong = [(p, st) for p, st in results if st not in EXPECTED[p]]
        assert wrong == []
        seen = Counter(st for p, st in results if p == "/toggle")
        print(
            f"\n{REQUESTS} requests in {load_seconds:.2f}s ({REQUESTS / load_seconds:.0f}/s), "
            f"{RELOADS} UpdateWebACL round trips median {statistics.median(update_seconds) * 1000:.1f} ms, "
            f"/toggle answers during the reloads: {dict(seen)}"
        )
        # After the last flip (version 0: no Toggle rule) the new ACL serves.
        assert httpx.get(s.data_url + "/toggle").status_code == 200
