"""``inspect --admin``: send a run's findings to a running wafproxy (``ImportFindings``), signed
with SigV4 by botocore from the usual AWS credentials (environment, profile), as boto3 would."""

from __future__ import annotations

import dataclasses
import json

import httpx

from wafproxy.sidecars.assessor.runner import Report


def send_report(admin: str, region: str, report: Report) -> dict[str, str]:
    """Returns the stored status of each finding (a SUPPRESS filter there may apply)."""
    import boto3  # type: ignore[import-untyped]
    from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
    from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]

    credentials = boto3.session.Session().get_credentials()
    if credentials is None:
        raise RuntimeError("no AWS credentials (set AWS_PROFILE / AWS_SHARED_CREDENTIALS_FILE or the keys)")
    body = json.dumps(
        {
            "assessed": [a.to_json() for a in report.assessed],
            "covered": sorted(report.covered),
            "assessedAt": report.assessed_at,
            "coverage": [dataclasses.asdict(c) for c in report.coverage()],
        }
    ).encode()
    url = admin.rstrip("/") + "/wafproxy/findings/import"
    request = AWSRequest(method="POST", url=url, data=body, headers={"content-type": "application/json"})
    SigV4Auth(credentials.get_frozen_credentials(), "inspector2", region).add_auth(request)
    response = httpx.post(
        url, content=body, headers=dict(request.headers.items()), timeout=30.0, trust_env=False
    )
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
    return dict(response.json().get("statuses") or {})
