"""One assessment: run every family, turn observations into Inspector findings, summarise.

``Report.to_json()`` is ``wafproxy inspect --json``'s output: ``{"findings": [...], "score": …,
"assessed_at": …}`` plus the fixes (by fix id), the per-target Observatory grades, the OSV
database's age and every check that could not run (``errors``: never a silent pass).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from wafproxy.sidecars.assessor.context import AssessContext
from wafproxy.sidecars.assessor.findings import Assessed, iso, to_finding
from wafproxy.sidecars.assessor.model import CheckError, severity_rank
from wafproxy.sidecars.assessor.registry import run_all
from wafproxy.sidecars.assessor.store import Coverage

_SCAN_TYPE = {
    "http": "NETWORK",
    "tls": "NETWORK",
    "exposure": "NETWORK",
    "deps": "PACKAGE",
    "config": "CONFIGURATION",
}


@dataclass(slots=True)
class Report:
    assessed: list[Assessed]
    errors: list[CheckError]
    covered: set[str]
    assessed_at: float
    duration: float
    probes: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def findings(self) -> list[dict[str, Any]]:
        return [a.finding for a in self.assessed]

    @property
    def score(self) -> int | None:
        """The lowest Observatory score among the HTTP targets (None: no target answered)."""
        grades = self.extra.get("observatory") or {}
        return min((g["score"] for g in grades.values()), default=None)

    def coverage(self) -> list[Coverage]:
        """What was scanned (ListCoverage): covered keys succeeded; a failed family on a resource
        it did not cover is INACTIVE with INTERNAL_ERROR."""

        def row(family: str, resource: str, ok: bool) -> Coverage:
            return Coverage(
                resource,
                "WAFPROXY_" + family.upper(),
                _SCAN_TYPE.get(family, "NETWORK"),
                "ACTIVE" if ok else "INACTIVE",
                "SUCCESSFUL" if ok else "INTERNAL_ERROR",
                self.assessed_at,
            )

        out = [row(f, r, True) for f, _, r in (key.partition("|") for key in sorted(self.covered))]
        failed = sorted({(e.family, e.resource_id) for e in self.errors})
        out += [row(f, r, False) for f, r in failed if r != "-" and f"{f}|{r}" not in self.covered]
        return out

    def to_json(self, findings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        grades = self.extra.get("observatory") or {}
        return {
            "findings": findings if findings is not None else self.findings,
            "score": self.score,
            "assessed_at": iso(self.assessed_at),
            "grades": {url: {"score": g["score"], "grade": g["grade"]} for url, g in grades.items()},
            "fixes": {
                a.fix_id: {"findingArn": a.finding["findingArn"], **a.fix.to_json()}
                for a in self.assessed
                if a.fix is not None and a.fix_id
            },
            "osvDatabase": self.extra.get("osv"),
            "errors": [
                {"family": e.family, "resource": e.resource_id, "message": e.message} for e in self.errors
            ],
            "durationSeconds": round(self.duration, 3),
            "probes": self.probes,
        }


async def assess(ctx: AssessContext, *, account: str = "000000000000", region: str = "us-east-1") -> Report:
    started = time.perf_counter()
    ctx.now = ctx.now or time.time()
    result = await run_all(ctx)
    assessed = [to_finding(o, account=account, region=region, now=ctx.now) for o in result.observations]
    unique = {a.finding["findingArn"]: a for a in assessed}  # one finding per check and resource
    ordered = sorted(
        unique.values(),
        key=lambda a: (
            -severity_rank(a.finding["severity"]),
            -a.finding["inspectorScore"],
            a.finding["title"],
        ),
    )
    return Report(
        ordered,
        result.errors,
        result.covered,
        ctx.now,
        time.perf_counter() - started,
        ctx.prober.count,
        ctx.extra,
    )
