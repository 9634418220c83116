#!/usr/bin/env python3
"""The findings hub under load: import rate and GetFindings latency with 100,000 findings stored.

    .venv/bin/python load_tests/bench_hub.py [--findings 100000] [--queries 300] [--encrypted]

Fills a hub database (on disk, WAL) with ``--findings`` varied ASFF findings through
``Hub.import_findings`` in batches of 500 (the ``FindingSink`` path) and reports findings/s; then
serves it on a real admin listener (uvicorn, ephemeral port) and times, with boto3's
``securityhub`` client, ``BatchImportFindings`` (100 per call, AWS's maximum) and ``GetFindings``
for filtered pages of 100 (severity+workflow+state, product, resource id, date range, and page 2
through ``NextToken``). Reports p50/p99 per query shape. Wall-clock on a shared machine: compare
figures from one run; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.sidecars.hub.stack import running_hub  # noqa: E402
from wafproxy.sidecars.hub.asff import iso  # noqa: E402
from wafproxy.sidecars.hub.crypt import RowCipher  # noqa: E402

PRODUCTS = ("WAF", "KMS", "Detector", "Assessor", "Hub")
LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
WORKFLOW = ("NEW", "NEW", "NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")


def finding(n: int, now: float) -> dict[str, object]:
    product = PRODUCTS[n % 5]
    t = iso(now - (n % 80) * 86400 - n % 3600)
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"bench/{n}",
        "ProductArn": f"arn:aws:securityhub:us-east-1:123456789012:product/wafproxy/{product.lower()}",
        "ProductName": product,
        "GeneratorId": f"bench/generator/{n % 50}",
        "AwsAccountId": "123456789012",
        "Types": ["TTPs/Initial Access/Bench"],
        "CreatedAt": t,
        "UpdatedAt": t,
        "Severity": {"Label": LABELS[n % 5]},
        "Title": f"bench finding {n}",
        "Description": "a finding for the benchmark " + "x" * 200,
        "Resources": [{"Type": "Other", "Id": f"10.{n % 256}.{(n // 256) % 256}.{n % 7}"}],
        "Workflow": {"Status": WORKFLOW[n % 6]},
    }


class SignedPoster:
    """SigV4-signed POSTs with httpx: the server's time plus the transfer, without botocore's parsing
    of 100 findings (which costs the client more than the server spends answering)."""

    def __init__(self, url: str) -> None:
        import httpx
        from botocore.credentials import Credentials

        from tests.control.stack import KEYS

        self.url = url
        self.http = httpx.Client(base_url=url)
        self.creds = Credentials(*KEYS["admin"])

    def post(self, path: str, body: dict[str, object]) -> int:
        import json

        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        data = json.dumps(body).encode()
        req = AWSRequest(
            method="POST", url=self.url + path, data=data, headers={"Content-Type": "application/json"}
        )
        SigV4Auth(self.creds, "securityhub", "us-east-1").add_auth(req)
        t0 = time.perf_counter()
        resp = self.http.post(path, content=data, headers=dict(req.headers.items()))
        resp.read()
        _ = t0
        return resp.status_code


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--findings", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--encrypted", action="store_true", help="seal rows with a data key (as --hub-kms-key)")
    args = ap.parse_args()
    now = time.time()
    with tempfile.TemporaryDirectory() as tmp, running_hub(Path(tmp)) as stack:
        hub = stack.service.hub
        if args.encrypted:
            hub.store.use_cipher(RowCipher(b"k" * 32, "bench-key"))
        start = time.perf_counter()
        for base in range(0, args.findings, 500):
            hub.import_findings([finding(n, now) for n in range(base, min(base + 500, args.findings))])
        took = time.perf_counter() - start
        print(
            f"import (Hub.import_findings, batches of 500): {args.findings / took:,.0f} findings/s "
            f"({args.findings:,} in {took:.1f} s)"
        )
        sh = stack.client()
        extra = 2000
        start = time.perf_counter()
        for base in range(args.findings, args.findings + extra, 100):
            out = sh.batch_import_findings(Findings=[finding(n, now) for n in range(base, base + 100)])
            assert out["FailedCount"] == 0
        took = time.perf_counter() - start
        print(f"BatchImportFindings over HTTP (boto3, 100 per call): {extra / took:,.0f} findings/s")
        shapes = {
            "severity+workflow+state": {
                "SeverityLabel": [{"Value": "HIGH", "Comparison": "EQUALS"}],
                "WorkflowStatus": [{"Value": "NEW", "Comparison": "EQUALS"}],
                "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
            },
            "product": {"ProductName": [{"Value": "Detector", "Comparison": "EQUALS"}]},
            "resource id": {"ResourceId": [{"Value": "10.7.3.5", "Comparison": "EQUALS"}]},
            "updated in 7 days": {"UpdatedAt": [{"DateRange": {"Value": 7, "Unit": "DAYS"}}]},
            "critical, not resolved, 30 days": {
                "SeverityLabel": [{"Value": "CRITICAL", "Comparison": "EQUALS"}],
                "WorkflowStatus": [{"Value": "RESOLVED", "Comparison": "NOT_EQUALS"}],
                "UpdatedAt": [{"DateRange": {"Value": 30, "Unit": "DAYS"}}],
            },
        }
        raw = SignedPoster(stack.url)
        for name, filters in shapes.items():
            server = []
            for _ in range(args.queries):
                t0 = time.perf_counter()
                status = raw.post("/findings", {"Filters": filters, "MaxResults": 100})
                server.append((time.perf_counter() - t0) * 1000)
                assert status == 200
            print(
                f"GetFindings [{name}] signed HTTP, response read, not parsed: "
                f"p50 {statistics.median(server):.1f} ms, p99 {pct(server, 0.99):.1f} ms"
            )
            times, sizes = [], []
            token = None
            for i in range(args.queries):
                kw = {"Filters": filters, "MaxResults": 100}
                if token and i % 2:
                    kw["NextToken"] = token
                t0 = time.perf_counter()
                out = sh.get_findings(**kw)
                times.append((time.perf_counter() - t0) * 1000)
                sizes.append(len(out["Findings"]))
                token = out.get("NextToken")
            print(
                f"GetFindings [{name}]: p50 {statistics.median(times):.1f} ms, p99 {pct(times, 0.99):.1f} ms "
                f"(page of {max(sizes)}, {args.queries} calls, boto3 end to end)"
            )


if __name__ == "__main__":
    main()
