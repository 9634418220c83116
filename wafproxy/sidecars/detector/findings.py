"""Findings in GuardDuty's shape, one per (type, actor, resource), updated in place as they recur.

``Finding.to_dict()`` is GuardDuty's ``Finding`` as boto3 presents it (PascalCase: ``Id``, ``Arn``,
``Type``, ``Severity``, ``Service.Count``…) — what ``ports.FindingSink`` receives and the findings
hub converts to ASFF; ``to_wire()`` is the same document with the API's JSON member names
(camelCase), what the GuardDuty API and EventBridge's ``detail`` carry. Ids are derived from the
detector id, type, actor and resource, so the in-band detector and a log replay name one finding
alike. The store is an LRU bounded by ``max_findings`` (least recently updated evicted first).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wafproxy.sidecars.detector.observation import Hit

TITLES = {
    "Recon:Proxy/PathProbe": "Sensitive paths probed from {ip}.",
    "Recon:Proxy/PathProbe.Distributed": "Sensitive path {resource} probed from many addresses.",
    "PenTest:Proxy/ScannerUserAgent": "A scanning tool is running against the web ACL from {ip}.",
    "InitialAccess:Proxy/WebAttackProbe": "Repeated web attacks (managed rule matches) from {ip}.",
    "CredentialAccess:Proxy/LoginBruteForce": "Login brute force against {resource} from {ip}.",
    "CredentialAccess:Proxy/CredentialStuffing": "Credential stuffing against {resource} from {ip}.",
    "UnauthorizedAccess:Proxy/MaliciousIPCaller.Custom": "Requests from {ip}, on a custom threat list.",
    "UnauthorizedAccess:Proxy/TorIPCaller": "Requests from the Tor exit node {ip}.",
    "Impact:Proxy/HTTPFlood": "HTTP request flood from {ip}.",
    "Behavior:Proxy/TrafficVolumeUnusual": "Unusual request volume on {resource}.",
}


def iso(ts: float) -> str:
    """GuardDuty's timestamp strings: ``2024-05-01T12:00:00.123Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


@dataclass(frozen=True, slots=True)
class DetectorInfo:
    detector_id: str
    account: str = "000000000000"
    region: str = "us-east-1"
    web_acl: str = "web-acl"


def detector_id_for(account: str, region: str) -> str:
    """One detector per wafproxy deployment: a stable 32-hex id (GuardDuty's format)."""
    return hashlib.sha256(f"wafproxy-detector:{account}:{region}".encode()).hexdigest()[:32]


@dataclass(slots=True)
class Finding:
    id: str
    type: str
    severity: float
    actor: str
    ip: str
    resource: str
    first_seen: float
    last_seen: float
    created_at: float
    updated_at: float
    count: int = 1
    archived: bool = False
    blocked: bool = False
    evidence: dict[str, object] = field(default_factory=dict)
    threat_list: tuple[str, str] | None = None
    published_at: float = 0.0
    feedback: str | None = None  # UpdateFindingsFeedback: USEFUL or NOT_USEFUL (Service.UserFeedback)

    def to_dict(self, info: DetectorInfo) -> dict[str, Any]:
        ip_key = "IpAddressV6" if ":" in self.ip else "IpAddressV4"
        title = TITLES.get(self.type, "{type} from {ip}.").format(ip=self.ip, resource=self.resource,
                                                                   type=self.type)
        sample = self.evidence.get("sample") is True  # CreateSampleFindings: marked as GuardDuty does
        if sample:
            title = "[SAMPLE] " + title
        service: dict[str, Any] = {
            "Action": {
                "ActionType": "NETWORK_CONNECTION",
                "NetworkConnectionAction": {
                    "Blocked": self.blocked,
                    "ConnectionDirection": "INBOUND",
                    "Protocol": "TCP",
                    "RemoteIpDetails": {ip_key: self.ip},
                },
            },
            "Archived": self.archived,
            "Count": self.count,
            "DetectorId": info.detector_id,
            "EventFirstSeen": iso(self.first_seen),
            "EventLastSeen": iso(self.last_seen),
            "ResourceRole": "TARGET",
            "ServiceName": "guardduty",
            "AdditionalInfo": {
                "Type": "default",
                "Value": json.dumps({"actor": self.actor, "resource": self.resource, "webAcl": info.web_acl,
                                     "evidence": self.evidence, **({"sample": True} if sample else {})},
                                    sort_keys=True, default=str),
            },
        }
        if self.feedback is not None:
            service["UserFeedback"] = self.feedback
        if self.threat_list is not None:
            service["Evidence"] = {"ThreatIntelligenceDetails": [{
                "ThreatListName": self.threat_list[0], "ThreatNames": [self.type.rsplit("/", 1)[-1]],
                "ThreatFileSha256": self.threat_list[1]}]}
        return {
            "AccountId": info.account,
            "Arn": f"arn:aws:guardduty:{info.region}:{info.account}:detector/{info.detector_id}"
                   f"/finding/{self.id}",
            "Confidence": 8.0,
            "CreatedAt": iso(self.created_at),
            "Description": f"{title} {self.count} matching request(s) between {iso(self.first_seen)} and "
                           f"{iso(self.last_seen)}; resource {self.resource}.",
            "Id": self.id,
            "Partition": "aws",
            "Region": info.region,
            "Resource": {"ResourceType": "Proxy"},
            "SchemaVersion": "2.0",
            "Service": service,
            "Severity": self.severity,
            "Title": title,
            "Type": self.type,
            "UpdatedAt": iso(self.updated_at),
        }

    def to_wire(self, info: DetectorInfo) -> dict[str, Any]:
        return wire_names(self.to_dict(info))


def wire_names(value: Any) -> Any:
    """PascalCase members → the API's JSON names (GuardDuty's locationNames are lowerCamelCase for
    every member a finding of ours carries)."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: wire_names(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire_names(v) for v in value]
    return value


def finding_id(detector_id: str, kind: str, actor: str, resource: str) -> str:
    return hashlib.sha256(f"{detector_id}\0{kind}\0{actor}\0{resource}".encode()).hexdigest()[:32]


class FindingStore:
    """The detector's findings: ``record(hit)`` creates or updates one; bounded LRU."""

    def __init__(self, info: DetectorInfo, max_findings: int = 10000,
                 auto_archive: Callable[[Finding], bool] | None = None) -> None:
        self.info = info
        self.max_findings = max_findings
        self._by_id: OrderedDict[str, Finding] = OrderedDict()
        self.auto_archive = auto_archive  # suppression rules (filters with action ARCHIVE)
        self.evicted = 0
        self._ids: dict[tuple[str, str, str], str] = {}  # (type, actor, resource) → finding id

    def record(self, hit: Hit) -> tuple[Finding, bool]:
        """(the finding, True when it is new)."""
        key = (hit.type, hit.actor, hit.resource)
        fid = self._ids.get(key)
        if fid is None:  # a hash per hit is most of a flood's cost: memoized, bounded
            fid = finding_id(self.info.detector_id, hit.type, hit.actor, hit.resource)
            if len(self._ids) >= max(self.max_findings, 1):
                self._ids.clear()
            self._ids[key] = fid
        found = self._by_id.get(fid)
        if found is not None:
            self._by_id.move_to_end(fid)
            found.count += 1
            found.last_seen = max(found.last_seen, hit.ts)
            found.updated_at = max(found.updated_at, hit.ts)
            found.severity = max(found.severity, hit.severity)
            found.ip = hit.ip
            found.evidence = hit.evidence
            return found, False
        if len(self._by_id) >= self.max_findings:
            self._by_id.popitem(last=False)
            self.evicted += 1
        found = Finding(fid, hit.type, hit.severity, hit.actor, hit.ip, hit.resource, hit.ts, hit.ts, hit.ts,
                        hit.ts, evidence=hit.evidence, threat_list=hit.threat_list)
        if self.auto_archive is not None and self.auto_archive(found):
            found.archived = True
        self._by_id[fid] = found
        return found, True

    def merge(self, doc: dict[str, Any]) -> Finding | None:
        """A finding another process raised (``to_dict`` shape, through Redis): created here, or
        updated to the larger count and later times. None when the document is not one of ours."""
        from wafproxy.sidecars.detector.criteria import to_number

        try:
            service = doc["Service"]
            extra = json.loads(service["AdditionalInfo"]["Value"])
            remote = service["Action"]["NetworkConnectionAction"]["RemoteIpDetails"]
            first = (to_number(service["EventFirstSeen"]) or 0.0) / 1000
            last = (to_number(service["EventLastSeen"]) or 0.0) / 1000
            ip = str(remote.get("IpAddressV4") or remote.get("IpAddressV6"))
            incoming = Finding(str(doc["Id"]), str(doc["Type"]), float(doc["Severity"]), str(extra["actor"]),
                               ip, str(extra["resource"]),
                               first, last, first, last, int(service["Count"]),
                               blocked=bool(service["Action"]["NetworkConnectionAction"]["Blocked"]),
                               evidence=dict(extra.get("evidence") or {}))
        except (KeyError, TypeError, ValueError):
            return None
        found = self._by_id.get(incoming.id)
        if found is None:
            if len(self._by_id) >= self.max_findings:
                self._by_id.popitem(last=False)
                self.evicted += 1
            if self.auto_archive is not None and self.auto_archive(incoming):
                incoming.archived = True
            self._by_id[incoming.id] = incoming
            return incoming
        self._by_id.move_to_end(found.id)
        found.count = max(found.count, incoming.count)
        found.last_seen = max(found.last_seen, incoming.last_seen)
        found.updated_at = max(found.updated_at, incoming.updated_at)
        found.blocked = found.blocked or incoming.blocked
        return found

    def save(self, path: Path) -> None:
        """Every finding as ``to_dict`` documents, written atomically (a restart lists them again)."""
        from wafproxy.control.persist import atomic_write

        docs = [f.to_dict(self.info) | {"wafproxyArchived": f.archived} for f in self._by_id.values()]
        atomic_write(path, json.dumps(docs, separators=(",", ":"), default=str).encode())

    def load(self, path: Path) -> int:
        """Findings saved by ``save`` (missing file: none); returns how many were restored."""
        try:
            docs = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return 0
        restored = 0
        for doc in docs if isinstance(docs, list) else []:
            found = self.merge(doc) if isinstance(doc, dict) else None
            if found is not None:
                found.archived = bool(doc.get("wafproxyArchived", found.archived))
                feedback = (doc.get("Service") or {}).get("UserFeedback")
                found.feedback = feedback if feedback in ("USEFUL", "NOT_USEFUL") else found.feedback
                restored += 1
        return restored

    def get(self, fid: str) -> Finding | None:
        return self._by_id.get(fid)

    def all(self) -> list[Finding]:
        return list(self._by_id.values())

    def clear(self) -> None:
        """DeleteDetector: a deleted detector's findings go with it, as in GuardDuty."""
        self._by_id.clear()
        self._ids.clear()

    def __len__(self) -> int:
        return len(self._by_id)
