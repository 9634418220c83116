"""pytest-benchmark of the shipped default web ACL on real-looking traffic: reported, not asserted.

Named after the traffic (coraza's SimpleGET / LargePOST style): a benign GET with a small query
string (what ``load_tests/bench_proxy.py`` sends), a 2 KB form POST, a JSON API PUT. The
decision is asserted (ALLOW) so the benchmark cannot silently measure a short-circuit.
Compare before/after a change with ``--benchmark-compare``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wafproxy.engine import Action, evaluate
from wafproxy.engine.request import WafRequest

_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0 Safari/537.36"
)
_BROWSER = (
    ("Host", "shop.example"),
    ("User-Agent", _UA),
    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ("Accept-Language", "en-US,en;q=0.9"),
    ("Accept-Encoding", "gzip, deflate, br"),
    ("Cookie", "session=7f3a9c2e41b84d0f; theme=dark"),
)

SIMPLE_GET = WafRequest(
    client_ip="203.0.113.7",
    method="GET",
    uri_path="/search",
    query_string="q=running+shoes&category=sport&page=2&sort=price_asc&lang=en",
    headers=_BROWSER,
)

_FORM = "name=Jane+Doe&email=jane%40example.com&address=12+Main+Street&note=" + "leave+at+the+door+" * 120
FORM_POST_2KB = WafRequest(
    client_ip="203.0.113.7",
    method="POST",
    uri_path="/checkout",
    headers=(*_BROWSER, ("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", "2048")),
    body=_FORM[:2048].encode(),
    body_size=2048,
)

_JSON = json.dumps(
    {
        "id": 4711,
        "name": "Trail runner",
        "tags": ["sport", "outdoor", "running"],
        "price": {"amount": 129.9, "currency": "EUR"},
        "stock": [{"warehouse": f"W{i}", "count": i * 3} for i in range(10)],
        "description": "Lightweight shoe with a grippy sole, for muddy trails and long distances.",
    }
).encode()
JSON_API_PUT = WafRequest(
    client_ip="203.0.113.7",
    method="PUT",
    uri_path="/api/v1/products/4711",
    headers=(
        ("Host", "api.example"),
        ("User-Agent", "shop-client/2.3 (python-httpx)"),
        ("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0NzExIn0.c2lnbmF0dXJl"),
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
    ),
    body=_JSON,
    body_size=len(_JSON),
)

TRAFFIC = {"SimpleGET": SIMPLE_GET, "FormPOST2KB": FORM_POST_2KB, "JsonPUT": JSON_API_PUT}


@pytest.fixture(scope="module")
def default_acl():
    from wafproxy.aclfiles import load_web_acl

    return load_web_acl(Path(__file__).resolve().parents[2] / "rules" / "default-web-acl.json")


@pytest.mark.parametrize("traffic", list(TRAFFIC))
def test_bench_default_acl(benchmark, default_acl, traffic: str) -> None:
    request = TRAFFIC[traffic]
    benchmark.group = "evaluate: shipped default web ACL"
    decision = benchmark(evaluate, default_acl, request)
    assert decision.action is Action.ALLOW, (decision.terminating_rule_id, decision.terminating_group_rule_id)
