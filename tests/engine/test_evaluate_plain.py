"""``evaluation.evaluate_plain``: the default ACL (no rate-based rule) decided by a plain call,
not by driving the ``evaluate_steps`` generator to its ``StopIteration``. Same ``Decision`` on
every crafted request; ACLs with a rate rule (top level or in a group) keep the generator."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.asgi.test_middleware import acl_document
from tests.asgi.test_middleware_ratelimit import _rate_rule
from tests.engine.test_group_quiet_walk import _requests
from wafproxy.aclfiles import load_web_acl
from wafproxy.asgi import inspector as inspector_module
from wafproxy.asgi.inspector import Inspector
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.engine.decision import Decision
from wafproxy.engine.evaluation import evaluate, evaluate_plain, evaluate_steps
from wafproxy.engine.request import WafRequest
from wafproxy.shipped import DEFAULT_ACL


@pytest.fixture(scope="module")
def default_acl() -> CompiledWebACL:
    return load_web_acl(Path(DEFAULT_ACL))


def _driven(acl: CompiledWebACL, request: WafRequest) -> Decision:
    """``evaluate_steps`` driven to its end (no rate check is ever over)."""
    steps = evaluate_steps(acl, request)
    try:
        next(steps)
        while True:
            steps.send(False)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _differences(plain_acl: CompiledWebACL, steps_acl: CompiledWebACL, requests: list[WafRequest]) -> int:
    return sum(evaluate_plain(plain_acl, r) != _driven(steps_acl, r) for r in requests)


def test_the_default_acl_is_rate_free(default_acl: CompiledWebACL) -> None:
    assert default_acl.rate_free


def test_plain_decisions_equal_the_generator_s(default_acl: CompiledWebACL) -> None:
    requests = list(_requests())
    plain = [evaluate_plain(default_acl, r) for r in requests]
    assert sum(d.action.name != "ALLOW" for d in plain) > 200  # attacks are among them
    assert sum(d.terminating_rule_group is not None for d in plain) > 200  # group rules among them
    assert sum(bool(d.labels) for d in plain) > 200
    for request, one in zip(requests, plain, strict=True):
        assert one == _driven(default_acl, request), request
        assert evaluate(default_acl, request) == one


def test_the_comparison_can_fail(default_acl: CompiledWebACL) -> None:
    """The crafted requests reach the group rules: one group under a Count override decides
    differently on many of them, so a plain walk that lost an override would not pass."""
    rules = list(default_acl.rules)
    at = next(i for i, r in enumerate(rules) if r.group is not None and not r.group.count_override)
    rules[at] = replace(rules[at], group=replace(rules[at].group, count_override=True))
    steps = list(default_acl.steps)
    step_at = next(i for i, s in enumerate(steps) if getattr(s, "name", None) == rules[at].name)
    steps[step_at] = rules[at]
    counted = replace(default_acl, rules=tuple(rules), steps=tuple(steps))
    assert _differences(counted, default_acl, list(_requests())) > 10


def _rate_acl(tmp_path: Path, document: dict[str, object]) -> CompiledWebACL:
    path = tmp_path / "rate.json"
    path.write_text(json.dumps(document))
    return load_web_acl(path)


def test_a_rate_rule_keeps_the_generator(tmp_path: Path) -> None:
    top = _rate_acl(tmp_path, acl_document([_rate_rule(10)]))
    assert not top.rate_free
    with pytest.raises(AssertionError):
        evaluate_plain(top, WafRequest(client_ip="192.0.2.7", method="GET", uri_path="/api/x",
                                       query_string="", headers=(("host", "x"),)))


def test_inspector_decides_without_the_generator_when_rate_free(
        default_acl: CompiledWebACL, monkeypatch: pytest.MonkeyPatch) -> None:
    requests = list(_requests())[:200]
    expected = [evaluate(default_acl, r) for r in requests]

    def refused(*_: object) -> None:
        raise AssertionError("evaluate_steps called for a rate-free ACL")

    monkeypatch.setattr(inspector_module, "evaluate_steps", refused)
    inspector = Inspector(acl=default_acl)
    inspector.decides_now = False  # ``decide`` too: nothing to await on a rate-free ACL
    for request, want in zip(requests, expected, strict=True):
        got, _, retry = inspector.decide_now(default_acl, request)
        assert (got, retry) == (want, 0)
        assert asyncio.run(inspector.decide(default_acl, request))[0] == want
    assert inspector.engine_errors == 0


def test_a_rate_rule_inside_a_group_keeps_the_generator(
        tmp_path: Path, default_acl: CompiledWebACL) -> None:
    spec = next(r.rate for r in _rate_acl(tmp_path, acl_document([_rate_rule(10)])).rules if r.rate)
    rules = list(default_acl.rules)
    at = next(i for i, r in enumerate(rules) if r.group is not None)
    group = rules[at].group
    assert group is not None
    inner = (replace(group.rules[0], rate=spec), *group.rules[1:])
    rules[at] = replace(rules[at], group=replace(group, rules=inner))
    assert not replace(default_acl, rules=tuple(rules)).rate_free
    assert replace(default_acl, rules=tuple(default_acl.rules)).rate_free
