"""``wafproxy inspect``: one assessment, printed (text or ``--json``), optionally sent to a running
wafproxy (``--admin``), optionally a fix applied (``--apply ID``). Exit 0: nothing active at or
above ``--fail-on``; 3: something is; 4 (with ``--fail-on``): part of it could not be assessed
(a target down, a TLS handshake failure, an unreadable file); 2: bad flags.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wafproxy.sidecars.assessor.model import SEVERITIES, severity_rank

if TYPE_CHECKING:  # imported when inspect runs: `wafproxy version` builds this parser too
    from wafproxy.sidecars.assessor.context import ConfigFacts
    from wafproxy.sidecars.assessor.runner import Report

EXIT_FINDINGS = 3
EXIT_INCOMPLETE = 4


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "inspect",
        help="assess the app behind the WAF and wafproxy's configuration "
        "(Inspector-shaped findings, each with its fix)",
    )
    p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="URL",
        help="wafproxy's listener (or any URL) to probe (repeatable)",
    )
    p.add_argument(
        "--upstream",
        action="append",
        default=[],
        metavar="URL",
        help="the app behind the WAF, probed directly (reachable around the WAF?)",
    )
    p.add_argument(
        "--admin",
        metavar="URL",
        help="a running wafproxy's admin listener: read its web ACL, "
        "and store the findings there (AWS credentials from the environment/profile)",
    )
    p.add_argument("--config", type=Path, metavar="FILE", help="wafproxy settings YAML to assess")
    p.add_argument("--osv-db", type=Path, metavar="DIR", help="OSV records (JSON) directory")
    p.add_argument(
        "--requirements",
        type=Path,
        metavar="FILE",
        help="requirements.txt or TOML lock file (default: this environment's packages)",
    )
    p.add_argument("--ca", type=Path, metavar="FILE", help="CA bundle to verify https targets against")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--fail-on",
        type=str.upper,
        choices=SEVERITIES,
        metavar="SEVERITY",
        help="exit 3 when an ACTIVE finding is at or above SEVERITY",
    )
    p.add_argument("--apply", metavar="FIX_ID", help="apply this fix through the control plane (--admin)")
    p.add_argument("--dry-run", action="store_true", help="with --apply: show the change only")
    p.add_argument("--kms-endpoint", metavar="URL", help="with --apply: the KMS API for KMS fixes")
    p.add_argument(
        "--rate", type=float, default=50.0, metavar="N", help="probes per second at most (default 50)"
    )
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--account", default="000000000000")
    p.set_defaults(func=main)


def _config(args: argparse.Namespace) -> tuple[ConfigFacts | None, Any]:
    from wafproxy.sidecars.assessor import facts

    base, settings = (None, None)
    if args.config is not None:
        base, settings = facts.from_config_file(args.config)
    if args.admin:
        return facts.from_admin(args.admin, args.region, base), settings
    return base, settings


async def run_once(args: argparse.Namespace) -> Report:
    import asyncio

    from wafproxy.sidecars.assessor.context import AssessContext, Target
    from wafproxy.sidecars.assessor.probe import Prober
    from wafproxy.sidecars.assessor.runner import assess

    config, settings = await asyncio.to_thread(_config, args)
    targets = [Target(u, "proxy") for u in args.target] + [Target(u, "upstream") for u in args.upstream]
    if settings is not None and not args.upstream:
        targets += [Target(u.url, "upstream") for u in settings.upstreams]
    prober = Prober(min_interval=1.0 / max(args.rate, 0.1), ca_file=args.ca)
    try:
        ctx = AssessContext(targets, prober, config, args.osv_db, args.requirements, args.ca)
        return await assess(ctx, account=args.account, region=args.region)
    finally:
        await prober.close()


def main(args: argparse.Namespace) -> int:
    if not args.target and not args.config and not args.admin and not args.osv_db:
        print("wafproxy inspect: error: give --target, --config, --admin or --osv-db", file=sys.stderr)
        return 2
    for flag, path in (
        ("--osv-db", args.osv_db),
        ("--config", args.config),
        ("--ca", args.ca),
        ("--requirements", args.requirements),
    ):
        if path is not None and not path.exists():
            print(f"wafproxy inspect: error: {flag} {path}: no such file or directory", file=sys.stderr)
            return 2
    import asyncio
    import json

    report = asyncio.run(run_once(args))
    statuses: dict[str, str] = {}
    if args.admin:
        from wafproxy.sidecars.assessor.remote import send_report

        try:
            statuses = send_report(args.admin, args.region, report)
        except Exception as exc:  # the report is still printed; the failure is said
            print(f"wafproxy inspect: could not store findings at {args.admin}: {exc}", file=sys.stderr)
    if args.apply:
        from wafproxy.sidecars.assessor.apply import apply_fix

        return apply_fix(
            report,
            args.apply,
            admin=args.admin,
            region=args.region,
            dry_run=args.dry_run,
            kms_endpoint=args.kms_endpoint,
        )
    findings = [{**f, "status": statuses.get(f["findingArn"], f["status"])} for f in report.findings]
    if args.json:
        print(json.dumps(report.to_json(findings), indent=2))
    else:
        from wafproxy.sidecars.assessor.output import render

        print(render(report, statuses))
    if args.fail_on:
        floor = severity_rank(args.fail_on)
        if any(f["status"] == "ACTIVE" and severity_rank(f["severity"]) >= floor for f in findings):
            return EXIT_FINDINGS
        # A target down, a handshake failure, an unreadable file: a CI gate must not pass on what
        # was not looked at. (A family left out on purpose — no --osv-db — is not a failure.)
        if any(not e.message.startswith("not assessed:") for e in report.errors):
            return EXIT_INCOMPLETE
    return 0
