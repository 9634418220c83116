"""Benchmarks (pytest-benchmark): reported, never asserted (2 shared cores).

What they show: grouping by (field, chain) into one PatternSet keeps a 500-rule ACL close to a
5-rule one; IP set lookups are flat in the set size. Compare the groups in the report.
"""

from __future__ import annotations

import json
import random

import pytest

from tests.engine.aclkit import byte_match, compile_with, req, rule, web_acl
from wafproxy.engine import Action, evaluate
from wafproxy.engine.ipsets import IpTrie

FIELDS = [
    ({"UriPath": {}}, ("URL_DECODE", "LOWERCASE")),
    ({"QueryString": {}}, ("URL_DECODE",)),
    ({"SingleHeader": {"Name": "user-agent"}}, ("LOWERCASE",)),
    ({"Method": {}}, ("NONE",)),
    ({"Body": {"OversizeHandling": "CONTINUE"}}, ("URL_DECODE", "HTML_ENTITY_DECODE")),
]
GET = req(
    "/products/view",
    query="id=42&color=blue",
    headers=(
        ("Host", "shop.example"),
        ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"),
        ("Accept", "text/html"),
        ("Cookie", "session=abc"),
    ),
)
POST = req(
    "/cart/add",
    method="POST",
    body=("item=1&note=" + "lorem ipsum dolor sit amet " * 75)[:2048].encode(),
    headers=(
        ("Host", "shop.example"),
        ("User-Agent", "Mozilla/5.0"),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ),
)


def _acl(count: int):
    rnd = random.Random(count)
    rules = []
    for i in range(count):
        field, chain = FIELDS[i % len(FIELDS)]
        word = "".join(rnd.choices("abcdefghijklmnopqrstuvwxyz", k=10))
        position = ("CONTAINS", "STARTS_WITH", "CONTAINS_WORD", "ENDS_WITH")[i % 4]
        rules.append(rule(f"r{i}", i, byte_match(word, field, position, chain)))
    return compile_with(web_acl(*rules))


@pytest.mark.parametrize("request_name", ["GET", "POST2KB"])
@pytest.mark.parametrize("count", [5, 500])
def test_bench_evaluate_byte_match_rules(benchmark, count, request_name):
    acl = _acl(count)
    request = GET if request_name == "GET" else POST
    benchmark.group = f"evaluate {request_name}: 5 vs 500 ByteMatch rules"
    benchmark.extra_info["rules"] = count
    decision = benchmark(evaluate, acl, request)
    assert decision.action is Action.ALLOW  # benign: every rule was evaluated


@pytest.mark.parametrize("size", [10, 200_000])
def test_bench_ip_lookup(benchmark, size):
    rnd = random.Random(size)
    cidrs = {f"{rnd.randint(11, 200)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.0/24" for _ in range(size)}
    trie = IpTrie(cidrs)
    benchmark.group = "IpTrie.contains: 10 vs 200k CIDRs"
    benchmark.extra_info["cidrs"] = len(trie)
    assert benchmark(trie.contains, "10.1.2.3") is False


@pytest.fixture(scope="module")
def default_acl():
    from pathlib import Path

    from wafproxy.aclfiles import load_web_acl

    return load_web_acl(Path(__file__).resolve().parents[2] / "rules" / "default-web-acl.json")


_JSON_FULL = json.dumps(
    {"items": [{"sku": f"SKU-{i}", "qty": i, "note": "lorem ipsum dolor"} for i in range(400)]}
).encode()[:20480]
_JSON_FULL = _JSON_FULL[: _JSON_FULL.rindex(b"},") + 1] + b"]}"  # still valid JSON, ~20 KB
# As the adapter hands it over: cut at the 16 KiB inspection limit (so invalid JSON), full size declared.
JSON20 = req(
    "/api/orders",
    method="POST",
    body=_JSON_FULL[: 16 * 1024],
    body_size=len(_JSON_FULL),
    headers=(("Host", "shop.example"), ("User-Agent", "curl/8"), ("Content-Type", "application/json")),
)


@pytest.mark.parametrize("request_name", ["GET", "POST2KB", "JSON20KB"])
def test_bench_default_managed_acl(benchmark, default_acl, request_name):
    request = {"GET": GET, "POST2KB": POST, "JSON20KB": JSON20}[request_name]
    benchmark.group = "evaluate: shipped default web ACL (managed groups)"
    decision = benchmark(evaluate, default_acl, request)
    assert decision.action is Action.ALLOW, decision.terminating_rule_id
