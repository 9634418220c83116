"""Observations -> Inspector v2 finding dicts (``Finding`` in botocore's inspector2 model).

The dict is exactly Inspector's shape (the findings hub converts it to ASFF, issue 13): the fix
wafproxy can make travels beside it (``Assessed.fix``), never inside it. The ARN is a digest of
the check id and the resource, so the same problem seen again is the same finding.

``inspectorScore``: the base score (the CVSS v3 base score of a CVE; for our own checks a nominal
score for the severity), plus each ``Adjustment`` (Inspector adjusts CVSS by the environment the
same way: "AV: reachable from loopback only"), clamped to 0..10; the severity follows the adjusted
score when an adjustment applies, as Inspector's does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from wafproxy.sidecars.assessor.model import NOMINAL_SCORE, SEVERITIES, Fix, Observation, severity_of_score

_REQUIRED = (
    "findingArn",
    "awsAccountId",
    "type",
    "description",
    "remediation",
    "severity",
    "firstObservedAt",
    "lastObservedAt",
    "status",
    "resources",
)
_TYPES = ("NETWORK_REACHABILITY", "PACKAGE_VULNERABILITY", "CONFIGURATION")


@dataclass(frozen=True, slots=True)
class Assessed:
    finding: dict[str, Any]
    fix: Fix | None
    fix_id: str | None
    check_id: str
    coverage_key: str

    def to_json(self) -> dict[str, Any]:
        return {
            "finding": self.finding,
            "fix": self.fix.to_json() if self.fix else None,
            "fixId": self.fix_id,
            "checkId": self.check_id,
            "coverageKey": self.coverage_key,
        }

    @classmethod
    def from_json(cls, raw: Any) -> Assessed:
        """What ``ImportFindings`` receives; a finding lacking Inspector's required members is refused."""
        finding = dict(raw["finding"])
        for member in _REQUIRED:
            if member not in finding:
                raise ValueError(f"finding lacks {member}")
        if finding["severity"] not in SEVERITIES or finding["type"] not in _TYPES:
            raise ValueError("bad severity or type")
        fix = Fix.from_json(raw["fix"]) if raw.get("fix") else None
        return cls(finding, fix, raw.get("fixId"), str(raw["checkId"]), str(raw["coverageKey"]))


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def finding_id(o: Observation) -> str:
    return hashlib.sha256(f"{o.spec.id}\x00{o.resource_id}".encode()).hexdigest()[:32]


def to_finding(o: Observation, *, account: str, region: str, now: float) -> Assessed:
    fid = finding_id(o)
    arn = f"arn:aws:inspector2:{region}:{account}:finding/{fid}"
    base = o.base_score if o.base_score is not None else NOMINAL_SCORE[o.effective_severity]
    score = round(min(max(base + sum(a.delta for a in o.adjustments), 0.0), 10.0), 1)
    severity = severity_of_score(score) if o.adjustments else o.effective_severity
    fix_id = f"{o.spec.id}-{fid[:6]}" if o.fix is not None else None
    text = o.spec.remediation
    if o.fix is not None:
        verb = "apply it with" if o.fix.appliable else "see it with"
        text = f"{text} wafproxy fix: {o.fix.summary} ({verb} `wafproxy inspect --apply {fix_id}`)."
    adjusted: dict[str, Any] = {
        "scoreSource": "OSV" if o.base_score is not None else "wafproxy",
        "version": "3.1",
        "score": score,
        "scoringVector": o.scoring_vector or f"wafproxy:{o.spec.id}/severity:{o.effective_severity}",
        "adjustments": [{"metric": a.metric, "reason": a.reason} for a in o.adjustments],
    }
    if o.base_score is not None:
        adjusted["cvssSource"] = "OSV"
    stamp = iso(now)
    finding: dict[str, Any] = {
        "findingArn": arn,
        "awsAccountId": account,
        "type": o.spec.type,
        "title": (o.title or o.spec.title)[:1024],
        "description": f"{o.description or o.spec.description} Evidence: {o.evidence}"[:1024],
        "remediation": {"recommendation": {"text": text[:1024]}},
        "severity": severity,
        "firstObservedAt": stamp,
        "lastObservedAt": stamp,
        "updatedAt": stamp,
        "status": "ACTIVE",
        "resources": [{"type": o.resource_type, "id": o.resource_id, "partition": "aws", "region": region}],
        "inspectorScore": score,
        "inspectorScoreDetails": {"adjustedCvss": adjusted},
        "fixAvailable": "YES" if o.fix is not None else "NO",
    }
    finding.update(o.details)
    if o.spec.type == "NETWORK_REACHABILITY" and "networkReachabilityDetails" not in o.details:
        finding["networkReachabilityDetails"] = _reachability(o.resource_id)
    return Assessed(finding, o.fix, fix_id, o.spec.id, o.coverage_key)


def _reachability(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return {
        "openPortRange": {"begin": port, "end": port},
        "protocol": "TCP",
        "networkPath": {"steps": [{"componentId": parts.netloc or url, "componentType": "wafproxy"}]},
    }


# A finding that is acceptable for a while and not for ever: after ``seconds`` since it was first
# observed it takes ``severity`` (a managed group in Count is normal while tuning false positives,
# an incident when forgotten there).
ESCALATIONS: dict[str, tuple[float, str, float]] = {
    "WAFP-CFG-MANAGED-COUNT": (7 * 86400.0, "HIGH", 7.5),
}


def escalate(finding: dict[str, Any], check_id: str, first: float, now: float) -> dict[str, Any]:
    rule = ESCALATIONS.get(check_id)
    if rule is None or now - first < rule[0]:
        return finding
    seconds, severity, score = rule
    adjusted = dict(finding["inspectorScoreDetails"]["adjustedCvss"])
    reason = (
        f"still observed {int((now - first) // 86400)} days after first seen (limit {int(seconds // 86400)})"
    )
    adjusted["adjustments"] = [*adjusted.get("adjustments", []), {"metric": "duration", "reason": reason}]
    adjusted["score"] = max(score, adjusted["score"])
    return {
        **finding,
        "severity": severity,
        "inspectorScore": adjusted["score"],
        "inspectorScoreDetails": {"adjustedCvss": adjusted},
    }
