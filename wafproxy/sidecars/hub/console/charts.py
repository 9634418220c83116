"""Inline SVG charts (no library): the traffic chart is drawn here for the first paint, and
redrawn by console.js from ``/console/api/traffic`` with the same geometry."""

from __future__ import annotations

from typing import Any

from wafproxy.sidecars.hub.console.html import esc

WIDTH, HEIGHT, PAD = 600, 180, 4
COLORS = {
    "ALLOW": "#2e7d32",
    "BLOCK": "#c62828",
    "COUNT": "#6a1b9a",
    "CHALLENGE": "#ef6c00",
    "RATE_LIMITED": "#1565c0",
}


def points(values: list[int], top: int) -> str:
    n = max(len(values) - 1, 1)
    scale = (HEIGHT - 2 * PAD) / max(top, 1)
    return " ".join(
        f"{PAD + i * (WIDTH - 2 * PAD) / n:.1f},{HEIGHT - PAD - v * scale:.1f}" for i, v in enumerate(values)
    )


def traffic_svg(series: dict[str, Any]) -> str:
    counts: dict[str, list[int]] = series["counts"]
    top = max((max(v) for v in counts.values() if v), default=1) or 1
    lines = "".join(
        f'<polyline data-action="{esc(a)}" fill="none" stroke="{COLORS[a]}" stroke-width="2" '
        f'points="{points(v, top)}"/>'
        for a, v in counts.items()
    )
    legend = "".join(
        f'<li><span class="swatch s-{esc(a.lower())}"></span>{esc(a.replace("_", " ").title())} '
        f'<b data-total="{esc(a)}">{sum(v)}</b></li>'
        for a, v in counts.items()
    )
    return (
        f'<figure class="chart"><svg id="traffic" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="traffic-title" preserveAspectRatio="none"><title id="traffic-title">Requests per '
        f"second by action, last {len(next(iter(counts.values())))} seconds</title>"
        f'<line x1="0" y1="{HEIGHT - PAD}" x2="{WIDTH}" y2="{HEIGHT - PAD}" stroke="#999"/>{lines}</svg>'
        f'<figcaption>Peak <b id="traffic-peak">{top}</b> req/s. Totals over the window:'
        f'<ul class="legend" aria-live="polite">{legend}</ul></figcaption></figure>'
    )


def bars(rows: list[tuple[str, int]], css: str = "") -> str:
    """Horizontal bars as an accessible list (the numbers are text; the bar is decoration)."""
    top = max((n for _, n in rows), default=1) or 1
    items = "".join(
        f'<li><span class="bar-label">{esc(k)}</span><svg class="bar" viewBox="0 0 100 8" '
        f'aria-hidden="true" preserveAspectRatio="none"><rect width="{100 * n / top:.1f}" '
        f'height="8" class="{esc(css)} r-{esc(k.lower())}"/></svg><b>{n}</b></li>'
        for k, n in rows
    )
    return f'<ul class="bars">{items}</ul>' if items else '<p class="empty">None yet.</p>'
