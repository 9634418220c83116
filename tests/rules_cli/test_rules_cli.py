"""``wafproxy check | explain | test`` as a user runs them: real processes, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import REPO

VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
ACL = {
    "Name": "tools-acl",
    "DefaultAction": {"Allow": {}},
    "VisibilityConfig": VIS,
    "Rules": [
        {
            "Name": "NoAdmin",
            "Priority": 1,
            "Action": {"Block": {}},
            "RuleLabels": [{"Name": "tools:admin"}],
            "Statement": {
                "ByteMatchStatement": {
                    "FieldToMatch": {"UriPath": {}},
                    "PositionalConstraint": "STARTS_WITH",
                    "SearchString": "/admin",
                    "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}],
                }
            },
            "VisibilityConfig": VIS,
        },
        {
            "Name": "SqliQuery",
            "Priority": 2,
            "Action": {"Block": {}},
            "Statement": {
                "SqliMatchStatement": {
                    "FieldToMatch": {"QueryString": {}},
                    "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}],
                }
            },
            "VisibilityConfig": VIS,
        },
    ],
}


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wafproxy", *args], cwd=REPO, input=stdin.decode() if stdin else None,
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def acl(tmp_path: Path) -> Path:
    path = tmp_path / "acl" / "web-acl.json"
    path.parent.mkdir()
    path.write_text(json.dumps(ACL))
    return path


def test_check_reports_kind_and_capacity(acl: Path) -> None:
    out = run("check", str(acl))
    assert out.returncode == 0, out.stderr
    assert "WebACL" in out.stdout and "capacity" in out.stdout


def test_check_names_the_json_path_of_an_error(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(ACL))
    bad["Rules"][0]["Statement"]["ByteMatchStatement"]["PositionalConstraint"] = "BEGINS"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    out = run("check", str(path))
    assert out.returncode == 1
    assert "Rules[0]" in out.stdout and "PositionalConstraint" in out.stdout and "BEGINS" in out.stdout


def test_explain_a_raw_request_from_stdin(acl: Path) -> None:
    raw = b"GET /search?q=1%27%20OR%201%3D1-- HTTP/1.1\nHost: shop.example\n\n"
    out = run("explain", "--acl", str(acl), "--json", stdin=raw)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["action"] == "BLOCK" and report["terminatingRuleId"] == "SqliQuery"
    text = run("explain", "--acl", str(acl), stdin=b"GET /Admin/users HTTP/1.1\nHost: x\n\n")
    assert text.stdout.startswith("BLOCK by NoAdmin") and "LOWERCASE" in text.stdout


def test_explain_refuses_a_malformed_request(acl: Path) -> None:
    out = run("explain", "--acl", str(acl), stdin=b"NOT-A-REQUEST\n\n")
    assert out.returncode == 2 and "line 1" in out.stderr


def test_cases_pass_and_fail_with_reasons(acl: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- name: admin is blocked\n"
        "  raw: |\n    GET /admin HTTP/1.1\n    Host: x\n\n"
        "  expect: {action: BLOCK, rule: NoAdmin, labels: ['tools:admin']}\n"
        "- name: a name with an apostrophe passes\n"
        "  request: {method: GET, path: \"/search?q=O'Brien\"}\n"
        "  expect: {action: ALLOW}\n"
    )
    ok = run("test", "--acl", str(acl), str(cases))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "2 cases passed, 0 failed" in ok.stdout
    cases.write_text(
        "- name: wrong expectation\n"
        "  request: {method: GET, path: /home}\n"
        "  expect: {action: BLOCK}\n"
    )
    failed = run("test", "--acl", str(acl), str(cases))
    assert failed.returncode == 1
    assert "FAIL wrong expectation" in failed.stdout and "action ALLOW, expected BLOCK" in failed.stdout


@pytest.mark.timeout(900)  # it compiles whatever of the default ACL's databases is not cached yet
def test_check_without_paths_checks_the_shipped_default_acl() -> None:
    """What the container image runs at build time to compile the default ACL's databases."""
    out = run("check")
    assert out.returncode == 0, out.stderr
    assert "default-web-acl.json: WebACL" in out.stdout
