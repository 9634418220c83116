"""Time of one full assessment of ``wafproxy demo``, and of 10 loopback targets.

    PYTHONPATH=. python load_tests/bench_assessor.py [--runs 5]

Wall-clock on a shared 2-core machine is noisy: medians of ``--runs``, with the probe count (the
work that does not depend on the machine). ``inspect`` runs as users run it: a new process each
time (interpreter start and imports included), against a real ``wafproxy demo`` process, with
the fixture OSV database; the 10-target figure is in-process, at the default probe pace (50/s)
and unpaced.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from tests.sidecars.assessor.apps import bad_app, good_app
from tests.sidecars.assessor.demo import running_demo
from tests.sidecars.assessor.osvfixture import build
from tests.support.servers import REPO, uvicorn_in_thread
from wafproxy.sidecars.assessor.context import AssessContext, Target
from wafproxy.sidecars.assessor.probe import Prober
from wafproxy.sidecars.assessor.runner import assess


def demo(runs: int, osv: Path) -> None:
    with running_demo() as d:
        env = d.env
        walls, inner = [], []
        report = {}
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "wafproxy",
                    "inspect",
                    "--target",
                    d.waf,
                    "--upstream",
                    d.upstream,
                    "--admin",
                    d.admin,
                    "--osv-db",
                    str(osv),
                    "--json",
                ],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            walls.append(time.perf_counter() - started)
            report = json.loads(done.stdout)
            inner.append(report["durationSeconds"])
        print(
            f"wafproxy demo, inspect (process, --admin, --osv-db): median {statistics.median(walls):.2f} s "
            f"wall (max {max(walls):.2f}); assessment itself median {statistics.median(inner):.2f} s; "
            f"{report['probes']} probes, {len(report['findings'])} findings"
        )


def ten_targets(runs: int, osv: Path) -> None:
    with ExitStack() as stack:
        servers = [
            stack.enter_context(uvicorn_in_thread(good_app() if i % 2 else bad_app())) for i in range(10)
        ]
        targets = [Target(s.url, "app") for s in servers]
        for label, interval in (("paced 50/s (default)", 0.02), ("unpaced", 0.0)):
            times, probes, findings = [], 0, 0
            for _ in range(runs):

                async def go(interval: float = interval) -> tuple[float, int, int]:
                    prober = Prober(min_interval=interval)
                    try:
                        report = await assess(AssessContext(targets, prober, osv_db=osv))
                    finally:
                        await prober.close()
                    return report.duration, report.probes, len(report.findings)

                t, probes, findings = asyncio.run(go())
                times.append(t)
            print(
                f"10 targets, {label}: median {statistics.median(times):.2f} s (max {max(times):.2f}); "
                f"{probes} probes, {findings} findings"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        osv = build(Path(tmp))
        demo(args.runs, osv)
        ten_targets(args.runs, osv)


if __name__ == "__main__":
    main()
