"""A rule group walks its quiet steps when none of its own blocks' pattern groups hit
(``evaluation.evaluate_steps``, ``GroupRef.block_set``), even when another group's did (a GET's
method hit gates only the protocol group). Decisions must equal those of the same ACL without
any plan (every rule a plain step, each statement asked: no block, no gate, no quiet steps) on
requests that hit each kind of group."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace

import pytest

from tests.engine.test_bench_default_acl import FORM_POST_2KB, JSON_API_PUT, SIMPLE_GET
from wafproxy.engine import evaluate
from wafproxy.engine.context import EvalContext
from wafproxy.engine.request import WafRequest

_UA = SIMPLE_GET.headers[1]

METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PROPFIND", "TRACE"]
PATHS = ["/", "/search", "/.env", "/a/../../etc/passwd", "/wp-admin/x.php", "/api/v1/items/7"]
QUERIES = ["", "q=shoes", "id=1' or '1'='1", "x=<script>alert(1)</script>", "f=;cat /etc/passwd",
           "_method=DELETE", "u=%u0041%00", "a={cat,/etc/passwd}", "t=${jndi:ldap://x/a}"]
BODIES = [
    (b"", None),
    (b"name=Jane+Doe&note=leave+at+the+door", "application/x-www-form-urlencoded"),
    (b'{"a": "x\' or 1=1--", "b": [1, 2]}', "application/json"),
    (b"_method=PUT&x=1", "application/x-www-form-urlencoded"),
    (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>", "text/xml"),
]


def _requests() -> Iterator[WafRequest]:
    yield from (SIMPLE_GET, FORM_POST_2KB, JSON_API_PUT)
    for method, path, query, (body, ctype) in itertools.product(METHODS, PATHS, QUERIES, BODIES):
        headers: tuple[tuple[str, str], ...] = (("Host", "shop.example"), _UA)
        if ctype is not None:
            headers += (("Content-Type", ctype), ("Content-Length", str(len(body))))
        yield WafRequest(client_ip="203.0.113.9", method=method, uri_path=path, query_string=query,
                         headers=headers, body=body, body_size=len(body))


@pytest.fixture(scope="module")
def default_acl():  # type: ignore[no-untyped-def]
    from wafproxy.aclfiles import load_web_acl
    from wafproxy.engine.matchers import HAVE_HYPERSCAN

    if not HAVE_HYPERSCAN:
        pytest.skip("the default ACL's databases need hyperscan to load in reasonable time")
    from pathlib import Path

    return load_web_acl(Path(__file__).resolve().parents[2] / "rules" / "default-web-acl.json")


def _group_refs(acl):  # type: ignore[no-untyped-def]
    return [step.group for step in acl.steps if getattr(step, "group", None) is not None]


def _unplanned(acl):  # type: ignore[no-untyped-def]
    """``acl`` with its rules and every group's rules as plain steps (``plan`` not applied)."""
    rules = []
    for rule in acl.rules:
        if rule.group is not None:
            rule = replace(rule, group=replace(rule.group, steps=rule.group.rules))
        rules.append(rule)
    return replace(acl, steps=tuple(rules))


def test_the_shortcut_is_taken_on_a_benign_get(default_acl) -> None:  # type: ignore[no-untyped-def]
    ctx = EvalContext(SIMPLE_GET, default_acl.groups, default_acl.field_plans)
    ctx.scan_all(default_acl.scan_order)
    assert ctx.loud  # the method group hits on every GET: the ACL-wide quiet path is not taken
    skipped = [g for g in _group_refs(default_acl) if g.block_set and ctx.loud.isdisjoint(g.block_set)]
    walked = [g for g in _group_refs(default_acl) if not ctx.loud.isdisjoint(g.block_set)]
    assert skipped and walked


def test_decisions_equal_the_full_walk(default_acl) -> None:  # type: ignore[no-untyped-def]
    requests = list(_requests())
    fast = [evaluate(default_acl, r) for r in requests]
    plain = _unplanned(default_acl)
    assert not any(g.block_set for g in _group_refs(plain))
    full = [evaluate(plain, r) for r in requests]
    assert len(requests) > 2000
    assert sum(d.action.name != "ALLOW" for d in fast) > 200  # attacks are among them
    for request, one, other in zip(requests, fast, full, strict=True):
        assert one == other, request
