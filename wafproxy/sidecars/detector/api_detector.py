"""GuardDuty's detector lifecycle: CreateDetector, GetDetector, UpdateDetector, DeleteDetector,
ListDetectors, over the one detector a wafproxy runs.

An account has at most one detector per region, so CreateDetector while it exists is GuardDuty's
own answer to that case: BadRequestException, type InvalidInputException, "The request is rejected
because a detector already exists for the current account." DeleteDetector takes the detector's
findings, filters, sets and tags with it (as GuardDuty does); ListDetectors is then empty, every
call naming the id is refused as not owned, and CreateDetector brings it back (same id: the id is
derived from the account and region, ``findings.detector_id_for``). ``Enable=False`` (and a deleted
detector) stops observation: no findings, no remediation, until it is enabled again. With
``--workers`` each worker's detector follows the settings file within seconds
(``DetectorService.follow_settings``), and findings sent by other processes are not kept meanwhile.
FindingPublishingFrequency is how often a finding's updates go to the outputs (JSON lines, webhook,
the hub), as in GuardDuty; new findings go at once.

DataSources and Features are one setting seen two ways (S3Logs is S3_DATA_EVENTS, Kubernetes audit
logs EKS_AUDIT_LOGS, EBS volume scans EBS_MALWARE_PROTECTION); GuardDuty refuses both in one call.
They are kept and returned as given: like an AWS account with no S3 buckets or EKS clusters, a
proxy has nothing for them to watch, and GuardDuty accepts them all the same. Everything is kept
in the detector's resources document (atomic write), so a restart answers what the last call set.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.detector.api_tags import checked
from wafproxy.sidecars.detector.criteria import bad_request
from wafproxy.sidecars.detector.detector import PUBLISH_UPDATES_EVERY, Detector
from wafproxy.sidecars.detector.findings import iso
from wafproxy.sidecars.detector.intel import IntelError
from wafproxy.sidecars.detector.resources import DetectorSettings

if TYPE_CHECKING:
    from wafproxy.sidecars.detector.api import GuardDutyApi

log = logging.getLogger("wafproxy.detector")
# FindingPublishingFrequency: how often a finding's updates are published (new findings go at
# once). Never set, wafproxy publishes updates every ``detector.PUBLISH_UPDATES_EVERY`` seconds.
FREQUENCIES = {"FIFTEEN_MINUTES": 900.0, "ONE_HOUR": 3600.0, "SIX_HOURS": 21600.0}
FEATURES = ("S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS",
            "LAMBDA_NETWORK_LOGS", "EKS_RUNTIME_MONITORING", "RUNTIME_MONITORING", "AI_PROTECTION",
            "AI_ANALYST")
ADDITIONAL = ("EKS_ADDON_MANAGEMENT", "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT", "RDS_DATA_RISK")
_STATUSES = ("ENABLED", "DISABLED")
_FOUNDATIONAL = ("CLOUD_TRAIL", "DNS_LOGS", "FLOW_LOGS")  # listed by GetDetector, not settable
# DataSources member path (as sent) → the feature it is.
_SOURCE_FEATURES = (
    (("S3Logs", "Enable"), "S3_DATA_EVENTS"),
    (("Kubernetes", "AuditLogs", "Enable"), "EKS_AUDIT_LOGS"),
    (("MalwareProtection", "ScanEc2InstanceWithFindings", "EbsVolumes"), "EBS_MALWARE_PROTECTION"),
)


def _wire_path(path: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p[:1].lower() + p[1:] for p in path)


def _features_from_sources(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise bad_request("dataSources must be an object")
    out: dict[str, str] = {}
    for path, feature in _SOURCE_FEATURES:
        node: Any = raw
        for part in _wire_path(path):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            continue
        if not isinstance(node, bool):
            raise bad_request(f"dataSources.{'.'.join(_wire_path(path))} must be a boolean")
        out[feature] = "ENABLED" if node else "DISABLED"
    return out


def _features_given(raw: Any) -> dict[str, tuple[str, dict[str, str]]]:
    """``features`` (wire form) → name → (status, additional configuration name → status)."""
    if not isinstance(raw, list) or len(raw) > len(FEATURES):
        raise bad_request(f"features must be a list of at most {len(FEATURES)} features")
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for item in raw:
        name = item.get("name") if isinstance(item, dict) else None
        status = item.get("status") if isinstance(item, dict) else None
        if name not in FEATURES or status not in _STATUSES:
            raise bad_request(f"features: name must be one of {', '.join(FEATURES)}, "
                              "status ENABLED or DISABLED")
        extra: dict[str, str] = {}
        for add in item.get("additionalConfiguration") or []:
            a_name = add.get("name") if isinstance(add, dict) else None
            a_status = add.get("status") if isinstance(add, dict) else None
            if a_name not in ADDITIONAL or a_status not in _STATUSES:
                raise bad_request("features.additionalConfiguration: name must be one of "
                                  f"{', '.join(ADDITIONAL)}, status ENABLED or DISABLED")
            extra[a_name] = a_status
        out[name] = (status, extra)
    return out


def apply_changes(settings: DetectorSettings, p: Params, now: float) -> None:
    """``enable``, ``findingPublishingFrequency``, ``dataSources`` / ``features`` of a Create or
    Update request, validated in full before anything changes."""
    if p.has("dataSources") and p.has("features"):
        raise bad_request("The request is rejected because both dataSources and features are provided.")
    frequency = p.str("findingPublishingFrequency", required=False, max_len=32)
    if frequency is not None and frequency not in FREQUENCIES:
        raise bad_request(f"findingPublishingFrequency must be one of {', '.join(FREQUENCIES)}")
    enable = p.bool("enable", default=settings.enabled) if p.has("enable") else None
    changed: dict[str, tuple[str, dict[str, str]]] = {}
    if p.has("dataSources"):
        from_sources = _features_from_sources(p.raw("dataSources"))
        changed = {name: (status, {}) for name, status in from_sources.items()}
    if p.has("features"):
        changed = _features_given(p.raw("features"))
    if enable is not None:
        settings.enabled = enable
    if frequency is not None:
        settings.frequency = frequency
    for name, (status, extra) in changed.items():
        old = settings.features.get(name) or {}
        settings.features[name] = {"Status": status, "UpdatedAt": now,
                                   "AdditionalConfiguration": {**(old.get("AdditionalConfiguration") or {}),
                                                               **extra}}
    settings.updated_at = now


def apply_settings(detector: Detector, settings: DetectorSettings) -> None:
    """What the detector obeys of its settings: observe or not, and how often to publish updates."""
    detector.enabled = settings.exists and settings.enabled
    every = FREQUENCIES.get(settings.frequency or "")
    detector.publish_updates_every = every if every is not None else PUBLISH_UPDATES_EVERY


def _data_sources(features: Mapping[str, Any]) -> dict[str, Any]:
    def status(feature: str) -> dict[str, str]:
        return {"status": str((features.get(feature) or {}).get("Status", "DISABLED"))}
    off = {"status": "DISABLED"}  # wafproxy reads none of these logs: it watches its own traffic
    return {"cloudTrail": off, "dnsLogs": off, "flowLogs": off, "s3Logs": status("S3_DATA_EVENTS"),
            "kubernetes": {"auditLogs": status("EKS_AUDIT_LOGS")},
            "malwareProtection": {
                "scanEc2InstanceWithFindings": {"ebsVolumes": status("EBS_MALWARE_PROTECTION")}}}


def _features(features: Mapping[str, Any], since: float) -> list[dict[str, Any]]:
    """Every feature, as GuardDuty lists them: the ones set as set, the others DISABLED since the
    detector was created (CLOUD_TRAIL, DNS_LOGS, FLOW_LOGS too: wafproxy reads none of those)."""
    def extra(f: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [{"name": a, "status": s, "updatedAt": f["UpdatedAt"]}
                for a, s in sorted((f.get("AdditionalConfiguration") or {}).items())]
    unset = {"Status": "DISABLED", "UpdatedAt": since}
    listed = ((n, features.get(n) or unset) for n in (*_FOUNDATIONAL, *FEATURES))
    return [{"name": name, "status": f["Status"], "updatedAt": f["UpdatedAt"],
             "additionalConfiguration": extra(f)} for name, f in listed]


Table = dict[str, tuple[str, str, Callable[..., Any]]]


def routes(api: GuardDutyApi, clock: Callable[[], float] = time.time) -> Table:
    res = api.resources

    def applied() -> None:
        apply_settings(api.detector, res.settings)
        res.changed()

    def create(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        if not p.has("enable"):
            raise bad_request("The request is rejected because enable is required.")
        if res.settings.exists:
            taken = bad_request("The request is rejected because a detector already exists for the current "
                                "account.")
            taken.extra["type"] = "InvalidInputException"  # what GuardDuty sends in this case
            raise taken
        tags = checked(p.str_map("tags", max_items=200))
        now = clock()
        fresh = DetectorSettings(created_at=now)
        apply_changes(fresh, p, now)
        res.settings = fresh
        res.detector_tags = tags
        applied()
        return {"detectorId": api.detector.info.detector_id}

    def get(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        info, s = api.detector.info, res.settings
        created = s.created_at if s.created_at is not None else api.started
        out: dict[str, Any] = {
            "createdAt": iso(created),
            "updatedAt": iso(s.updated_at if s.updated_at is not None else created),
            "findingPublishingFrequency": s.frequency or "FIFTEEN_MINUTES",
            "serviceRole": f"arn:aws:iam::{info.account}:role/aws-service-role/guardduty.amazonaws.com/"
                           "AWSServiceRoleForAmazonGuardDuty",
            "status": "ENABLED" if s.enabled else "DISABLED", "tags": dict(res.detector_tags),
            "dataSources": _data_sources(s.features)}
        out["features"] = _features(s.features, created)
        return out

    def update(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        apply_changes(res.settings, p, clock())
        applied()
        return {}

    def delete(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        try:
            res.reload({})  # the detector's own threat/trusted sets go; the policy file's lists stay
        except IntelError as exc:  # a policy list gone bad: the lists in force stay, the sets still go
            log.error("detector: threat lists not reloaded on DeleteDetector: %s", exc)
            res.sets = {}
        res.filters.clear()
        res.destinations.clear()
        res.malware_settings.clear()
        res.detector_tags = {}
        res.settings = DetectorSettings(exists=False, enabled=False)
        api.detector.store.clear()
        applied()
        return {}

    def listing(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        ids = [api.detector.info.detector_id] if res.settings.exists else []
        chunk, token = api.page(ids, p, ctx)
        return {"detectorIds": chunk, **({"nextToken": token} if token else {})}

    return {
        "CreateDetector": ("POST", "/detector", create),
        "ListDetectors": ("GET", "/detector", listing),
        "GetDetector": ("GET", "/detector/{DetectorId}", get),
        "UpdateDetector": ("POST", "/detector/{DetectorId}", update),
        "DeleteDetector": ("DELETE", "/detector/{DetectorId}", delete),
    }
