"""``wafproxy inspect``'s text output: findings by severity, each with its fix; then what could not
be assessed. JSON output is ``Report.to_json``."""

from __future__ import annotations

from typing import Any

from wafproxy.sidecars.assessor.model import SEVERITIES
from wafproxy.sidecars.assessor.runner import Report


def render(report: Report, statuses: dict[str, str] | None = None) -> str:
    lines: list[str] = []
    fixes = {a.finding["findingArn"]: a for a in report.assessed}
    for severity in reversed(SEVERITIES):
        group = [f for f in report.findings if f["severity"] == severity]
        if not group:
            continue
        lines.append(f"{severity} ({len(group)})")
        for f in group:
            a = fixes[f["findingArn"]]
            status = (statuses or {}).get(f["findingArn"], f["status"])
            mark = "" if status == "ACTIVE" else f" [{status}]"
            lines.append(f"  [{a.check_id}] {f['title']}{mark}  score {f['inspectorScore']}")
            lines.append(f"      resource: {f['resources'][0]['id']}")
            lines.append(f"      {f['description']}")
            lines.append(f"      remediation: {f['remediation']['recommendation']['text']}")
            for adj in f["inspectorScoreDetails"]["adjustedCvss"].get("adjustments", []):
                lines.append(f"      score adjusted ({adj['metric']}): {adj['reason']}")
            if a.fix is not None:
                how = "apply: " if a.fix.appliable else "by hand: "
                lines.append(f"      fix {a.fix_id} ({how}{a.fix.kind}): {_short(a.fix.change)}")
    if not report.findings:
        lines.append("No findings.")
    grades = report.extra.get("observatory") or {}
    for url, g in grades.items():
        lines.append(f"Observatory score {url}: {g['score']} ({g['grade']})")
    osv = report.extra.get("osv")
    if osv:
        lines.append(
            f"OSV database {osv['path']}: {osv['records']} records, newest modified "
            f"{osv['newestModified']} ({osv['ageDays']} days old)"
        )
    for e in report.errors:
        lines.append(f"NOT ASSESSED [{e.family}] {e.resource_id}: {e.message}")
    lines.append(f"{len(report.findings)} finding(s), {report.probes} probe(s), {report.duration:.2f} s")
    return "\n".join(lines)


def _short(change: Any) -> str:
    import json

    text = json.dumps(change, separators=(",", ":"))
    return text if len(text) <= 240 else text[:237] + "..."
