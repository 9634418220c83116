"""The dashboard: live traffic by action, top blocked rules/IPs/countries, score, open findings."""

from __future__ import annotations

from typing import Any

from wafproxy.sidecars.hub import insights
from wafproxy.sidecars.hub.console.charts import bars, traffic_svg
from wafproxy.sidecars.hub.console.deps import ConsoleDeps
from wafproxy.sidecars.hub.console.html import esc, table, url
from wafproxy.sidecars.hub.controls import score
from wafproxy.sidecars.hub.traffic import ACTIONS

SERIES_SECONDS = 120
_SEVERITY_ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")


def traffic_json(deps: ConsoleDeps, now: float) -> dict[str, Any]:
    """What console.js polls (at most once a second)."""
    if deps.traffic is None:
        return {
            "start": int(now),
            "end": int(now),
            "actions": list(ACTIONS),
            "counts": {a: [] for a in ACTIONS},
            "top": {"rules": [], "ips": [], "countries": [], "total": 0},
        }
    return {**deps.traffic.series(now, SERIES_SECONDS), "top": deps.traffic.top(10)}


def _top_rows(rows: list[tuple[str, int]], kind: str) -> list[list[str]]:
    return [[f'<a href="{url("/console/samples", **{kind: k})}">{esc(k)}</a>', esc(n)] for k, n in rows]


def render(deps: ConsoleDeps, now: float) -> str:
    data = traffic_json(deps, now)
    top = data["top"]
    passed, rated = score(deps.controls.results) if deps.controls is not None else (0, 0)
    pct = f"{100 * passed // rated}%" if rated else "n/a"
    sev = insights.insight_results(deps.hub, insights.MANAGED[2].arn())["ResultValues"]
    by_sev = {v["GroupByAttributeValue"]: v["Count"] for v in sev}
    sev_rows = [(s, by_sev.get(s, 0)) for s in _SEVERITY_ORDER]
    return (
        '<div class="grid">'
        f'<section class="card wide" aria-labelledby="h-traffic"><h2 id="h-traffic">Traffic by action</h2>'
        f'<div id="live" data-src="/console/api/traffic">{traffic_svg(data)}</div></section>'
        f'<section class="card" aria-labelledby="h-score"><h2 id="h-score">Security score</h2>'
        f'<p class="score"><a href="/console/controls"><b>{esc(pct)}</b></a></p>'
        f"<p>{passed} of {rated} controls passed.</p></section>"
        f'<section class="card" aria-labelledby="h-sev"><h2 id="h-sev">Open findings</h2>'
        f'{bars(sev_rows, "sev")}<p><a href="/console/findings">All findings</a></p></section>'
        + _card(
            "h-rules",
            "Top blocking rules",
            "Rules that blocked the most requests",
            ["Rule", "Blocked"],
            _top_rows(top["rules"], "rule"),
            "top-rules",
        )
        + _card(
            "h-ips",
            "Top blocked IPs",
            "Client addresses blocked the most",
            ["IP", "Blocked"],
            _top_rows(top["ips"], "ip"),
            "top-ips",
        )
        + _card(
            "h-geo",
            "Blocked by country",
            "Countries (from geo labels)",
            ["Country", "Blocked"],
            [[esc(k), esc(n)] for k, n in top["countries"]],
            "top-countries",
        )
        + "</div>"
    )


def _card(
    hid: str, title: str, caption: str, headers: list[str], rows: list[list[str]], table_id: str
) -> str:
    return (
        f'<section class="card" aria-labelledby="{hid}"><h2 id="{hid}">{esc(title)}</h2>'
        f"{table(caption, headers, rows, table_id=table_id)}</section>"
    )
