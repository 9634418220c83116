"""Rate-based Block → 429 + Retry-After from the store's verdict; reload forgets removed rules."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx

from tests.asgi.test_middleware import RATE_RULE, Seen, acl_document, protected_app
from tests.support.servers import uvicorn_in_thread
from wafproxy.aclfiles import load_web_acl
from wafproxy.asgi.middleware import WafMiddleware, rate_rule_ids
from wafproxy.engine.ratecheck import RateCheck
from wafproxy.stores.memory import MemoryRateStore


def _rate_rule(limit: int, **action: Any) -> dict[str, Any]:
    rule = copy.deepcopy(RATE_RULE)
    rule["Statement"]["RateBasedStatement"]["Limit"] = limit
    if action:
        rule["Action"] = action
    return rule


def test_rate_refusal_is_429_with_retry_after(tmp_path: Path) -> None:
    acl = tmp_path / "rate.json"
    acl.write_text(json.dumps(acl_document([_rate_rule(10)])))
    store = MemoryRateStore()
    with uvicorn_in_thread(protected_app(str(acl), Seen(), rate_store=store)) as server, httpx.Client() as c:
        responses = [c.get(f"{server.url}/api/x") for _ in range(11)]
    assert [r.status_code for r in responses] == [200] * 10 + [429]
    assert "retry-after" not in responses[0].headers
    retry = int(responses[10].headers["retry-after"])
    assert 1 <= retry <= 60  # the rule's window is 60 s
    assert responses[10].headers["cache-control"] == "no-store"


def test_custom_response_of_a_rate_rule_is_kept(tmp_path: Path) -> None:
    acl = tmp_path / "rate.json"
    custom = {"Block": {"CustomResponse": {"ResponseCode": 418, "CustomResponseBodyKey": "slow"}}}
    acl.write_text(json.dumps(acl_document([_rate_rule(10, **custom)])))
    app = protected_app(str(acl), Seen(), rate_store=MemoryRateStore())
    with uvicorn_in_thread(app) as server, httpx.Client() as c:
        codes = [c.get(f"{server.url}/api/x").status_code for _ in range(11)]
    assert codes == [200] * 10 + [418]


def test_swap_acl_forgets_removed_rate_rules(tmp_path: Path) -> None:
    with_rule, without = tmp_path / "a.json", tmp_path / "b.json"
    with_rule.write_text(json.dumps(acl_document([_rate_rule(10)])))
    without.write_text(json.dumps(acl_document([])))
    store = MemoryRateStore()

    async def app(scope: Any, receive: Any, send: Any) -> None:  # never called here
        raise AssertionError

    mw = WafMiddleware(app, acl=str(with_rule), rate_store=store)
    (rule_id,) = rate_rule_ids(mw.acl)
    store.decide(RateCheck(rule_id, "192.0.2.1", 10, 60), 1000.0)
    assert store.tracked_keys(rule_id) == 1
    mw.swap_acl(load_web_acl(with_rule))  # the same rule: keeps counting
    assert store.tracked_keys(rule_id) == 1
    mw.swap_acl(load_web_acl(without))
    assert store.tracked_keys(rule_id) == 0
