"""The assessor's values: what a check is, what it observed, and the change that would fix it.

A check family (``checks_*.py``) returns ``Observation``s; ``findings.py`` turns them into
Inspector v2 finding dicts. Kept apart so the checks never build AWS shapes by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
SEVERITIES: tuple[Severity, ...] = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
FindingType = Literal["NETWORK_REACHABILITY", "PACKAGE_VULNERABILITY", "CONFIGURATION"]
FixKind = Literal["webacl", "logging", "kms", "cli_flag", "header", "app", "package", "osv"]

# Inspector's bands (CVSS v3 qualitative scale), used both ways: severity -> a nominal score for
# checks without a CVSS vector, and score -> severity after an adjustment.
NOMINAL_SCORE: Mapping[str, float] = {
    "INFORMATIONAL": 0.0,
    "LOW": 3.0,
    "MEDIUM": 5.5,
    "HIGH": 7.5,
    "CRITICAL": 9.5,
}


def severity_rank(severity: str) -> int:
    """0 (INFORMATIONAL) .. 4 (CRITICAL); unknown names sort lowest."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1  # type: ignore[arg-type]


def severity_of_score(score: float) -> Severity:
    if score >= 9.0:
        return "CRITICAL"
    if score >= 7.0:
        return "HIGH"
    if score >= 4.0:
        return "MEDIUM"
    if score > 0.0:
        return "LOW"
    return "INFORMATIONAL"


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One registered check: its stable id never changes meaning (filters and CI pipelines name it)."""

    id: str
    family: str
    type: FindingType
    severity: Severity
    title: str
    description: str
    remediation: str


@dataclass(frozen=True, slots=True)
class Fix:
    """The concrete change. ``appliable``: ``wafproxy inspect --apply`` can make it through the
    control plane (web ACL, logging, KMS); otherwise it is shown for a human (a header, a flag)."""

    kind: FixKind
    summary: str
    change: Mapping[str, Any]
    appliable: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "summary": self.summary,
            "change": dict(self.change),
            "appliable": self.appliable,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Fix:
        if raw["kind"] not in ("webacl", "logging", "kms", "cli_flag", "header", "app", "package", "osv"):
            raise ValueError(f"unknown fix kind {raw['kind']!r}")
        return cls(raw["kind"], str(raw["summary"]), dict(raw["change"]), bool(raw.get("appliable")))


@dataclass(frozen=True, slots=True)
class Adjustment:
    """Why the Inspector score differs from the base score (Inspector's ``CvssScoreAdjustment``)."""

    metric: str
    reason: str
    delta: float


@dataclass(frozen=True, slots=True)
class Observation:
    """What one check saw on one resource. ``resource_id`` is a URL, ``config:<acl>`` or ``python:<env>``."""

    spec: CheckSpec
    resource_id: str
    resource_type: str
    evidence: str
    fix: Fix | None = None
    severity: Severity | None = None  # overrides spec.severity (e.g. a CVE's own)
    title: str | None = None
    description: str | None = None
    base_score: float | None = None
    scoring_vector: str | None = None
    adjustments: tuple[Adjustment, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)  # packageVulnerabilityDetails / network…
    scope: str | None = None  # what was assessed to see this (default: the resource); see coverage_key

    @property
    def coverage_key(self) -> str:
        return f"{self.spec.family}|{self.scope or self.resource_id}"

    @property
    def effective_severity(self) -> Severity:
        return self.severity or self.spec.severity


@dataclass(frozen=True, slots=True)
class CheckError:
    """A check that could not run (target down, TLS failure, bad OSV record): reported, never silent."""

    family: str
    resource_id: str
    message: str
