"""GuardDuty publishing destinations, with a local directory standing in for the S3 bucket.

``CreatePublishingDestination(DestinationType="S3", DestinationProperties={"DestinationArn":
"arn:aws:s3:::bucket/prefix", "KmsKeyArn": …})`` makes ``<state>/buckets/bucket/prefix/``
(``sidecars.localbucket``) and from then on every finding the detector publishes (new at once,
updates at the FindingPublishingFrequency) is appended as one JSON line (the finding in GuardDuty's
export form: the API's camelCase members) to ``AWSLogs/<account>/GuardDuty/<region>/findings.jsonl``
below it, through the same background writer as ``--detector-findings`` (rotating, never on the
request path). The KMS key ARN is kept and returned; the lines are not encrypted with it
(``--findings-kms-key`` encrypts the detector's own findings file). Destinations are kept in the
detector's resources document, so a restart publishes where the last call said; DeleteDetector
takes them with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.control.persist import private_dir
from wafproxy.sidecars.detector.criteria import bad_request
from wafproxy.sidecars.detector.findings import DetectorInfo, Finding
from wafproxy.sidecars.detector.outputs import FindingOutbox
from wafproxy.sidecars.detector.resources import DetectorResources
from wafproxy.sidecars.localbucket import BadBucket, directory, split_s3_arn

if TYPE_CHECKING:
    from wafproxy.sidecars.detector.api import GuardDutyApi

MAX_DESTINATIONS = 5  # GuardDuty allows one per detector; a few more here
Table = dict[str, tuple[str, str, Callable[..., Any]]]


def findings_file(state: Path, info: DetectorInfo, arn: str) -> Path:
    bucket, prefix = split_s3_arn(arn)
    return (
        directory(state, bucket, prefix)
        / "AWSLogs"
        / info.account
        / "GuardDuty"
        / info.region
        / "findings.jsonl"
    )


class DestinationPublisher:
    """One ``FindingOutbox`` per PUBLISHING destination, kept in step with the resources document."""

    def __init__(self, info: DetectorInfo, resources: DetectorResources) -> None:
        self.info = info
        self.resources = resources
        self.outboxes: dict[str, FindingOutbox] = {}

    @property
    def state(self) -> Path | None:
        return self.resources.path.parent if self.resources.path is not None else None

    def sync(self) -> None:
        wanted = {
            d: doc for d, doc in self.resources.destinations.items() if doc.get("status") == "PUBLISHING"
        }
        for gone in set(self.outboxes) - set(wanted):
            self.outboxes.pop(gone).close()
        state = self.state
        for dest_id, doc in wanted.items():
            if dest_id in self.outboxes or state is None:
                continue
            path = findings_file(state, self.info, doc["arn"])
            private_dir(path.parent)  # findings: 0700 directories, as the rest of the state
            self.outboxes[dest_id] = FindingOutbox(self.info, jsonl=str(path), wire=True)

    def publish(self, finding: Finding, new: bool) -> None:
        for outbox in self.outboxes.values():
            outbox.publish(finding, new)

    def close(self) -> None:
        for outbox in self.outboxes.values():
            outbox.close()
        self.outboxes.clear()


def routes(api: GuardDutyApi, publisher: DestinationPublisher) -> Table:
    res = api.resources

    def properties(p: Params) -> tuple[str, str | None, str | None]:
        raw = p.raw("destinationProperties")
        if not isinstance(raw, dict):
            raise bad_request("destinationProperties must be an object")
        arn, key, owner = raw.get("destinationArn"), raw.get("kmsKeyArn"), raw.get("expectedBucketOwner")
        if not isinstance(arn, str):
            raise bad_request("destinationProperties.destinationArn is required")
        if publisher.state is None:
            raise bad_request("This detector has no state directory to hold a destination bucket.")
        try:
            findings_file(publisher.state, api.detector.info, arn)
        except BadBucket as exc:
            raise bad_request(f"destinationProperties.destinationArn: {exc}") from None
        for name, value in (("kmsKeyArn", key), ("expectedBucketOwner", owner)):
            if value is not None and (not isinstance(value, str) or len(value) > 2048):
                raise bad_request(f"destinationProperties.{name} must be a string")
        if owner is not None and owner != api.detector.info.account:
            raise bad_request(
                "The request is rejected because the expected bucket owner is not this account."
            )
        return arn, key, owner

    def destination(p: Params) -> tuple[str, dict[str, Any]]:
        dest_id = p.str("DestinationId", max_len=300)
        doc = res.destinations.get(dest_id)
        if doc is None:
            raise bad_request(
                f"The request is rejected because the destination {dest_id[:64]} does not exist."
            )
        return dest_id, doc

    def changed() -> None:
        res.changed()
        publisher.sync()

    def create(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        if p.str("destinationType", max_len=8) != "S3":
            raise bad_request("destinationType must be S3")
        arn, key, owner = properties(p)
        if len(res.destinations) >= MAX_DESTINATIONS:
            raise bad_request(f"at most {MAX_DESTINATIONS} publishing destinations")
        dest_id = res.new_id()
        res.destinations[dest_id] = {
            "arn": arn,
            "kmsKeyArn": key,
            "expectedBucketOwner": owner,
            "status": "PUBLISHING",
            "tags": p.str_map("tags"),
            "createdAt": time.time(),
        }
        changed()
        return {"destinationId": dest_id}

    def describe(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        dest_id, doc = destination(p)
        props = {
            "destinationArn": doc["arn"],
            **({"kmsKeyArn": doc["kmsKeyArn"]} if doc.get("kmsKeyArn") else {}),
            **({"expectedBucketOwner": doc["expectedBucketOwner"]} if doc.get("expectedBucketOwner") else {}),
        }
        return {
            "destinationId": dest_id,
            "destinationType": "S3",
            "status": doc["status"],
            "publishingFailureStartTimestamp": 0,
            "destinationProperties": props,
            "tags": doc.get("tags") or {},
        }

    def update(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        dest_id, doc = destination(p)
        if p.has("destinationProperties"):
            doc["arn"], doc["kmsKeyArn"], doc["expectedBucketOwner"] = properties(p)
            moved = publisher.outboxes.pop(dest_id, None)
            if moved is not None:  # the next sync opens the new location
                moved.close()
        changed()
        return {}

    def delete(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        dest_id, _ = destination(p)
        del res.destinations[dest_id]
        changed()
        return {}

    def listing(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        rows = [
            {"destinationId": d, "destinationType": "S3", "status": doc["status"]}
            for d, doc in sorted(res.destinations.items())
        ]
        chunk, token = api.page(rows, p, ctx)
        return {"destinations": chunk, **({"nextToken": token} if token else {})}

    base = "/detector/{DetectorId}/publishingDestination"
    return {
        "CreatePublishingDestination": ("POST", base, create),
        "ListPublishingDestinations": ("GET", base, listing),
        "DescribePublishingDestination": ("GET", f"{base}/{{DestinationId}}", describe),
        "UpdatePublishingDestination": ("POST", f"{base}/{{DestinationId}}", update),
        "DeletePublishingDestination": ("DELETE", f"{base}/{{DestinationId}}", delete),
    }
