"""A scanner against a real ``wafproxy demo`` is blocked mid-scan and shows up in boto3's
``guardduty.list_findings`` against the admin listener; the ban is in the WAFv2 IP set with a TTL."""

from __future__ import annotations

import json
import re
import time

import boto3
import botocore.session
import httpx

from tests.support.servers import free_port, wafproxy_process
from wafproxy.asgi.inspector import GATE_BODY

SCANNER = "203.0.113.9"
SCAN = ["/", "/robots.txt", "/.env", "/.git/config", "/backup.sql", "/phpmyadmin/", "/server-status",
        "/wp-config.php.bak", "/.aws/credentials", "/admin/config.php"]


def _session_with(credentials_file: str) -> botocore.session.Session:
    session = botocore.session.Session(profile="demo")
    session.set_config_variable("credentials_file", credentials_file)
    return session


def test_scanner_blocked_mid_scan_and_listed_by_boto3_guardduty() -> None:
    port, admin = free_port(), free_port()
    with wafproxy_process("demo", "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                          "--log-level", "warning", wait_ports=(port, admin)) as proc:
        assert proc.stdout is not None
        banner = []
        while not (line := proc.stdout.readline().decode()).lstrip().startswith("KMS"):
            assert line, "demo exited before printing its banner"
            banner.append(line)
        creds = re.search(r"AWS_SHARED_CREDENTIALS_FILE=(\S+)", line)
        assert creds
        gated = []
        # Loopback is never banned; the demo trusts it as a proxy, so the scanner plays a remote
        # address with X-Forwarded-For (as the demo banner shows).
        with httpx.Client(base_url=f"http://127.0.0.1:{port}",
                          headers={"user-agent": "Mozilla/5.0 (compatible; dirscan)",
                                   "x-forwarded-for": SCANNER}) as client:
            for path in SCAN:
                answer = client.get(path)
                gated.append(answer.status_code == 403 and answer.content == GATE_BODY)
            # After the threshold every request is refused, whatever it asks for.
            assert client.get("/search?q=teapot").content == GATE_BODY
        # /.env and /.git/config are the first sensitive paths (the WAF's dotfile rule answers
        # them), /backup.sql the third: it crosses the threshold and is the last one answered.
        assert gated == [False] * 5 + [True] * (len(SCAN) - 5), gated
        session = boto3.Session(botocore_session=_session_with(creds.group(1)), region_name="us-east-1")
        gd = session.client("guardduty", endpoint_url=f"http://127.0.0.1:{admin}")
        (detector_id,) = gd.list_detectors()["DetectorIds"]
        ids = gd.list_findings(DetectorId=detector_id, FindingCriteria={
            "Criterion": {"type": {"Eq": ["Recon:Proxy/PathProbe"]}}})["FindingIds"]
        assert len(ids) == 1
        (finding,) = gd.get_findings(DetectorId=detector_id, FindingIds=ids)["Findings"]
        action = finding["Service"]["Action"]["NetworkConnectionAction"]
        assert action["RemoteIpDetails"]["IpAddressV4"] == SCANNER and action["Blocked"] is True
        assert 4.0 <= finding["Severity"] < 7.0
        # The ban is recorded in the WAFv2 IP set as a temporary entry (visible, reversible).
        wafv2 = session.client("wafv2", endpoint_url=f"http://127.0.0.1:{admin}")
        sets = {s["Name"]: s for s in wafv2.list_ip_sets(Scope="REGIONAL")["IPSets"]}
        assert "blocked-ips" in sets
        # /metrics counts the finding by type and severity.
        # The same finding reached the findings hub: `aws securityhub get-findings` shows it in ASFF.
        hub = session.client("securityhub", endpoint_url=f"http://127.0.0.1:{admin}")
        deadline = time.monotonic() + 10
        while True:
            asff = hub.get_findings(Filters={"ProductName": [{"Value": "Detector", "Comparison": "EQUALS"}]})
            found = [f for f in asff["Findings"] if any("PathProbe" in t for t in f["Types"])]
            if found or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert found, asff["Findings"]
        assert SCANNER in json.dumps(found[0])  # the finding names the scanner's address
        metrics = httpx.get(f"http://127.0.0.1:{admin}/metrics").text
        assert 'wafproxy_findings_total{severity="medium",type="Recon:Proxy/PathProbe"} 1.0' in metrics
        assert "wafproxy_detector_actors_blocked 1.0" in metrics
