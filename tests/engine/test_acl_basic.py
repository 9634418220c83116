"""The minimal path every adapter relies on: load, IP set block, ByteMatch, default action."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.engine.aclkit import byte_match, compile_with, req, rule, web_acl
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import Action, RateCheck, WebAclError, evaluate, evaluate_steps

REPO = Path(__file__).resolve().parents[2]
IPSET = {
    "IPSet": {
        "Name": "bad",
        "Id": "1",
        "ARN": "arn:aws:wafv2:us-east-1:111122223333:regional/ipset/bad/1",
        "IPAddressVersion": "IPV4",
        "Addresses": ["10.0.0.0/8", "192.0.2.1/32"],
    },
    "LockToken": "abc",
}


@pytest.fixture(scope="module")
def acl():
    doc = web_acl(
        rule("ip", 0, {"IPSetReferenceStatement": {"ARN": IPSET["IPSet"]["ARN"]}}),
        rule("admin", 1, byte_match("/admin", position="STARTS_WITH", transforms=("LOWERCASE",))),
    )
    return compile_with(doc, IPSET)


@pytest.mark.parametrize(
    ("ip", "path", "action", "rule_id"),
    [
        ("10.9.8.7", "/", Action.BLOCK, "ip"),
        ("192.0.2.1", "/", Action.BLOCK, "ip"),
        ("192.0.2.2", "/", Action.ALLOW, "Default_Action"),
        ("::ffff:10.0.0.1", "/", Action.BLOCK, "ip"),
        ("2001:db8::1", "/", Action.ALLOW, "Default_Action"),
        ("198.51.100.1", "/ADMIN/users", Action.BLOCK, "admin"),
        ("198.51.100.1", "/public/admin", Action.ALLOW, "Default_Action"),
    ],
)
def test_ip_set_and_byte_match(acl, ip, path, action, rule_id):
    decision = evaluate(acl, req(path, ip=ip))
    assert decision.action is action
    assert decision.terminating_rule_id == rule_id


def test_compiled_acl_surface(acl):
    assert acl.name == "test-acl"
    assert acl.rule_names == ["ip", "admin"]
    assert acl.ip_set_sizes() == {"bad": 2}
    assert acl.body_inspection_limit == 16 * 1024
    assert acl.default_action.action is Action.ALLOW
    assert acl.capacity > 0


def test_evaluate_steps_without_rate_rules_finishes_at_once(acl):
    steps = evaluate_steps(acl, req("/admin"))
    with pytest.raises(StopIteration) as done:
        next(steps)
    assert done.value.value.action is Action.BLOCK


def test_rate_rule_yields_a_check_and_uses_the_answer():
    doc = web_acl(rule("rate", 0, {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}))
    acl = compile_with(doc)
    for over, action in ((True, Action.BLOCK), (False, Action.ALLOW)):
        steps = evaluate_steps(acl, req(ip="198.51.100.4"))
        check = next(steps)
        assert check == RateCheck("test-acl/rate", "198.51.100.4", 100, 300)
        with pytest.raises(StopIteration) as done:
            steps.send(over)
        assert done.value.value.action is action


def test_default_web_acl_own_rules(tmp_path):
    """The default ACL's own rules (IP sets, dotfiles, missing UA) over its IP set files.

    The managed rule groups it also references have their own tests (and a slow regex build);
    here they are left out so this stays a fast unit test of the engine path.
    """
    import shutil

    doc = json.loads((REPO / "rules" / "default-web-acl.json").read_text())
    doc["Rules"] = [r for r in doc["Rules"] if "ManagedRuleGroupStatement" not in r["Statement"]]
    (tmp_path / "acl.json").write_text(json.dumps(doc))
    shutil.copytree(REPO / "rules" / "ipsets", tmp_path / "ipsets")
    acl = load_web_acl(tmp_path / "acl.json", managed_dir=None)
    assert evaluate(acl, req(ip="192.0.2.55")).action is Action.BLOCK
    assert evaluate(acl, req(ip="2001:db8:dead::1")).action is Action.BLOCK
    blocked = evaluate(acl, req("/.git/config", headers=(("User-Agent", "curl"),)))
    assert blocked.terminating_rule_id == "BlockDotfiles"
    ok = evaluate(acl, req("/", headers=(("User-Agent", "curl"),)))
    assert ok.action is Action.ALLOW and ok.labels == ()


def test_load_web_acl_names_file_and_path(tmp_path):
    bad = web_acl(rule("r", 0, byte_match("x", position="BEGINS")))
    path = tmp_path / "acl.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(WebAclError) as err:
        load_web_acl(path, managed_dir=None)
    assert err.value.source == str(path)
    assert err.value.path == "$.Rules[0].Statement.ByteMatchStatement.PositionalConstraint"
    assert "'BEGINS' is not one of EXACTLY, STARTS_WITH" in str(err.value)


def test_pattern_cache_reuses_databases_across_compiles():
    from wafproxy.engine.patterngroups import PatternSetCache

    cache = PatternSetCache(max_entries=2)
    doc = web_acl(rule("a", 0, byte_match("/a")), rule("q", 1, byte_match("x", {"QueryString": {}})))
    first = compile_with(doc, pattern_cache=cache)
    second = compile_with(doc, pattern_cache=cache)
    assert (cache.misses, cache.hits) == (2, 2)
    assert first.groups[0].pattern_set is second.groups[0].pattern_set
    assert evaluate(second, req("/a")).action is Action.BLOCK
    compile_with(web_acl(rule("b", 0, byte_match("/b"))), pattern_cache=cache)
    assert len(cache) == 2  # capped: the least recently used database went
