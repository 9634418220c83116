"""An OSV-format vulnerability database in a directory (one JSON record per file, as
``osv.dev``'s exports are), read offline, and version matching for the PyPI ecosystem.

Schema: https://ossf.github.io/osv-schema/ — ``affected[].package.{ecosystem,name}``,
``affected[].ranges[]`` of type ``ECOSYSTEM`` or ``SEMVER`` with ``events`` (``introduced``,
``fixed``, ``last_affected``, ``limit``), ``affected[].versions[]``. PyPI versions compare by
PEP 440 (``packaging``); a record that does not parse is kept out and reported, never skipped
silently, and never stops the others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

MAX_RECORDS = 200_000
MAX_RECORD_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Vulnerability:
    id: str
    summary: str
    details: str
    aliases: tuple[str, ...]
    cvss_vector: str | None
    vendor_severity: str | None
    modified: str | None
    references: tuple[str, ...]
    affected: tuple[Any, ...]  # the record's affected[] entries for one package


@dataclass(slots=True)
class OsvDatabase:
    path: Path
    by_package: dict[str, list[Vulnerability]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    records: int = 0
    newest: datetime | None = None

    def age_days(self, now: datetime) -> float | None:
        return (now - self.newest).total_seconds() / 86400 if self.newest else None

    def for_package(self, name: str) -> list[Vulnerability]:
        return self.by_package.get(canonicalize_name(name), [])


def _timestamp(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _record(raw: Any, db: OsvDatabase, source: str) -> None:
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("id"), str)
        or not isinstance(raw.get("affected", []), list)
    ):
        raise ValueError("not an OSV record (id and affected[] required)")
    vector = next(
        (
            s.get("score")
            for s in raw.get("severity") or []
            if isinstance(s, dict) and str(s.get("type", "")).startswith("CVSS_V3")
        ),
        None,
    )
    vendor = (
        (raw.get("database_specific") or {}).get("severity")
        if isinstance(raw.get("database_specific"), dict)
        else None
    )
    modified = _timestamp(raw.get("modified"))
    if modified and (db.newest is None or modified > db.newest):
        db.newest = modified
    refs = tuple(
        str(r.get("url")) for r in raw.get("references") or [] if isinstance(r, dict) and r.get("url")
    )
    for affected in raw.get("affected") or []:
        package = affected.get("package") if isinstance(affected, dict) else None
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            raise ValueError("affected[].package.name missing")
        if str(package.get("ecosystem", "")).split(":")[0] != "PyPI":
            continue
        vuln = Vulnerability(
            raw["id"],
            str(raw.get("summary") or ""),
            str(raw.get("details") or "")[:2000],
            tuple(str(a) for a in raw.get("aliases") or []),
            vector if isinstance(vector, str) else None,
            str(vendor) if vendor else None,
            raw.get("modified"),
            refs,
            (affected,),
        )
        db.by_package.setdefault(canonicalize_name(package["name"]), []).append(vuln)
    db.records += 1


def load(path: Path) -> OsvDatabase:
    """Read every ``*.json`` under ``path``. Raises ``FileNotFoundError`` if it is not a directory."""
    if not path.is_dir():
        raise FileNotFoundError(f"--osv-db {path}: not a directory")
    db = OsvDatabase(path)
    for file in sorted(path.rglob("*.json")):
        if db.records >= MAX_RECORDS:
            db.errors.append(f"more than {MAX_RECORDS} records: the rest were not read")
            break
        rel = str(file.relative_to(path))
        try:
            if file.stat().st_size > MAX_RECORD_BYTES:
                raise ValueError(f"larger than {MAX_RECORD_BYTES} bytes")
            _record(json.loads(file.read_text(encoding="utf-8")), db, rel)
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            db.errors.append(f"{rel}: {exc}"[:300])
    return db


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def affected_fix(vuln: Vulnerability, version: str) -> tuple[bool, str | None]:
    """(is ``version`` affected, the first fixed version of the range that matched)."""
    v = _version(version)
    for affected in vuln.affected:
        if version in (affected.get("versions") or []):
            return True, _first_fixed(affected)
        if v is None:
            continue
        for rng in affected.get("ranges") or []:
            if rng.get("type") not in ("ECOSYSTEM", "SEMVER"):
                continue
            hit, fixed = _in_range(rng.get("events") or [], v)
            if hit:
                return True, fixed
    return False, None


def _first_fixed(affected: Any) -> str | None:
    for rng in affected.get("ranges") or []:
        for event in rng.get("events") or []:
            if "fixed" in event:
                return str(event["fixed"])
    return None


def _in_range(events: list[Any], v: Version) -> tuple[bool, str | None]:
    """OSV's evaluation: each ``introduced`` opens an interval closed by the next ``fixed``
    (exclusive), ``last_affected`` (inclusive) or ``limit`` (exclusive)."""
    start: Version | None = None
    for event in events:
        if "introduced" in event:
            intro = str(event["introduced"])
            start = Version("0") if intro == "0" else _version(intro)
            continue
        if start is None:
            continue
        for key in ("fixed", "last_affected", "limit"):
            if key in event:
                end = _version(str(event[key]))
                inside = end is not None and start <= v and (v <= end if key == "last_affected" else v < end)
                if inside:
                    return True, str(event[key]) if key == "fixed" else None
                start = None
                break
    return (start is not None and start <= v), None
