"""The AWS Security Finding Format (ASFF, ``SchemaVersion`` 2018-10-08): validate one finding.

``normalize(raw)`` returns a clean copy (timestamps in one canonical UTC form so they sort as
strings, both ``Severity.Label`` and ``Severity.Normalized`` filled as Security Hub fills them,
``Workflow.Status`` NEW and ``RecordState`` ACTIVE by default) or raises ``InvalidFinding`` naming
the field — ``BatchImportFindings`` turns that into one ``FailedFindings`` entry and imports the rest.
Limits are AWS's (securityhub-findings-format.html): 240 KB per finding, 32 resources, Title 256,
Description 1024, Note 512 characters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

SCHEMA_VERSION = "2018-10-08"
LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
RECORD_STATES = ("ACTIVE", "ARCHIVED")
COMPLIANCE_STATUSES = ("PASSED", "WARNING", "FAILED", "NOT_AVAILABLE")
VERIFICATION_STATES = ("UNKNOWN", "TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE")
MAX_FINDING_BYTES = 240 * 1024
MAX_RESOURCES = 32
MAX_TYPES = 50
MAX_FIELDS = 50  # ProductFields / UserDefinedFields entries
_REQUIRED = (
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "Types",
    "CreatedAt",
    "UpdatedAt",
    "Severity",
    "Title",
    "Description",
    "Resources",
)


class InvalidFinding(ValueError):
    """One finding is not valid ASFF; ``field`` names the attribute (AWS ``ImportFindingsError``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def label_of(normalized: int) -> str:
    """Security Hub's mapping of ``Severity.Normalized`` (0-100) to a label."""
    if normalized <= 0:
        return "INFORMATIONAL"
    if normalized < 40:
        return "LOW"
    if normalized < 70:
        return "MEDIUM"
    if normalized < 90:
        return "HIGH"
    return "CRITICAL"


NORMALIZED_OF = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}


def iso(epoch: float) -> str:
    """Canonical ASFF timestamp: UTC, milliseconds, ``Z`` — fixed width, so strings sort by time."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(value: object, field: str) -> str:
    """RFC 3339 in (``Z`` or an offset, with or without fractions) → canonical ``iso``."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        raise InvalidFinding(field, "must be an RFC 3339 timestamp string")
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidFinding(field, f"not an RFC 3339 timestamp: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise InvalidFinding(field, "timestamp needs a time zone (Z or an offset)")
    return iso(parsed.timestamp())


def _text(raw: Mapping[str, Any], field: str, max_len: int, *, required: bool = True) -> str | None:
    value = raw.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidFinding(field, "must be a non-empty string")
    if len(value) > max_len:
        raise InvalidFinding(field, f"longer than {max_len} characters")
    return value


def _str_map(raw: Mapping[str, Any], field: str) -> dict[str, str] | None:
    value = raw.get(field)
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) > MAX_FIELDS:
        raise InvalidFinding(field, f"must be a map of at most {MAX_FIELDS} strings")
    for k, v in value.items():
        if not isinstance(k, str) or not isinstance(v, str) or not 1 <= len(k) <= 128 or len(v) > 2048:
            raise InvalidFinding(field, "keys are 1-128 characters, values strings of at most 2048")
    return dict(value)


def severity(raw: object, field: str = "Severity") -> dict[str, Any]:
    """Label and/or Normalized in, both out (a finding must carry at least one)."""
    if not isinstance(raw, dict):
        raise InvalidFinding(field, "must be an object with Label or Normalized")
    label, normalized = raw.get("Label"), raw.get("Normalized")
    if label is None and normalized is None:
        raise InvalidFinding(field, "needs Label or Normalized")
    if label is not None and label not in LABELS:
        raise InvalidFinding(f"{field}.Label", f"must be one of {', '.join(LABELS)}")
    if normalized is not None and (
        isinstance(normalized, bool) or not isinstance(normalized, int) or not 0 <= normalized <= 100
    ):
        raise InvalidFinding(f"{field}.Normalized", "must be an integer 0-100")
    out = {k: v for k, v in raw.items() if k in ("Original", "Product")}
    out["Label"] = label if label is not None else label_of(int(normalized or 0))
    out["Normalized"] = int(normalized) if normalized is not None else NORMALIZED_OF[str(label)]
    return out


def _resources(raw: object) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_RESOURCES:
        raise InvalidFinding("Resources", f"must be a list of 1-{MAX_RESOURCES} resources")
    for i, r in enumerate(raw):
        if not isinstance(r, dict):
            raise InvalidFinding(f"Resources[{i}]", "must be an object")
        for member in ("Type", "Id"):
            if not isinstance(r.get(member), str) or not r[member] or len(r[member]) > 512:
                raise InvalidFinding(f"Resources[{i}].{member}", "must be a string of 1-512 characters")
    return [dict(r) for r in raw]


def normalize(raw: object) -> dict[str, Any]:
    """A validated, canonical copy of one ASFF finding (see the module docstring)."""
    if not isinstance(raw, dict):
        raise InvalidFinding("Finding", "must be a JSON object")
    size = len(json.dumps(raw, separators=(",", ":"), default=str))
    if size > MAX_FINDING_BYTES:
        raise InvalidFinding("Finding", f"larger than {MAX_FINDING_BYTES // 1024} KB")
    missing = [f for f in _REQUIRED if raw.get(f) is None]
    if missing:
        raise InvalidFinding(missing[0], "is required")
    if raw["SchemaVersion"] != SCHEMA_VERSION:
        raise InvalidFinding("SchemaVersion", f"must be {SCHEMA_VERSION}")
    out = dict(raw)
    _text(raw, "Id", 512)
    _text(raw, "ProductArn", 512)
    _text(raw, "GeneratorId", 512)
    _text(raw, "AwsAccountId", 64)
    _text(raw, "Title", 256)
    _text(raw, "Description", 1024)
    _text(raw, "ProductName", 128, required=False)
    types = raw["Types"]
    if (
        not isinstance(types, list)
        or not 1 <= len(types) <= MAX_TYPES
        or not all(isinstance(t, str) and 0 < len(t) <= 256 for t in types)
    ):
        raise InvalidFinding(
            "Types", f"must be a list of 1-{MAX_TYPES} namespace/category/classifier strings"
        )
    for field in ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt"):
        if raw.get(field) is not None:
            out[field] = parse_time(raw[field], field)
    out["Severity"] = severity(raw["Severity"])
    out["Resources"] = _resources(raw["Resources"])
    out.setdefault("ProductName", raw["ProductArn"].rsplit("/", 1)[-1])
    for field in ("ProductFields", "UserDefinedFields"):
        if raw.get(field) is not None:
            out[field] = _str_map(raw, field)
    out["Workflow"] = {"Status": _enum(raw.get("Workflow"), "Workflow", "Status", WORKFLOW_STATUSES, "NEW")}
    state = raw.get("RecordState", "ACTIVE")
    if state not in RECORD_STATES:
        raise InvalidFinding("RecordState", f"must be one of {', '.join(RECORD_STATES)}")
    out["RecordState"] = state
    if raw.get("Compliance") is not None:
        status = _enum(raw["Compliance"], "Compliance", "Status", COMPLIANCE_STATUSES, None)
        out["Compliance"] = {**raw["Compliance"], "Status": status}
    if raw.get("Note") is not None:
        out["Note"] = note(raw["Note"])
    if raw.get("Remediation") is not None and not isinstance(raw["Remediation"], dict):
        raise InvalidFinding("Remediation", "must be an object")
    related = raw.get("RelatedFindings")
    if related is not None and (
        not isinstance(related, list)
        or len(related) > 10
        or not all(
            isinstance(r, dict) and isinstance(r.get("Id"), str) and isinstance(r.get("ProductArn"), str)
            for r in related
        )
    ):
        raise InvalidFinding("RelatedFindings", "must be at most 10 {ProductArn, Id} objects")
    return out


def _enum(raw: object, field: str, member: str, allowed: tuple[str, ...], default: str | None) -> str | None:
    if raw is None:
        return default
    if not isinstance(raw, dict):
        raise InvalidFinding(field, "must be an object")
    value = raw.get(member, default)
    if value not in allowed:
        raise InvalidFinding(f"{field}.{member}", f"must be one of {', '.join(allowed)}")
    return str(value)


def note(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise InvalidFinding("Note", "must be an object with Text and UpdatedBy")
    text = _text(raw, "Text", 512)
    by = _text(raw, "UpdatedBy", 512)
    at = parse_time(raw["UpdatedAt"], "Note.UpdatedAt") if raw.get("UpdatedAt") else None
    return {"Text": str(text), "UpdatedBy": str(by), **({"UpdatedAt": at} if at else {})}
