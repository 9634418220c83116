"""``Inspector.decide_now`` (the proxy server's fast lane) decides exactly as ``decide``."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

from tests.asgi.test_middleware import acl_document
from tests.asgi.test_middleware_ratelimit import _rate_rule
from tests.engine.test_bench_default_acl import TRAFFIC
from wafproxy.asgi.inspector import Inspector
from wafproxy.engine.ratecheck import RateCheck
from wafproxy.engine.request import WafRequest
from wafproxy.shipped import DEFAULT_ACL
from wafproxy.stores.memory import MemoryRateStore, RateVerdict


def requests() -> list[WafRequest]:
    """The bench's requests, and the same with attacks in the query, a header and the body."""
    out = list(TRAFFIC.values())
    for base in TRAFFIC.values():
        out.append(replace(base, query_string=base.query_string + "&q=<script>alert(1)</script>"))
        out.append(replace(base, headers=(*base.headers, ("user-agent", "sqlmap/1.7"))))
        out.append(replace(base, body=base.body + b"&x=1' OR '1'='1' --", body_size=len(base.body) + 20))
    return out


def test_decide_now_matches_decide_on_the_default_acl() -> None:
    inspector = Inspector(acl=DEFAULT_ACL, rate_store=MemoryRateStore())
    assert inspector.decides_now
    # ``decide`` runs its own (coroutine) loop over ``evaluate_steps``: on the default ACL (no
    # rate rule) it would call ``decide_now`` (``evaluate_plain``), so the copy claims rate rules.
    steps_acl = replace(inspector.acl)
    object.__setattr__(steps_acl, "rate_free", False)
    coroutine = Inspector(acl=steps_acl, rate_store=MemoryRateStore())
    coroutine.decides_now = False
    for request in requests():
        now, _, now_retry = inspector.decide_now(inspector.acl, request)
        later, _, later_retry = asyncio.run(coroutine.decide(coroutine.acl, request))
        assert repr(now) == repr(later), request
        assert now_retry == later_retry


def test_decide_now_counts_rate_limits_like_decide(tmp_path: Path) -> None:
    acl = tmp_path / "rate.json"
    acl.write_text(json.dumps(acl_document([_rate_rule(10)])))
    request = WafRequest(client_ip="192.0.2.7", method="GET", uri_path="/api/x", query_string="",
                         headers=(("host", "x"),))
    sync = Inspector(acl=acl, rate_store=MemoryRateStore(), clock=lambda: 1_000_000.0)
    both = Inspector(acl=acl, rate_store=MemoryRateStore(), clock=lambda: 1_000_000.0)
    both.decides_now = False  # ``decide`` runs its own (coroutine) loop on the same store
    got_now = [sync.decide_now(sync.acl, request) for _ in range(12)]
    got_async = [asyncio.run(both.decide(both.acl, request)) for _ in range(12)]
    assert [(d.action, r) for d, _, r in got_now] == [(d.action, r) for d, _, r in got_async]
    assert got_now[9][0].action.value != got_now[10][0].action.value  # the 11th is refused
    assert got_now[10][2] >= 1  # with a Retry-After


class AsyncStore:
    """A store whose answers must be awaited (as Redis's are): never the fast lane."""

    async def decide(self, check: RateCheck, now: float) -> RateVerdict:
        return RateVerdict(False, 0)


def test_an_asynchronous_store_keeps_the_coroutine_path() -> None:
    assert not Inspector(acl=DEFAULT_ACL, rate_store=AsyncStore()).decides_now
    assert Inspector(acl=DEFAULT_ACL).decides_now
