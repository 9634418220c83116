"""Dependencies against a fixture OSV database; CVSS v3 base scores."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.sidecars.assessor.osvfixture import build
from wafproxy.sidecars.assessor import osv
from wafproxy.sidecars.assessor.context import AssessContext
from wafproxy.sidecars.assessor.cvss import base_score
from wafproxy.sidecars.assessor.probe import Prober
from wafproxy.sidecars.assessor.runner import Report, assess


@pytest.mark.parametrize(
    ("vector", "score"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
        ("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
    ],
)
def test_cvss_base_scores(vector: str, score: float) -> None:
    assert base_score(vector) == score


def test_cvss_bad_vector() -> None:
    with pytest.raises(ValueError):
        base_score("CVSS:3.1/AV:N/AC:L")


@pytest.mark.parametrize(
    ("name", "version", "hit"),
    [
        ("demo-lib", "1.9", True),
        ("demo-lib", "2.0.0rc1", True),
        ("demo-lib", "2.0.1", False),
        ("other-lib", "1.2.0", True),
        ("other-lib", "1.4.0", True),
        ("other-lib", "1.4.1", False),
        ("other-lib", "1.1", False),
        ("listed", "0.9", True),
        ("listed", "0.9.1", False),
    ],
)
def test_version_ranges(tmp_path: Path, name: str, version: str, hit: bool) -> None:
    db = osv.load(build(tmp_path))
    assert any(osv.affected_fix(v, version)[0] for v in db.for_package(name)) is hit


def run(tmp_path: Path, requirements: str, malformed: bool = False) -> Report:
    req = tmp_path / "requirements.txt"
    req.write_text(requirements, encoding="utf-8")

    async def go() -> Report:
        prober = Prober()
        try:
            ctx = AssessContext(
                [],
                prober,
                osv_db=build(tmp_path, malformed=malformed),
                requirements=req,
                now=datetime(2026, 12, 7, tzinfo=UTC).timestamp(),
            )
            return await assess(ctx)
        finally:
            await prober.close()

    return asyncio.run(go())


def test_vulnerable_packages_become_inspector_findings(tmp_path: Path) -> None:
    report = run(tmp_path, "demo-lib==1.5  # pinned\nother-lib==1.3.0\nsafe==1.0\nlisted==0.9\n")
    vulns = {
        a.finding["packageVulnerabilityDetails"]["vulnerabilityId"]: a
        for a in report.assessed
        if a.check_id == "WAFP-DEP-VULN"
    }
    assert set(vulns) == {"PYSEC-2099-1", "GHSA-aaaa-bbbb-cccc", "OSV-2099-3"}
    rce = vulns["PYSEC-2099-1"].finding
    assert (
        rce["type"] == "PACKAGE_VULNERABILITY"
        and rce["severity"] == "CRITICAL"
        and rce["inspectorScore"] == 9.8
    )
    pkg = rce["packageVulnerabilityDetails"]["vulnerablePackages"][0]
    assert pkg == {"name": "demo-lib", "version": "1.5", "packageManager": "PIP", "fixedInVersion": "2.0.1"}
    assert vulns["PYSEC-2099-1"].fix is not None
    assert vulns["GHSA-aaaa-bbbb-cccc"].finding["severity"] == "MEDIUM"  # MODERATE, no vector
    assert report.extra["osv"]["ageDays"] == 6.0 and report.extra["osv"]["records"] == 3


def test_malformed_records_are_reported_and_the_rest_still_used(tmp_path: Path) -> None:
    report = run(tmp_path, "demo-lib==1.0\n", malformed=True)
    assert any(a.check_id == "WAFP-DEP-VULN" for a in report.assessed)
    assert any(a.check_id == "WAFP-DEP-BADRECORD" for a in report.assessed)
    messages = [e.message for e in report.errors if e.family == "deps"]
    assert any("broken.json" in m for m in messages) and any("noid.json" in m for m in messages)


def test_no_database_is_said_not_passed() -> None:
    async def go() -> Report:
        prober = Prober()
        try:
            return await assess(AssessContext([], prober))
        finally:
            await prober.close()

    report = asyncio.run(go())
    assert any(e.family == "deps" and "not assessed" in e.message for e in report.errors)
