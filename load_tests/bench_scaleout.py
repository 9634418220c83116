"""Scale-out figures (issue 16) on the namespace lab of tests/deploy: three wafproxy hosts, one
Redis host, one upstream and one client, each its own network namespace. Needs root.

    .venv/bin/python load_tests/bench_scaleout.py [--changes 20] [--out load_tests/RESULTS-scaleout.md]

Measures: the largest count a rate-based rule of limit L admitted across the three hosts in one
window (sequential and 16-way parallel bursts), as a multiple of L; the delay from a WAFv2
UpdateIPSet answered on one host to every host enforcing it (p50/p99 over --changes changes,
alternating block/unblock, each made on the next host); requests lost when one host is killed
with SIGKILL and the client retries on another host.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.deploy.cluster import LIMIT, PROXIES, SHARED_RULES, running_cluster  # noqa: E402
from tests.deploy.lab import Lab  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS-scaleout.md"))
    args = parser.parse_args()
    reason = Lab.available()
    if reason is not None:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="wafproxy-scaleout-") as tmp, running_cluster(Path(tmp)) as lab:
        admitted = []
        for i in range(SHARED_RULES):
            parallel = 1 if i % 2 == 0 else 16
            statuses = lab.client.call("burst", urls=lab.urls(f"/shared{i}/x"), count=3 * LIMIT,
                                       parallel=parallel)
            admitted.append((parallel, statuses.count(200)))
        delays: list[float] = []
        missing = 0
        for n in range(args.changes):
            on = PROXIES[n % len(PROXIES)]
            block = n % 2 == 0
            got = lab.block_addresses(on, [f"{lab.client_address}/32"] if block else [],
                                      expect=403 if block else 200, timeout=10)
            missing += sum(d is None for d in got.values())
            delays.append(max(d if d is not None else 10.0 for d in got.values()))
        lab.proxies["p3"].stop(lab.procs["p3"], kill=True)
        started = time.monotonic()
        outcome = lab.client.call("retrying", urls=lab.urls("/"), count=300, attempts=3)
        took = time.monotonic() - started
    worst = max(a for _, a in admitted)
    rows += [
        "# Scale-out on one machine: three wafproxy hosts on one Redis (network namespaces)",
        "",
        f"`load_tests/bench_scaleout.py --changes {args.changes}`, "
        f"run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "Each host, Redis, the upstream and the client are their own network namespace on one bridge",
        "(tests/deploy/lab.py); every request crosses it. 2 shared cores run all of them.",
        "",
        f"## Rate-based rule, limit L = {LIMIT} per 60 s window, "
        f"{3 * LIMIT} requests round-robin over 3 hosts",
        "",
        "| window | in flight | admitted | × L |",
        "|---:|---:|---:|---:|",
        *(f"| {i} | {p} | {a} | {a / LIMIT:.3f} |" for i, (p, a) in enumerate(admitted)),
        "",
        f"Largest admitted count in a window: **{worst} = {worst / LIMIT:.3f} × L** (target ≤ 1.05 × L).",
        "",
        f"## IP-set change on one host → enforced on all three ({args.changes} changes)",
        "",
        "Delay from the UpdateIPSet answer on one host to the last of the three enforcing it:",
        f"p50 **{statistics.median(delays) * 1000:.0f} ms**, "
        f"p99 **{percentile(delays, 0.99) * 1000:.0f} ms**, "
        f"max {max(delays) * 1000:.0f} ms; hosts not converged within 10 s: {missing}.",
        "",
        "## One host killed (SIGKILL), the client retrying on the next host",
        "",
        f"{outcome['answered']} of 300 requests answered, **{outcome['lost']} lost**, "
        f"{outcome['retries']} retries, "
        f"{took:.1f} s.",
        "",
    ]
    args.out.write_text("\n".join(rows))
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
