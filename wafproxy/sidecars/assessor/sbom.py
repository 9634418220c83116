"""Software bills of materials of the assessed Python environment: CycloneDX 1.4 JSON and SPDX
2.3 JSON (Inspector2's two SBOM export formats), built from the dependency check's facts — the
installed distributions (name, version) — and the vulnerabilities the ACTIVE package findings name.

Components are identified by their package URL (``pkg:pypi/<normalized name>@<version>``, PEP 503
normalization), which both formats carry, so a consumer (Dependency-Track, grype) matches them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from packaging.utils import canonicalize_name

RESOURCE_TYPE = "PYTHON_ENVIRONMENT"
TOOL = "wafproxy-assessor"


def purl(name: str, version: str) -> str:
    return f"pkg:pypi/{canonicalize_name(name)}@{version}"


def _stamp(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def vulnerable(findings: Iterable[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(vulnerability id, severity, package name, version) of each package finding."""
    out = []
    for f in findings:
        details = f.get("packageVulnerabilityDetails")
        if not isinstance(details, dict):
            continue
        for pkg in details.get("vulnerablePackages") or []:
            out.append(
                (
                    str(details.get("vulnerabilityId", "")),
                    str(f.get("severity", "UNTRIAGED")),
                    str(pkg.get("name", "")),
                    str(pkg.get("version", "")),
                )
            )
    return out


def cyclonedx(
    resource: str, packages: list[tuple[str, str]], findings: list[dict[str, Any]], now: float
) -> dict[str, Any]:
    components = [
        {"type": "library", "bom-ref": purl(n, v), "name": n, "version": v, "purl": purl(n, v)}
        for n, v in sorted(packages)
    ]
    vulns: dict[str, dict[str, Any]] = {}
    for vuln_id, severity, name, version in vulnerable(findings):
        entry = vulns.setdefault(
            vuln_id,
            {
                "id": vuln_id,
                "source": {"name": "OSV", "url": f"https://osv.dev/vulnerability/{vuln_id}"},
                "ratings": [{"severity": severity.lower()}],
                "affects": [],
            },
        )
        entry["affects"].append({"ref": purl(name, version)})
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.4",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": _stamp(now),
            "tools": [{"vendor": "wafproxy", "name": TOOL}],
            "component": {"type": "application", "bom-ref": resource, "name": resource},
        },
        "components": components,
        "vulnerabilities": list(vulns.values()),
    }


def spdx(resource: str, packages: list[tuple[str, str]], now: float) -> dict[str, Any]:
    root = "SPDXRef-Resource"
    pkgs: list[dict[str, Any]] = [
        {
            "name": resource,
            "SPDXID": root,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "primaryPackagePurpose": "APPLICATION",
        }
    ]
    relationships = [
        {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": root}
    ]
    for i, (name, version) in enumerate(sorted(packages), 1):
        ident = f"SPDXRef-Package-{i}"
        pkgs.append(
            {
                "name": name,
                "SPDXID": ident,
                "versionInfo": version,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": False,
                "primaryPackagePurpose": "LIBRARY",
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": purl(name, version),
                    }
                ],
            }
        )
        relationships.append(
            {"spdxElementId": root, "relationshipType": "DEPENDS_ON", "relatedSpdxElement": ident}
        )
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"{TOOL} SBOM of {resource}",
        "documentNamespace": f"https://wafproxy.invalid/spdx/{uuid.uuid4()}",
        "creationInfo": {"created": _stamp(now), "creators": [f"Tool: {TOOL}"]},
        "packages": pkgs,
        "relationships": relationships,
    }


def document(
    fmt: str, resource: str, packages: list[tuple[str, str]], findings: list[dict[str, Any]], now: float
) -> dict[str, Any]:
    """``fmt``: CYCLONEDX_1_4 or SPDX_2_3 (SPDX 2.3 has no vulnerabilities section)."""
    if fmt == "CYCLONEDX_1_4":
        return cyclonedx(resource, packages, findings, now)
    return spdx(resource, packages, now)
