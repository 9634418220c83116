"""The detector's API-managed resources: filters (suppression rules), threat-intel sets, trusted IP
sets. Persisted as one JSON document (atomic write) in the state directory, so a restart serves
what the last successful call returned; reloading the lists is all-or-nothing (a list that does
not parse leaves the active lists as they were, and the call fails naming the file and line).
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from wafproxy.control.persist import atomic_write
from wafproxy.sidecars.detector.intel import IntelError, IntelList, IntelLists, load_list
from wafproxy.sidecars.detector.policy import IntelPolicy
from wafproxy.sidecars.localbucket import BUCKETS_DIR, BadBucket, directory

log = logging.getLogger("wafproxy.detector")
MAX_FILTERS = 100
MAX_SETS = 12  # GuardDuty: 6 threat intel sets, 1 IP set per account; a little more room here
_FORMATS = {"TXT": "TXT", "STIX": "STIX", "OTX_CSV": "CSV"}
# ListRecord.kind → (URI segment, id member in the path, id member out, list member, operation noun).
# Entity sets (GuardDuty's newer form) also take domain names: a proxy sees addresses, so their
# domain lines are skipped and their addresses feed the same lists as the IP sets.
SET_KINDS = {
    "threat": ("threatintelset", "ThreatIntelSetId", "threatIntelSetId", "threatIntelSetIds",
               "ThreatIntelSet"),
    "trusted": ("ipset", "IpSetId", "ipSetId", "ipSetIds", "IPSet"),
    "threat_entity": ("threatentityset", "ThreatEntitySetId", "threatEntitySetId", "threatEntitySetIds",
                      "ThreatEntitySet"),
    "trusted_entity": ("trustedentityset", "TrustedEntitySetId", "trustedEntitySetId", "trustedEntitySetIds",
                       "TrustedEntitySet"),
}


@dataclass
class FilterRecord:
    name: str
    action: str
    rank: int
    criterion: dict[str, Any]
    description: str = ""
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class ListRecord:
    id: str
    kind: str  # "threat", "trusted" (IP sets), "threat_entity", "trusted_entity" (entity sets)
    name: str
    format: str
    location: str
    active: bool
    status: str = "INACTIVE"
    tags: dict[str, str] = field(default_factory=dict)
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass
class DetectorSettings:
    """What CreateDetector/UpdateDetector set and GetDetector returns (``api_detector``).
    ``exists`` is False between DeleteDetector and the next CreateDetector."""

    exists: bool = True
    enabled: bool = True
    frequency: str | None = None  # None: never set (GetDetector says FIFTEEN_MINUTES, AWS's default)
    # Feature name → {"Status", "UpdatedAt", "AdditionalConfiguration": {name: status}}; the legacy
    # DataSources view is derived from it (S3Logs is S3_DATA_EVENTS…), so the two never disagree.
    features: dict[str, Any] = field(default_factory=dict)
    created_at: float | None = None  # None: since this process started (never created by the API)
    updated_at: float | None = None


INTEL_DIR = "intel"  # beside detector.json: where an API caller's local Location may point


def local_path(location: str, roots: tuple[Path, ...] = ()) -> Path:
    """The file a set's ``Location`` names, confined to ``roots``.

    ``s3://bucket/key`` is the local bucket (``sidecars.localbucket``) as on AWS; ``/abs/path`` or
    ``file:///abs/path`` must resolve (symlinks followed) to a file under one of ``roots``: the
    state directory's ``intel/`` and ``buckets/``. An API caller naming ``/etc/shadow``,
    ``/proc/self/environ`` or ``../`` out of them is refused before anything is opened, so the
    admin API reads only what the operator put where lists go. No remote fetches either: the
    admin API must not become an SSRF primitive."""
    if "\0" in location:
        raise IntelError(location.replace("\0", "\\0"), 0, "Location has a NUL byte")
    if location.startswith("s3://"):
        bucket, _, key = location[len("s3://"):].partition("/")
        if not roots:
            raise IntelError(location, 0, "no state directory: no local bucket")
        try:
            path = directory(roots[-1].parent, bucket, key)
        except BadBucket as exc:
            raise IntelError(location, 0, str(exc)) from None
    elif location.startswith("file://"):
        parts = urlsplit(location)
        if parts.netloc not in ("", "localhost"):
            raise IntelError(location, 0, "file:// URLs must name a local file")
        path = Path(unquote(parts.path))
    elif "://" in location:
        raise IntelError(location, 0, "Location must be an s3:// URL, a local path or a file:// URL")
    else:
        path = Path(location)
    if "\0" in str(path):
        raise IntelError(location, 0, "Location has a NUL byte")
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        raise IntelError(location, 0, "Location cannot be resolved") from None
    if not any(real.is_relative_to(root.resolve()) and real != root.resolve() for root in roots):
        where = " or ".join(str(r) for r in roots) or "(no state directory: API sets cannot name files)"
        raise IntelError(location, 0, f"Location must name a file under {where}")
    return real


class DetectorResources:
    def __init__(self, lists: IntelLists, policy: IntelPolicy, path: Path | None = None) -> None:
        self.lists = lists
        self.policy = policy
        self.path = path
        # Where a set's Location may point (``local_path``): only under the state directory.
        self.location_roots: tuple[Path, ...] = (
            () if path is None else (path.parent / INTEL_DIR, path.parent / BUCKETS_DIR))
        self.filters: dict[str, FilterRecord] = {}
        self.sets: dict[str, ListRecord] = {}
        self.detector_tags: dict[str, str] = {}
        self.settings = DetectorSettings()
        # PublishingDestination id → its document (``api_destinations``); UpdateMalwareScanSettings.
        self.destinations: dict[str, dict[str, Any]] = {}
        self.malware_settings: dict[str, Any] = {}
        self.on_change: list[Callable[[], None]] = []
        if path is not None and path.exists():
            doc = json.loads(path.read_text(encoding="utf-8"))
            self.filters = {f["name"]: FilterRecord(**f) for f in doc.get("filters", [])}
            self.sets = {s["id"]: ListRecord(**s) for s in doc.get("sets", [])}
            self.detector_tags = dict(doc.get("detectorTags") or {})
            self.settings = DetectorSettings(**doc.get("detector", {}))
            self.destinations = dict(doc.get("destinations") or {})
            self.malware_settings = dict(doc.get("malwareScanSettings") or {})
        try:
            self.reload()
        except IntelError as exc:  # a list file gone bad while we were down: start, say so
            log.error("detector: threat lists not loaded: %s", exc)

    def save(self) -> None:
        if self.path is None:
            return
        doc = {"filters": [asdict(f) for f in self.filters.values()],
               "sets": [asdict(s) for s in self.sets.values()], "detectorTags": self.detector_tags,
               "detector": asdict(self.settings), "destinations": self.destinations,
               "malwareScanSettings": self.malware_settings}
        atomic_write(self.path, json.dumps(doc, indent=2).encode())

    def new_id(self) -> str:
        return secrets.token_hex(16)

    def reload(self, candidate: dict[str, ListRecord] | None = None) -> None:
        """Parse every active list (policy files + API sets); swap only when all parse."""
        sets = self.sets if candidate is None else candidate
        threat: list[IntelList] = [load_list(p) for p in self.policy.lists]
        trusted: list[IntelList] = [load_list(p) for p in self.policy.trusted]
        tor = load_list(self.policy.tor_exits, "TXT", "tor-exits") if self.policy.tor_exits else None
        for rec in sets.values():
            if not rec.active:
                rec.status = "INACTIVE"
                continue
            parsed = load_list(local_path(rec.location, self.location_roots),
                               _FORMATS.get(rec.format, rec.format), rec.name,
                               entities=rec.kind.endswith("_entity"))
            (trusted if rec.kind.startswith("trusted") else threat).append(parsed)
            rec.status = "ACTIVE"
        self.lists.replace(threat, trusted, tor)
        if candidate is not None:
            self.sets = candidate

    def changed(self) -> None:
        self.save()
        for callback in self.on_change:
            callback()
