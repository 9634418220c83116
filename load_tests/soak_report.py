"""The soak's report: a console table and the markdown of ``load_tests/RESULTS-soak.md``.

Kept apart from ``soak.py`` (which drives the traffic) so the driver stays about driving; both
read the same ``Summary``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RSS_GROWTH_TARGET_PCT = 5.0  # issue 17: RSS growth from minute 5 to minute 30


@dataclass
class Minute:
    benign: list[float] = field(default_factory=list)  # latencies, seconds
    attack: list[float] = field(default_factory=list)
    failed_benign: int = 0
    attacks_passed: int = 0
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass
class Sample:
    """One look at the proxy process and the machine, every ``--rss-every`` seconds."""

    t: float  # seconds since the soak (after calibration) started
    rss_mb: float
    cpu_s: float  # the proxy's user + system CPU seconds so far
    load1: float  # the machine's 1-minute load average


@dataclass
class Calibration:
    seconds: float
    concurrency: int
    max_rps: float  # completions per second after the warm-up, closed loop
    p50_ms: float
    p99_ms: float
    failed_benign: int
    attacks_passed: int
    proxy_cpu_pct: int  # 100 = one core
    generator_cpu_pct: int  # this process: the clients and the upstream app


@dataclass
class Summary:
    minutes: float
    rate: float
    load: float | None  # share of the measured maximum driven (None when --rate was given)
    calibration: Calibration | None
    sent: int
    failed_benign: int  # in the soak and in the calibration
    attacks_passed: int
    reloads: int
    redis_restarts: int
    samples: list[Sample]
    per_minute: list[dict[str, Any]]
    rss_growth_pct: float | None  # median RSS of minute 5 to median RSS of the last minute
    cpus: int
    proxy_warnings: list[str]
    proxy_output_counts: dict[str, int]  # every line of the proxy's output by shape (digits as #)

    @property
    def rss_mb(self) -> list[tuple[float, float]]:
        return [(s.t, s.rss_mb) for s in self.samples]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def median(values: list[float]) -> float | None:
    return percentile(values, 0.5) if values else None


def minute_rows(
minutes: dict[int, Minute], samples: list[Sample]
) -> tuple[list[dict[str, Any]], float | None]:
    """Rows per minute, and the RSS growth from minute 5 (or the first) to the last minute:
    medians of each minute's samples, so the ACL a reload builds beside the old one (a peak of a
    few seconds each minute) does not decide it."""
    rows = []
    for minute in sorted(minutes):
        m = minutes[minute]
        both = m.benign + m.attack
        inside = [s for s in samples if minute * 60 <= s.t < (minute + 1) * 60]
        rss = [s.rss_mb for s in inside]
        span = inside[-1].t - inside[0].t if len(inside) > 1 else 0
        cpu = (inside[-1].cpu_s - inside[0].cpu_s) / span if span else None
        rows.append(
            {
                "minute": minute + 1,
                "requests": len(both),
                "p50_ms": round(percentile(both, 0.5) * 1000, 1),
                "p99_ms": round(percentile(both, 0.99) * 1000, 1),
                "failed_benign": m.failed_benign,
                "attacks_passed": m.attacks_passed,
                "rss_mb": median(rss),
                "rss_max_mb": max(rss) if rss else None,
                "proxy_cpu_pct": None if cpu is None else round(cpu * 100),
                "load1": median([s.load1 for s in inside]),
                "errors": dict(m.errors),
            }
        )
    with_rss = [r for r in rows if r["rss_mb"]]
    base = next((r for r in with_rss if r["minute"] == 5), with_rss[0] if with_rss else None)
    if base is None or with_rss[-1] is base:
        return rows, None
    return rows, round((with_rss[-1]["rss_mb"] - base["rss_mb"]) / base["rss_mb"] * 100, 2)



def headline(summary: Summary) -> list[str]:
    cal = summary.calibration
    lines = []
    if cal is not None:
        lines.append(
            f"calibration: {cal.seconds:g} s closed loop, {cal.concurrency} clients: "
            f"{cal.max_rps} req/s sustained (p50 {cal.p50_ms} ms, p99 {cal.p99_ms} ms, "
            f"{cal.failed_benign} failed benign, {cal.attacks_passed} attacks let through; CPU: proxy "
            f"{cal.proxy_cpu_pct}%, generator + upstream {cal.generator_cpu_pct}% of a core)"
        )
    share = f" ({summary.load:.0%} of the measured maximum)" if summary.load is not None else ""
    lines.append(
        f"soak: {summary.minutes:g} min open loop at {summary.rate} req/s{share}, {summary.sent} requests, "
        f"{summary.reloads} ACL reloads, {summary.redis_restarts} Redis restarts, {summary.cpus} CPUs"
    )
    lines.append(
        f"failed benign: {summary.failed_benign}; attacks let through: {summary.attacks_passed}; "
        f"RSS growth (median of minute 5, or the first, to median of the last minute): "
        f"{summary.rss_growth_pct}%"
    )
    return lines


COLUMNS: list[tuple[str, str]] = [
    ("minute", "min"),
    ("requests", "requests"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("failed_benign", "failed benign"),
    ("attacks_passed", "attacks passed"),
    ("rss_mb", "RSS MB (median)"),
    ("rss_max_mb", "RSS MB (max)"),
    ("proxy_cpu_pct", "proxy CPU %"),
    ("load1", "load 1m"),
]


def escape_pipes(text: str) -> str:
    return text.replace("|", "\\|")  # a markdown table cell


def cell(value: Any) -> str:
    return "-" if value is None else str(value)


def print_report(summary: Summary) -> None:
    lines = headline(summary)
    print(lines[0] if summary.calibration else "", *lines[-2:], sep="\n")
    print("".join(f"{title:>16}" for _, title in COLUMNS), " errors")
    for row in summary.per_minute:
        print("".join(f"{cell(row[key]):>16}" for key, _ in COLUMNS), "", row["errors"] or "")


def write_markdown(summary: Summary, path: Path, command: str) -> None:
    growth = summary.rss_growth_pct
    verdict = [
        f"- failed benign requests: **{summary.failed_benign}** (target 0)",
        f"- attacks let through: **{summary.attacks_passed}** (target 0)",
        f"- RSS growth, median of minute 5 to median of minute {len(summary.per_minute)}: **{growth}%** "
        f"(target ≤ {RSS_GROWTH_TARGET_PCT:g}%: "
        f"{'met' if growth is not None and growth <= RSS_GROWTH_TARGET_PCT else 'NOT met'})",
    ]
    table = [
        "| " + " | ".join(title for _, title in COLUMNS) + " | errors |",
        "|" + "---:|" * len(COLUMNS) + "---|",
    ]
    for row in summary.per_minute:
        errors = ", ".join(f"{k}: {v}" for k, v in row["errors"].items()) or ""
        table.append("| " + " | ".join(cell(row[key]) for key, _ in COLUMNS) + f" | {errors} |")
    warnings = ["```", *summary.proxy_warnings, "```"] if summary.proxy_warnings else ["(none)"]
    counted = ["| lines | shape (digits as #) |", "|---:|---|"]
    for shape, n in summary.proxy_output_counts.items():
        counted.append(f"| {n} | `{escape_pipes(shape)}` |")
    text = [
        "# Soak: 80% of the measured maximum, ACL reloads, Redis restarts",
        "",
        f"Run finished {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC with `{command}`.",
        "",
        *(f"- {line}" for line in headline(summary)),
        "",
        "## Against the targets (issue 17)",
        *verdict,
        "",
        "## Per minute",
        "RSS is the proxy process's VmRSS sampled every few seconds (median and max of the minute's",
        "samples: each reload builds the new ACL beside the old one for a few seconds). Proxy CPU is",
        "its user+system time over the minute (100% = one core). Load is the machine's 1-minute load",
        "average: the machine is shared, other work runs beside the soak.",
        "",
        *table,
        "",
        "## The proxy's own output (warnings and errors, first 50 lines)",
        *warnings,
        "",
        "Every line of it, counted by shape:",
        "",
        *counted,
        "",
    ]
    path.write_text("\n".join(text))
