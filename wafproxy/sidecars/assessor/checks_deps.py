"""Dependencies: the installed Python packages (or a requirements/lock file) against an OSV
database directory (``--osv-db``). Without one, the family says it did not run (never a pass)."""

from __future__ import annotations

import asyncio
import importlib.metadata
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from wafproxy.sidecars.assessor import osv
from wafproxy.sidecars.assessor.context import AssessContext
from wafproxy.sidecars.assessor.cvss import base_score
from wafproxy.sidecars.assessor.model import (
    CheckError,
    CheckSpec,
    Fix,
    Observation,
    Severity,
    severity_of_score,
)
from wafproxy.sidecars.assessor.registry import FamilyResult, register

FAMILY = "deps"
STALE_DAYS = 7
VULN = CheckSpec(
    "WAFP-DEP-VULN",
    FAMILY,
    "PACKAGE_VULNERABILITY",
    "MEDIUM",
    "Vulnerable Python package",
    "An installed package version is affected by a published vulnerability.",
    "Upgrade the package to a fixed version.",
)
STALE = CheckSpec(
    "WAFP-DEP-DBAGE",
    FAMILY,
    "CONFIGURATION",
    "LOW",
    "Vulnerability database is stale",
    f"The OSV database is older than {STALE_DAYS} days: newer vulnerabilities are not known.",
    "Refresh the --osv-db directory (e.g. unzip osv.dev's PyPI all.zip into it).",
)
BADREC = CheckSpec(
    "WAFP-DEP-BADRECORD",
    FAMILY,
    "CONFIGURATION",
    "INFORMATIONAL",
    "Vulnerability database has unreadable records",
    "Some OSV records could not be read; vulnerabilities they describe are not assessed.",
    "Replace the unreadable files from a fresh export.",
)
SPECS = (VULN, STALE, BADREC)
_REFRESH = Fix(
    "osv",
    "refresh the OSV directory from osv.dev's export",
    {
        "download": "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip",
        "then": "unzip into the --osv-db directory (offline hosts: copy it there)",
    },
)
_VENDOR = {"CRITICAL": "CRITICAL", "HIGH": "HIGH", "MODERATE": "MEDIUM", "MEDIUM": "MEDIUM", "LOW": "LOW"}


def installed() -> list[tuple[str, str]]:
    return sorted(
        {(d.metadata["Name"], d.version) for d in importlib.metadata.distributions() if d.metadata["Name"]}
    )


def from_file(path: Path) -> list[tuple[str, str]]:
    """``name==version`` lines of a requirements file, or ``[[package]]`` name/version of a TOML
    lock file (poetry.lock, pylock.toml, uv.lock)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".lock", ".toml"):
        data = tomllib.loads(text)
        return [
            (str(p["name"]), str(p["version"]))
            for p in data.get("package", []) + data.get("packages", [])
            if isinstance(p, dict) and "name" in p and "version" in p
        ]
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        name, sep, version = line.partition("==")
        if sep and name.strip():
            out.append((name.split("[", 1)[0].strip(), version.strip()))
    return out


def _severity(vuln: osv.Vulnerability) -> tuple[Severity, float | None, str | None]:
    if vuln.cvss_vector:
        try:
            score = base_score(vuln.cvss_vector)
            return severity_of_score(score), score, vuln.cvss_vector
        except ValueError:
            pass
    sev = _VENDOR.get((vuln.vendor_severity or "").upper())
    return (sev or "MEDIUM"), None, None  # type: ignore[return-value]


def observe(db: osv.OsvDatabase, packages: list[tuple[str, str]], resource: str) -> list[Observation]:
    out = []
    for name, version in packages:
        for vuln in db.for_package(name):
            hit, fixed = osv.affected_fix(vuln, version)
            if not hit:
                continue
            severity, score, vector = _severity(vuln)
            details = {
                "vulnerabilityId": vuln.id,
                "source": "OSV",
                "sourceUrl": f"https://osv.dev/vulnerability/{vuln.id}",
                "relatedVulnerabilities": list(vuln.aliases),
                "referenceUrls": list(vuln.references[:10]),
                "vulnerablePackages": [
                    {
                        "name": name,
                        "version": version,
                        "packageManager": "PIP",
                        **({"fixedInVersion": fixed} if fixed else {}),
                    }
                ],
                **({"vendorSeverity": vuln.vendor_severity} if vuln.vendor_severity else {}),
                **(
                    {
                        "cvss": [
                            {"baseScore": score, "scoringVector": vector, "source": "OSV", "version": "3.1"}
                        ]
                    }
                    if score is not None
                    else {}
                ),
            }
            fix = (
                Fix("package", f"upgrade {name} to {fixed}", {"pip": f"pip install '{name}>={fixed}'"})
                if fixed
                else None
            )
            out.append(
                Observation(
                    VULN,
                    f"{resource}#{name}",
                    "PYTHON_PACKAGE",
                    f"{name} {version}: {vuln.id}",
                    fix=fix,
                    severity=severity,
                    base_score=score,
                    scoring_vector=vector,
                    title=f"{vuln.id} - {name} {version}",
                    description=vuln.summary or vuln.details[:500] or VULN.description,
                    details={"packageVulnerabilityDetails": details},
                    scope=resource,
                )
            )
    return out


@register(FAMILY, SPECS)
async def run(ctx: AssessContext) -> FamilyResult:
    result = FamilyResult()
    if ctx.osv_db is None:
        result.errors.append(CheckError(FAMILY, "-", "not assessed: no --osv-db directory given"))
        return result
    try:
        db = await asyncio.to_thread(osv.load, ctx.osv_db)
        source = ctx.requirements
        # On threads: reading the installed distributions' metadata (every dist-info of the
        # environment) and matching them take tens of milliseconds of the proxy's event loop.
        packages = await (asyncio.to_thread(from_file, source) if source else asyncio.to_thread(installed))
    except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
        result.errors.append(CheckError(FAMILY, str(ctx.osv_db), f"{type(exc).__name__}: {exc}"))
        return result
    resource = f"python:{source}" if source else f"python:{sys.prefix}"
    now = datetime.fromtimestamp(ctx.now, UTC) if ctx.now else datetime.now(UTC)
    age = db.age_days(now)
    ctx.extra["osv"] = {
        "path": str(db.path),
        "records": db.records,
        "newestModified": db.newest.isoformat() if db.newest else None,
        "ageDays": round(age, 1) if age is not None else None,
        "errors": db.errors[:50],
    }
    for err in db.errors:
        result.errors.append(CheckError(FAMILY, str(db.path), f"malformed OSV record {err}"))
    if db.errors:
        result.observations.append(
            Observation(
                BADREC,
                f"osv:{db.path}",
                "OSV_DATABASE",
                f"{len(db.errors)} unreadable: {db.errors[0]}",
                fix=_REFRESH,
            )
        )
    if age is None or age > STALE_DAYS:
        text = "no modified dates" if age is None else f"newest record modified {age:.0f} days ago"
        result.observations.append(Observation(STALE, f"osv:{db.path}", "OSV_DATABASE", text, fix=_REFRESH))
    result.observations.extend(await asyncio.to_thread(observe, db, packages, resource))
    result.covered.add(f"{FAMILY}|{resource}")
    result.covered.add(f"{FAMILY}|osv:{db.path}")
    return result
