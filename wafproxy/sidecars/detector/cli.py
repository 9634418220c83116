"""``wafproxy detect --log FILE [--format auto|nginx|waf|alb] [--json] [--follow]``.

Replays a log through the detector's scenarios (the same policy the proxy runs: the shipped
default, or ``--policy FILE``) and prints the findings: a table, or GuardDuty-shaped JSON lines with
``--json``. Malformed lines are counted on stderr, never fatal. Exit status 2: a bad policy or log.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from wafproxy.sidecars.detector.detector import Detector
from wafproxy.sidecars.detector.findings import DetectorInfo, detector_id_for
from wafproxy.sidecars.detector.intel import IntelError
from wafproxy.sidecars.detector.policy import PolicyError, load_policy
from wafproxy.sidecars.detector.replay import replay
from wafproxy.sidecars.detector.resources import DetectorResources


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("detect", help="replay an access log through the threat detector")
    p.add_argument("--log", required=True, type=Path, help="nginx combined, AWS WAF JSON or ALB log")
    p.add_argument("--format", default="auto", choices=("auto", "nginx", "waf", "alb"))
    p.add_argument("--policy", type=Path, help="detector policy YAML (over the shipped default)")
    p.add_argument("--json", action="store_true", help="GuardDuty-shaped findings as JSON lines")
    p.add_argument("--follow", action="store_true", help="keep reading as the file grows (Ctrl-C stops)")
    p.add_argument("--account-id", default="000000000000")
    p.add_argument("--region", default="us-east-1")
    p.set_defaults(func=_cmd_detect)


def _cmd_detect(args: argparse.Namespace) -> int:
    try:
        policy = load_policy(args.policy)
        info = DetectorInfo(detector_id_for(args.account_id, args.region), args.account_id, args.region)
        detector = Detector(policy, info)
        DetectorResources(detector.intel, policy.scenarios.threat_intel)
    except (PolicyError, IntelError) as exc:
        print(f"wafproxy detect: {exc}", file=sys.stderr)
        return 2
    if not args.log.is_file():
        print(f"wafproxy detect: --log {args.log}: no such file", file=sys.stderr)
        return 2
    if args.follow and args.json:
        def live(finding: object, new: bool) -> None:
            print(json.dumps(finding.to_dict(info), sort_keys=True), flush=True)  # type: ignore[attr-defined]
        detector.publishers.append(live)
    try:
        stats = replay(detector, args.log, args.format, follow=args.follow)
    except KeyboardInterrupt:
        return 0
    findings = sorted(detector.store.all(), key=lambda f: (f.first_seen, f.type))
    if args.json:
        for f in findings:
            print(json.dumps(f.to_dict(info), sort_keys=True))
    else:
        print(f"{'first seen':24} {'severity':8} {'count':>6}  {'type':45} {'actor':24} resource")
        for f in findings:
            from wafproxy.sidecars.detector.findings import iso

            print(f"{iso(f.first_seen):24} {f.severity:<8} {f.count:>6}  {f.type:45} {f.actor:24} "
                  f"{f.resource}")
    rate = stats.lines / stats.seconds if stats.seconds else 0.0
    print(f"{stats.lines} lines ({stats.malformed} malformed, skipped) in {stats.seconds:.2f} s "
          f"({rate:,.0f} lines/s); {len(findings)} findings, {detector.refused} requests after a ban",
          file=sys.stderr)
    return 0
