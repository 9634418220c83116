"""Policy and list errors name what to fix; log formats; ``wafproxy detect``; JSON lines, the
EventBridge webhook (a real server) and a FindingSink receive GuardDuty-shaped findings."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.servers import uvicorn_in_thread
from wafproxy.settings import Settings
from wafproxy.sidecars.detector.intel import IntelError, load_list
from wafproxy.sidecars.detector.logformats import parse_alb, parse_nginx, parse_waf, sniff
from wafproxy.sidecars.detector.observation import Observation
from wafproxy.sidecars.detector.policy import PolicyError, load_policy
from wafproxy.sidecars.detector.wiring import build_detector

NGINX = '203.0.113.9 - - [10/Oct/2023:13:55:36 +0200] "GET /.env?x=1 HTTP/1.1" 404 12 "-" "sqlmap/1.7"'
ALB = ('https 2024-05-01T12:00:00.123456Z app/lb/1 198.51.100.4:5555 10.0.0.1:80 0.001 0.002 0.000 '
       '401 401 10 20 "POST https://shop.example:443/login HTTP/1.1" "Mozilla/5.0" '
       'ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2')
WAF = json.dumps({"timestamp": 1714564800123, "action": "BLOCK", "httpRequest": {
    "clientIp": "192.0.2.7", "httpMethod": "GET", "uri": "/search", "args": "q=1",
    "headers": [{"name": "User-Agent", "value": "Mozilla/5.0"}]},
    "labels": [{"name": "awswaf:managed:aws:sql-database:SQLi_QueryArguments"}]})


@pytest.mark.parametrize("text, key", [
    ("scenarios: {path_probe: {eror_threshold: 3}}", "scenarios.path_probe.eror_threshold"),
    ("scenarios: {path_probe: {error_threshold: many}}", "scenarios.path_probe.error_threshold"),
    ("scenarios: {login_brute_force: {action: shoot}}", "scenarios.login_brute_force.action"),
    ("scenarios: {http_flood: {severity: 9.5}}", "scenarios.http_flood.severity"),
    ("remediation: [1, 2]", "remediation"),
])
def test_policy_errors_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert err.value.key == key and str(path) in str(err.value)


def test_user_policy_overrides_only_what_it_says(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("scenarios:\n  path_probe:\n    dry_run: true\n")
    policy = load_policy(path)
    assert policy.scenarios.path_probe.dry_run and policy.scenarios.path_probe.sensitive_threshold == 3
    assert not policy.scenarios.http_flood.dry_run


def test_lists_txt_csv_stix_and_errors(tmp_path: Path) -> None:
    txt = tmp_path / "a.txt"
    txt.write_text("# comment\n198.51.100.0/24\n2001:db8::/32 trailing note\n")
    assert load_list(txt).cidrs == ("198.51.100.0/24", "2001:db8::/32")
    csv = tmp_path / "b.csv"
    csv.write_text("indicator,score\n192.0.2.1,90\n\"192.0.2.2\",80\n")
    assert load_list(csv).cidrs == ("192.0.2.1/32", "192.0.2.2/32")
    stix = tmp_path / "c.json"
    stix.write_text(json.dumps({"type": "bundle", "objects": [
        {"type": "indicator", "pattern_type": "stix", "pattern": "[ipv6-addr:value = '2001:db8::5']"},
        {"type": "malware", "name": "x"}]}))
    lst = load_list(stix)
    assert lst.cidrs == ("2001:db8::5/128",) and lst.trie.contains("2001:db8::5") and len(lst.sha256) == 64
    bad = tmp_path / "bad.txt"
    bad.write_text("192.0.2.1\n\n192.0.2.300\n")
    with pytest.raises(IntelError) as err:
        load_list(bad)
    assert err.value.line == 3 and str(bad) in str(err.value)


def test_log_formats() -> None:
    obs = parse_nginx(NGINX)
    assert obs is not None and (obs.ip, obs.method, obs.path, obs.status, obs.ua) == (
        "203.0.113.9", "GET", "/.env?x=1", 404, "sqlmap/1.7")
    assert obs.ts == 1696938936.0  # 13:55:36 +0200 is 11:55:36 UTC
    alb = parse_alb(ALB)
    assert alb is not None
    assert (alb.ip, alb.method, alb.path, alb.status) == ("198.51.100.4", "POST", "/login", 401)
    waf = parse_waf(WAF)
    assert waf is not None and waf.labels == ("awswaf:managed:aws:sql-database:SQLi_QueryArguments",)
    assert (waf.path, waf.status, waf.ts) == ("/search?q=1", 403, 1714564800.123)
    assert [sniff(x) for x in (NGINX, ALB, WAF)] == ["nginx", "alb", "waf"]
    assert parse_nginx("garbage") is None and parse_alb("h2 nope") is None and parse_waf("{") is None


def _detect(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wafproxy", "detect", *args], capture_output=True, text=True,
                          timeout=120, check=False)


def test_detect_cli_json_and_malformed_lines(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(NGINX + "\nnot a log line\n" + NGINX.replace("/.env", "/.git/config") + "\n")
    done = _detect("--log", str(log), "--json")
    assert done.returncode == 0, done.stderr
    (finding,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert finding["Type"] == "PenTest:Proxy/ScannerUserAgent" and finding["Service"]["Count"] == 1
    assert "3 lines (1 malformed, skipped)" in done.stderr
    bad = tmp_path / "policy.yaml"
    bad.write_text("scenarios: {nope: {}}\n")
    refused = _detect("--log", str(log), "--policy", str(bad))
    assert refused.returncode == 2 and "scenarios.nope: unknown key" in refused.stderr


def test_detect_follow_prints_findings_as_the_file_grows(tmp_path: Path) -> None:
    log = tmp_path / "growing.log"
    log.write_text("")
    command = [sys.executable, "-m", "wafproxy", "detect", "--log", str(log), "--json", "--follow"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with log.open("a") as fh:
            fh.write(NGINX + "\n")
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the finding is printed (or the process dies)
        assert json.loads(line)["Type"] == "PenTest:Proxy/ScannerUserAgent"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _Hook:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            self.events.append(await request.json())
            return Response(status_code=204)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


@pytest.fixture()
def hook() -> Iterator[tuple[str, _Hook]]:
    h = _Hook()
    with uvicorn_in_thread(h.app()) as server:
        yield server.url + "/hook", h


def test_jsonl_webhook_and_finding_sink(tmp_path: Path, hook: tuple[str, _Hook]) -> None:
    url, received = hook
    out = tmp_path / "findings.jsonl"
    service = build_detector(Settings(detector_findings=str(out), detector_webhook=url))
    assert service is not None
    got: list[dict[str, Any]] = []

    class Sink:
        async def put_findings(self, findings: list[dict[str, object]]) -> None:
            got.extend(findings)  # type: ignore[arg-type]

    service.add_finding_sink(Sink())

    async def run() -> None:
        service.detector.observe(Observation(time.time(), "203.0.113.4", "GET", "/", 200, "nikto/2.5"))
        await asyncio.sleep(0)  # the sink's task runs on this loop
        for _ in range(200):
            if got:
                break
            await asyncio.sleep(0.01)

    asyncio.run(run())
    deadline = time.monotonic() + 10
    while not received.events and time.monotonic() < deadline:
        time.sleep(0.02)
    service.close()
    (line,) = out.read_text().splitlines()
    doc = json.loads(line)
    assert doc["Type"] == "PenTest:Proxy/ScannerUserAgent" and got == [doc]
    (event,) = received.events
    assert event["source"] == "aws.guardduty" and event["detail-type"] == "GuardDuty Finding"
    assert event["detail"]["type"] == doc["Type"] and event["detail"]["id"] == doc["Id"]
    assert event["detail"]["service"]["count"] == 1


def test_a_policy_list_that_does_not_parse_stops_startup(tmp_path: Path) -> None:
    bad = tmp_path / "feed.txt"
    bad.write_text("192.0.2.1\nnonsense\n")
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"scenarios:\n  threat_intel:\n    lists: [{bad}]\n")
    with pytest.raises(IntelError) as err:
        build_detector(Settings(detector_policy=policy))
    assert err.value.line == 2


def test_findings_file_encrypted_with_our_kms(tmp_path: Path) -> None:
    import secrets

    from wafproxy.awsapi.credentials import CredentialStore, Principal
    from wafproxy.settings import HostPort
    from wafproxy.sidecars.kms.core import KmsConfig
    from wafproxy.sidecars.kms.envelope import LocalKeyProvider
    from wafproxy.sidecars.kms.service import KmsService

    # As ``wafproxy serve --kms-listen`` opens it: the KMS of the proxy's own account.
    kms = KmsService.open(data_dir=tmp_path / "kms", root_key=secrets.token_bytes(32),
                          credentials=CredentialStore.parse("[a]\naws_access_key_id = AKIAA\n"
                                                            "aws_secret_access_key = s\n"),
                          config=KmsConfig("us-east-1", "000000000000"))
    try:
        principal = Principal("wafproxy-detector", "(in-process)", "000000000000")
        key = asyncio.run(kms.invoke(principal, "CreateKey", {}))["KeyMetadata"]["Arn"]
        out = tmp_path / "findings.enc"
        settings = Settings(detector_findings=str(out), findings_kms_key=key,
                            kms_listen=HostPort("127.0.0.1", 0))
        service = build_detector(settings, kms_service=kms)
        assert service is not None
        service.detector.observe(Observation(time.time(), "203.0.113.4", "GET", "/", 200, "nikto/2.5"))
        service.close()  # drains the queue, closes (seals) the file
        lines = out.read_text().splitlines()
        assert "203.0.113.4" not in out.read_text() and len(lines) >= 2
        (plain,) = asyncio.run(_decrypted(LocalKeyProvider(kms, principal), lines))
        assert json.loads(plain)["Type"] == "PenTest:Proxy/ScannerUserAgent"
    finally:
        kms.close()


async def _decrypted(provider: Any, lines: list[str]) -> list[str]:
    from wafproxy.sidecars.kms.logcrypt import decrypt_lines

    return list(await decrypt_lines(provider, lines))


@pytest.mark.parametrize("env, message", [
    ({"WAFPROXY_FINDINGS_KMS_KEY": "alias/f"}, "needs --detector-findings PATH"),
    ({"WAFPROXY_FINDINGS_KMS_KEY": "alias/f", "WAFPROXY_DETECTOR_FINDINGS": "/tmp/f.jsonl"},
     "needs --kms-listen"),
    ({"WAFPROXY_DETECTOR": "maybe"}, "expected one of on, dry-run, off"),
])
def test_detector_settings_are_validated(env: dict[str, str], message: str) -> None:
    from wafproxy.settings import SettingsError, resolve

    with pytest.raises(SettingsError) as err:
        resolve(None, env)
    assert message in str(err.value)
