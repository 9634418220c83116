"""A small OSV database built from OSV's schema (https://ossf.github.io/osv-schema/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORDS: list[dict[str, Any]] = [
    {  # ECOSYSTEM range with a fix, CVSS v3.1 vector (9.8)
        "schema_version": "1.6.0",
        "id": "PYSEC-2099-1",
        "modified": "2026-12-01T00:00:00Z",
        "aliases": ["CVE-2099-0001"],
        "summary": "Remote code execution in demo-lib",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "Demo_Lib"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0.1"}]}],
            }
        ],
        "references": [{"type": "ADVISORY", "url": "https://example.org/PYSEC-2099-1"}],
    },
    {  # SEMVER range closed by last_affected, severity only in database_specific
        "id": "GHSA-aaaa-bbbb-cccc",
        "modified": "2026-11-01T00:00:00Z",
        "summary": "XSS in other-lib",
        "database_specific": {"severity": "MODERATE"},
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "other-lib"},
                "ranges": [
                    {"type": "SEMVER", "events": [{"introduced": "1.2.0"}, {"last_affected": "1.4.0"}]}
                ],
            }
        ],
    },
    {  # explicit versions list, and a non-PyPI package that must be ignored
        "id": "OSV-2099-3",
        "modified": "2026-10-01T00:00:00Z",
        "affected": [
            {"package": {"ecosystem": "PyPI", "name": "listed"}, "versions": ["0.9"]},
            {"package": {"ecosystem": "npm", "name": "demo-lib"}, "versions": ["1.0.0"]},
        ],
    },
]


def build(root: Path, *, malformed: bool = False) -> Path:
    db = root / "osv"
    (db / "PyPI").mkdir(parents=True, exist_ok=True)
    for record in RECORDS:
        (db / "PyPI" / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")
    if malformed:
        (db / "PyPI" / "broken.json").write_text('{"id": "X", "affected": [', encoding="utf-8")
        (db / "PyPI" / "noid.json").write_text('{"affected": []}', encoding="utf-8")
    return db
