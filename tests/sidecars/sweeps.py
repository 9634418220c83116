"""The GuardDuty and Inspector2 sweeps (``tests.support.opsweep``) against a real ``wafproxy demo``:
the real resources each sweep creates first, and the parameters that name them.

``python -m tests.sidecars.sweeps`` prints both tables.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.sidecars.assessor.demo import Demo, running_demo
from tests.support.opsweep import Outcome, sweep, table

ACCOUNT = "123456789012"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"


def client(demo: Demo, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=demo.admin,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}),
        **demo.keys(),
    )


def guardduty(demo: Demo, work: Path) -> list[Outcome]:
    gd = client(demo, "guardduty")
    (detector,) = gd.list_detectors()["DetectorIds"]
    bad = work / "threats.txt"
    bad.write_text("203.0.113.66\n", encoding="utf-8")
    good = work / "trusted.txt"
    good.write_text("192.0.2.10\n", encoding="utf-8")
    made: dict[str, str] = {}

    def create_threat() -> dict[str, Any]:
        return {"Name": "sweep-threats", "Format": "TXT", "Location": str(bad), "Activate": True}

    ctx = {
        "DetectorId": detector,
        "arn": f"arn:aws:guardduty:us-east-1:{ACCOUNT}:detector/{detector}",
        "account": ACCOUNT,
        "Location": str(good),
        "Format": "TXT",
    }
    threat = gd.create_threat_intel_set(DetectorId=detector, **create_threat())["ThreatIntelSetId"]
    trusted = gd.create_ip_set(
        DetectorId=detector, Name="sweep-trusted", Format="TXT", Location=str(good), Activate=True
    )["IpSetId"]
    entities = gd.create_threat_entity_set(
        DetectorId=detector, Name="sweep-entities-0", Format="TXT", Location=str(bad), Activate=True
    )["ThreatEntitySetId"]
    trusted_entities = gd.create_trusted_entity_set(
        DetectorId=detector, Name="sweep-trusted-entities-0", Format="TXT", Location=str(good), Activate=False
    )["TrustedEntitySetId"]
    destination = gd.create_publishing_destination(
        DetectorId=detector,
        DestinationType="S3",
        DestinationProperties={"DestinationArn": "arn:aws:s3:::sweep-bucket/gd", "KmsKeyArn": KEY},
    )["DestinationId"]
    made.update(
        ThreatIntelSetId=threat,
        IpSetId=trusted,
        ThreatEntitySetId=entities,
        TrustedEntitySetId=trusted_entities,
        DestinationId=destination,
    )
    overrides: dict[str, Any] = {
        "CreateThreatIntelSet": {"Name": "sweep-threats-2", "Location": str(bad)},
        "CreateIPSet": {"Name": "sweep-trusted-2"},
        "CreateFilter": {"Name": "sweep-filter", "FindingCriteria": {"Criterion": {"severity": {"Gte": 8}}}},
        "GetThreatIntelSet": {"ThreatIntelSetId": threat},
        "UpdateThreatIntelSet": {"ThreatIntelSetId": threat},
        "DeleteThreatIntelSet": {"ThreatIntelSetId": threat},
        "GetIPSet": {"IpSetId": trusted},
        "UpdateIPSet": {"IpSetId": trusted},
        "DeleteIPSet": {"IpSetId": trusted},
        "GetFilter": {"FilterName": "sweep-filter"},
        **{f"{verb}ThreatEntitySet": {"ThreatEntitySetId": entities} for verb in ("Get", "Update", "Delete")},
        **{
            f"{verb}TrustedEntitySet": {"TrustedEntitySetId": trusted_entities}
            for verb in ("Get", "Update", "Delete")
        },
        **{
            f"{verb}PublishingDestination": {"DestinationId": destination}
            for verb in ("Describe", "Update", "Delete")
        },
        "UpdatePublishingDestination": {
            "DestinationId": destination,
            "DestinationProperties": {"DestinationArn": "arn:aws:s3:::sweep-bucket/gd2", "KmsKeyArn": KEY},
        },
        "CreateThreatEntitySet": {"Name": "sweep-entities", "Location": str(bad)},
        "CreateTrustedEntitySet": {"Name": "sweep-trusted-entities"},
        "CreatePublishingDestination": {
            "DestinationProperties": {
                "DestinationArn": "arn:aws:s3:::sweep-bucket/findings",
                "KmsKeyArn": KEY,
            }
        },
        "GetRemainingFreeTrialDays": {"AccountIds": [ACCOUNT]},
        "UpdateFilter": {"FilterName": "sweep-filter"},
        "DeleteFilter": {"FilterName": "sweep-filter"},
    }
    last = [
        "DeleteThreatIntelSet",
        "DeleteIPSet",
        "DeleteThreatEntitySet",
        "DeleteTrustedEntitySet",
        "DeletePublishingDestination",
        "DeleteFilter",
        "DeleteDetector",
    ]
    first = ["CreateFilter", "CreateThreatIntelSet", "CreateIPSet"]
    model = gd.meta.service_model
    order = first + sorted(set(model.operation_names) - set(first) - set(last)) + last
    return sweep(gd, ctx, overrides, order)


def inspector2(demo: Demo, work: Path) -> list[Outcome]:
    ins = client(demo, "inspector2")
    arn = ins.create_filter(
        name="sweep-filter-0",
        action="NONE",
        filterCriteria={"severity": [{"comparison": "EQUALS", "value": "HIGH"}]},
    )["arn"]
    bucket = {"bucketName": "sweep-reports", "keyPrefix": "inspector", "kmsKeyArn": KEY}
    report = ins.create_findings_report(reportFormat="JSON", s3Destination=bucket)["reportId"]
    export = ins.create_sbom_export(reportFormat="CYCLONEDX_1_4", s3Destination=bucket)["reportId"]
    ctx = {"account": ACCOUNT, "arn": arn}
    overrides: dict[str, Any] = {
        "CreateFilter": {"name": "sweep-filter"},
        "UpdateFilter": {"filterArn": arn},
        "DeleteFilter": {"arn": arn},
        "CreateFindingsReport": {"s3Destination": bucket},
        "CreateSbomExport": {"s3Destination": bucket},
        "GetFindingsReportStatus": {"reportId": report},
        "CancelFindingsReport": {"reportId": report},
        "GetSbomExport": {"reportId": export},
        "CancelSbomExport": {"reportId": export},
        "UpdateEncryptionKey": {"kmsKeyId": KEY, "scanType": "CODE", "resourceType": "AWS_LAMBDA_FUNCTION"},
        "GetEncryptionKey": {"scanType": "CODE", "resourceType": "AWS_LAMBDA_FUNCTION"},
        "ResetEncryptionKey": {"scanType": "CODE", "resourceType": "AWS_LAMBDA_FUNCTION"},
        "UpdateConfiguration": {"ecrConfiguration": {"rescanDuration": "DAYS_30"}},
        "BatchGetFreeTrialInfo": {"accountIds": [ACCOUNT]},
        "SearchVulnerabilities": {"filterCriteria": {"vulnerabilityIds": ["CVE-2024-0001"]}},
    }
    first = ["UpdateEncryptionKey", "GetEncryptionKey"]
    model = ins.meta.service_model
    order = first + sorted(set(model.operation_names) - set(first) - {"DeleteFilter"}) + ["DeleteFilter"]
    return sweep(ins, ctx, overrides, order)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, \
            running_demo("--account-id", ACCOUNT, "--state-dir", tmp) as demo:
        lists = Path(tmp) / ".wafproxy" / "intel"  # where a set's Location may point
        lists.mkdir(parents=True)
        for name, run in (("guardduty", guardduty), ("inspector2", inspector2)):
            print(f"== {name}")
            print(table(run(demo, lists)))


if __name__ == "__main__":
    main()
