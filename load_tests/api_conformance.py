"""Model-driven conformance of the five AWS APIs (wafv2, kms, guardduty, inspector2, securityhub).

Runs each service's operation sweep (``load_tests/api_sweep``, ``tests/sidecars/sweeps``,
``tests/sidecars/hub/sweep``) under ``tests.support.conform.harness.Conformance``: every operation
is also called with a rich input and with each invalid variation of its valid parameters, and
every success body is checked on the wire against the output shape. Prints one line per finding.

``python -m load_tests.api_conformance [service …]``; exit status 1 when anything is found.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests.support.conform.harness import Conformance

SERVICES = ("kms", "wafv2", "guardduty", "inspector2", "securityhub")


def run(services: tuple[str, ...], tmp: Path) -> Conformance:
    probe = Conformance()
    with probe.installed():
        if {"kms", "wafv2"} & set(services):
            from load_tests.api_sweep import run_all

            run_all(tmp / "kmswaf")
        if {"guardduty", "inspector2"} & set(services):
            from tests.sidecars import sweeps
            from tests.sidecars.assessor.demo import running_demo

            (tmp / "demo").mkdir()
            with running_demo("--account-id", sweeps.ACCOUNT, "--state-dir", str(tmp / "demo")) as demo:
                lists = tmp / "demo" / ".wafproxy" / "intel"
                lists.mkdir(parents=True, exist_ok=True)
                if "guardduty" in services:
                    sweeps.guardduty(demo, lists)
                if "inspector2" in services:
                    sweeps.inspector2(demo, lists)
        if "securityhub" in services:
            from tests.sidecars.hub.stack import running_hub
            from tests.sidecars.hub.sweep import sweep

            (tmp / "hub").mkdir()
            with running_hub(tmp / "hub") as stack:
                sweep(stack.client())
    probe.findings = [f for f in probe.findings if f.service in services]
    probe.paging = {k: v for k, v in probe.paging.items() if k[0] in services}
    probe.notes = [n for n in probe.notes if n.split(" ", 1)[0] in services]
    return probe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("services", nargs="*", help=f"some of {', '.join(SERVICES)} (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.services) - set(SERVICES)
    if unknown:
        parser.error(f"unknown service(s): {', '.join(sorted(unknown))}")
    args.services = args.services or list(SERVICES)
    with tempfile.TemporaryDirectory() as tmp:
        probe = run(tuple(args.services), Path(tmp))
    for finding in probe.findings:
        print(finding.line())
    for note in probe.notes:
        print(f"note   rich input refused: {note}")
    verdicts = sorted(probe.paging.items())
    for (service, op), verdict in verdicts:
        print(f"paging {service:12} {op:40} {verdict}")
    print(f"{len(probe.probed)} operations probed, {probe.calls} probe calls, {len(probe.findings)} findings")
    return 1 if probe.findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
