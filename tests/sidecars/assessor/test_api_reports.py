"""Inspector2's findings reports, SBOM exports, vulnerability reads, encryption keys and account
reads through boto3, over a store holding real dependency findings (OSV fixture); state written is
state kept (a new API over the same store file answers the same)."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.sidecars.assessor import osvfixture
from tests.sidecars.assessor.test_api import CREDENTIALS, KEYS, POLICIES
from tests.support.awsshapes import strict
from tests.support.servers import uvicorn_in_thread
from wafproxy.awsapi.authz import IdentityAuthorizer
from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.sidecars.assessor import checks_deps, osv
from wafproxy.sidecars.assessor.api import InspectorApi
from wafproxy.sidecars.assessor.findings import to_finding
from wafproxy.sidecars.assessor.store import FindingStore

ACCOUNT = "000000000000"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
PACKAGES = [("Demo_Lib", "1.0.0"), ("other-lib", "1.3.0"), ("safe-lib", "3.1.4")]
ENV = "python:/opt/app"


@contextmanager
def serving(tmp_path: Path) -> Iterator[Any]:
    """The API over ``tmp_path/state/assessor.sqlite3``: a second ``serving`` is a restart."""
    creds, policy = tmp_path / "credentials", tmp_path / "policy.json"
    creds.write_text(CREDENTIALS, encoding="utf-8")
    policy.write_text(json.dumps(POLICIES), encoding="utf-8")
    db = osvfixture.build(tmp_path)
    store = FindingStore(tmp_path / "state" / "assessor.sqlite3", account=ACCOUNT)
    api = InspectorApi(
        store,
        credentials=CredentialStore.load(creds),
        authorizer=IdentityAuthorizer.from_file(policy),
        osv_db=db,
        packages=lambda: list(PACKAGES),
        environment=ENV,
    )
    with uvicorn_in_thread(api.app) as server:
        key, secret = KEYS["alice"]
        yield (
            strict(
                boto3.client(
                    "inspector2",
                    endpoint_url=server.url,
                    region_name="us-east-1",
                    aws_access_key_id=key,
                    aws_secret_access_key=secret,
                )
            ),
            store,
        )
    store.close()


def _assess(store: FindingStore, tmp_path: Path) -> None:
    observed = checks_deps.observe(osv.load(tmp_path / "osv"), PACKAGES, ENV)
    now = time.time()
    store.record(
        [to_finding(o, account=ACCOUNT, region="us-east-1", now=now) for o in observed],
        {o.coverage_key for o in observed},
        now,
        [],
    )


BUCKET = {"bucketName": "reports-bucket", "keyPrefix": "inspector/weekly", "kmsKeyArn": KEY}


def test_findings_reports_are_files_in_the_bucket_directory_and_their_status_survives_a_restart(
    tmp_path: Path,
) -> None:
    bucket_dir = tmp_path / "state" / "buckets" / "reports-bucket" / "inspector" / "weekly"
    with serving(tmp_path) as (ins, store):
        assert "reportId" not in ins.get_findings_report_status()  # no report yet: nothing to say
        _assess(store, tmp_path)
        as_json = ins.create_findings_report(reportFormat="JSON", s3Destination=BUCKET)["reportId"]
        high = {"severity": [{"comparison": "EQUALS", "value": "CRITICAL"}]}
        as_csv = ins.create_findings_report(reportFormat="CSV", s3Destination=BUCKET, filterCriteria=high)[
            "reportId"
        ]
        status = ins.get_findings_report_status(reportId=as_json)
        assert status["status"] == "SUCCEEDED" and status["destination"]["bucketName"] == "reports-bucket"
        assert ins.get_findings_report_status()["reportId"] == as_csv  # no id: the latest report
        with pytest.raises(ClientError) as err:
            ins.cancel_findings_report(reportId=as_json)  # finished: nothing in progress to cancel
        assert err.value.response["Error"]["Code"] == "ValidationException"
        nothing = {"title": [{"comparison": "EQUALS", "value": "no such finding"}]}
        empty = ins.create_findings_report(reportFormat="CSV", s3Destination=BUCKET, filterCriteria=nothing)
        failed = ins.get_findings_report_status(reportId=empty["reportId"])
        assert (failed["status"], failed["errorCode"]) == ("FAILED", "NO_FINDINGS_FOUND")
        bad_key = ins.create_findings_report(
            reportFormat="CSV", s3Destination={**BUCKET, "kmsKeyArn": "alias/x"}
        )
        assert (
            ins.get_findings_report_status(reportId=bad_key["reportId"])["errorCode"] == "MALFORMED_KMS_KEY"
        )
        with pytest.raises(ClientError) as err:
            ins.create_findings_report(reportFormat="CSV", s3Destination={**BUCKET, "bucketName": "../up"})
        assert err.value.response["Error"]["Code"] == "ValidationException"
    listed = json.loads((bucket_dir / f"{as_json}.json").read_text())["findings"]
    assert {f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in listed} == {
        "PYSEC-2099-1",
        "GHSA-aaaa-bbbb-cccc",
    }
    rows = list(csv.DictReader((bucket_dir / f"{as_csv}.csv").open()))
    assert [(r["Severity"], r["Vulnerability Id"]) for r in rows] == [("CRITICAL", "PYSEC-2099-1")]
    assert not (bucket_dir / f"{empty['reportId']}.csv").exists()
    with serving(tmp_path) as (ins, _):
        assert ins.get_findings_report_status(reportId=as_csv)["status"] == "SUCCEEDED"
        assert ins.get_findings_report_status(reportId=empty["reportId"])["errorCode"] == "NO_FINDINGS_FOUND"


def test_sbom_exports_describe_the_environment_and_its_vulnerable_packages(tmp_path: Path) -> None:
    with serving(tmp_path) as (ins, store):
        _assess(store, tmp_path)
        cdx = ins.create_sbom_export(reportFormat="CYCLONEDX_1_4", s3Destination=BUCKET)["reportId"]
        spdx = ins.create_sbom_export(reportFormat="SPDX_2_3", s3Destination=BUCKET)["reportId"]
        got = ins.get_sbom_export(reportId=cdx)
        assert (got["status"], got["format"]) == ("SUCCEEDED", "CYCLONEDX_1_4")
        other = ins.create_sbom_export(
            reportFormat="SPDX_2_3",
            s3Destination=BUCKET,
            resourceFilterCriteria={"resourceId": [{"comparison": "EQUALS", "value": "python:/elsewhere"}]},
        )["reportId"]
        assert ins.get_sbom_export(reportId=other)["errorCode"] == "NO_FINDINGS_FOUND"
    base = tmp_path / "state" / "buckets" / "reports-bucket" / "inspector" / "weekly"
    bom = json.loads((base / cdx / ACCOUNT / "python__opt_app.json").read_text())
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.4"
    assert {c["purl"] for c in bom["components"]} == {
        "pkg:pypi/demo-lib@1.0.0",
        "pkg:pypi/other-lib@1.3.0",
        "pkg:pypi/safe-lib@3.1.4",
    }
    affects = {v["id"]: [a["ref"] for a in v["affects"]] for v in bom["vulnerabilities"]}
    assert affects == {
        "PYSEC-2099-1": ["pkg:pypi/demo-lib@1.0.0"],
        "GHSA-aaaa-bbbb-cccc": ["pkg:pypi/other-lib@1.3.0"],
    }
    doc = json.loads((base / spdx / ACCOUNT / "python__opt_app.json").read_text())
    assert doc["spdxVersion"] == "SPDX-2.3"
    refs = {r["referenceLocator"] for p in doc["packages"] for r in p.get("externalRefs", [])}
    assert "pkg:pypi/safe-lib@3.1.4" in refs and len(doc["relationships"]) == 1 + len(PACKAGES)
    with serving(tmp_path) as (ins, _):
        assert ins.get_sbom_export(reportId=spdx)["status"] == "SUCCEEDED"


def test_vulnerability_search_and_finding_details_read_real_data(tmp_path: Path) -> None:
    with serving(tmp_path) as (ins, store):
        _assess(store, tmp_path)
        by_alias = ins.search_vulnerabilities(filterCriteria={"vulnerabilityIds": ["CVE-2099-0001"]})
        (vuln,) = by_alias["vulnerabilities"]
        assert vuln["id"] == "PYSEC-2099-1" and vuln["cvss3"]["baseScore"] == 9.8
        assert (
            ins.search_vulnerabilities(filterCriteria={"vulnerabilityIds": ["CVE-1999-9"]})["vulnerabilities"]
            == []
        )
        arns = [f["findingArn"] for f in ins.list_findings()["findings"]]
        unknown = f"arn:aws:inspector2:us-east-1:{ACCOUNT}:finding/none"
        details = ins.batch_get_finding_details(findingArns=[*arns, unknown])
        assert sorted(d["findingArn"] for d in details["findingDetails"]) == sorted(arns)
        assert [(e["findingArn"], e["errorCode"]) for e in details["errors"]] == [
            (unknown, "FINDING_DETAILS_NOT_FOUND")
        ]
        snippets = ins.batch_get_code_snippet(findingArns=arns)
        assert snippets["codeSnippetResults"] == [] and {e["errorCode"] for e in snippets["errors"]} == {
            "CODE_SNIPPET_NOT_FOUND"
        }


def test_encryption_key_set_kept_and_reset(tmp_path: Path) -> None:
    slot = {"scanType": "CODE", "resourceType": "AWS_LAMBDA_FUNCTION"}
    with serving(tmp_path) as (ins, _):
        with pytest.raises(ClientError) as err:
            ins.get_encryption_key(**slot)
        assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
        ins.update_encryption_key(kmsKeyId=KEY, **slot)
    with serving(tmp_path) as (ins, _):
        assert ins.get_encryption_key(**slot)["kmsKeyId"] == KEY
        ins.reset_encryption_key(**slot)
        with pytest.raises(ClientError):
            ins.get_encryption_key(**slot)
        with pytest.raises(ClientError) as err:
            ins.update_encryption_key(kmsKeyId="not-a-key", **slot)
        assert err.value.response["Error"]["Code"] == "ValidationException"


def test_single_account_reads_and_refusals(tmp_path: Path) -> None:
    with serving(tmp_path) as (ins, _):
        trial = ins.batch_get_free_trial_info(accountIds=[ACCOUNT, "111111111111"])
        assert {i["type"] for i in trial["accounts"][0]["freeTrialInfo"]} >= {"EC2", "ECR", "LAMBDA"}
        assert [a["accountId"] for a in trial["failedAccounts"]] == ["111111111111"]
        start = trial["accounts"][0]["freeTrialInfo"][0]["start"]
        (totals,) = ins.list_usage_totals()["totals"]
        assert totals["accountId"] == ACCOUNT and all(u["total"] == 0 for u in totals["usage"])
        assert {p["operation"] for p in ins.list_account_permissions(service="ECR")["permissions"]} == {
            "ENABLE_SCANNING",
            "DISABLE_SCANNING",
            "ENABLE_REPOSITORY",
            "DISABLE_REPOSITORY",
        }
        assert "delegatedAdmin" not in ins.get_delegated_admin_account()
        assert ins.get_ec2_deep_inspection_configuration()["status"] == "DEACTIVATED"
        for call, code in (
            (
                lambda: ins.enable_delegated_admin_account(delegatedAdminAccountId="111111111111"),
                "AccessDeniedException",
            ),
            (ins.list_delegated_admin_accounts, "AccessDeniedException"),  # management accounts only
            (lambda: ins.get_member(accountId="111111111111"), "ResourceNotFoundException"),
            (
                lambda: ins.update_ec2_deep_inspection_configuration(activateDeepInspection=True),
                "ValidationException",
            ),
            (
                lambda: ins.start_on_demand_scan(resourceId="ami-0123456789abcdef0", resourceType="AMI"),
                "ValidationException",
            ),
            (lambda: ins.get_cis_scan_report(scanArn="arn:aws:inspector2:x"), "ResourceNotFoundException"),
        ):
            with pytest.raises(ClientError) as err:
                call()
            assert err.value.response["Error"]["Code"] == code
        assert ins.list_cis_scans()["scans"] == [] and ins.list_connectors()["items"] == []
    with serving(tmp_path) as (ins, _):  # the trial's start is kept, not restarted
        again = ins.batch_get_free_trial_info(accountIds=[ACCOUNT])
        assert again["accounts"][0]["freeTrialInfo"][0]["start"] == start
