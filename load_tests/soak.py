"""Soak: mixed benign and attack traffic against a real ``wafproxy serve`` at a share (``--load``,
80%) of its measured maximum for ``--minutes``, while the web ACL is reloaded (file rewritten +
SIGHUP) every ``--reload-every`` seconds and the Redis behind the rate-based rule is restarted
twice (at 1/3 and 2/3 of the run).

    python load_tests/soak.py --minutes 30 --markdown load_tests/RESULTS-soak.md
    python load_tests/soak.py --minutes 1 --calibrate 8 --load 0.5 --reload-every 15   # what CI runs

The maximum is measured first (``--calibrate`` seconds): the same traffic closed-loop, each of
``--concurrency`` clients sending its next request when the last one is answered; the completions
after a warm-up, per second, are the maximum this proxy sustains on this machine with this
generator beside it (generator and upstream share the machine: that is the system measured).
The soak then runs open-loop at ``--load`` times that (or at ``--rate`` when given).

The ACL is the shipped default (managed groups, IP sets) plus a rate-based rule per forwarded
client address (through Redis) and a toggle rule that each reload adds or removes. Clients come
from 2048 addresses in X-Forwarded-For (the generator is a trusted proxy), attackers from another
2048 (the threat detector, on as by default, bans them). The upstream is a bare asyncio server in
its own process, the client a lean keep-alive one (``soak_http``: httpx and an in-process app cost
three times the proxy's CPU). Reported (``soak_report``): RSS of the proxy over time, p50/p99
latency and counts per minute, the proxy's CPU and the machine's load per minute, failed benign
requests (anything but 200), attacks let through; ``--json`` writes the summary, ``--markdown``
the report. Exit status 1 when a benign request failed or an attack was let through.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httptools
import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from load_tests.soak_fixture import (  # noqa: E402
    ATTACK_SHARE,
    ATTACKS,
    BENIGN,
    cpu_seconds,
    drain,
    reloads_counted,
    rss_mb,
    soak_acl,
)
from load_tests.soak_http import Client, UpstreamProcess  # noqa: E402
from load_tests.soak_report import (  # noqa: E402
    Calibration,
    Minute,
    Sample,
    Summary,
    minute_rows,
    percentile,
    print_report,
    write_markdown,
)
from load_tests.soak_trace import trace_env  # noqa: E402
from tests.support.redis import RedisServer  # noqa: E402
from tests.support.servers import free_port, wafproxy_process  # noqa: E402
from tests.support.wait import until  # noqa: E402


class Soak:
    def __init__(
        self,
        args: argparse.Namespace,
        port: int,
        admin_url: str,
        pid: int,
        acl_dir: Path,
        redis: RedisServer,
    ) -> None:
        self.args, self.port, self.admin_url, self.pid = args, port, admin_url, pid
        self.acl_dir, self.redis = acl_dir, redis
        self.minutes: dict[int, Minute] = defaultdict(Minute)
        self.samples: list[Sample] = []
        self.reloads = 0
        self.redis_restarts = 0
        self.sent = 0
        self.rng = random.Random(args.seed)
        self.start = 0.0
        self.rate = float(args.rate or 0)
        self.calibration: Calibration | None = None

    def client(self) -> Client:
        return Client("127.0.0.1", self.port)

    async def one(self, client: Client, attack: bool, bucket: Minute | None = None) -> None:
        method, path, body = self.rng.choice(ATTACKS if attack else BENIGN)
        # Attackers and benign clients are different addresses (10.8-15.x.x and 10.0-7.x.x): the
        # threat detector bans an address that keeps attacking, and a benign client must not be it.
        first = self.rng.randrange(8, 16) if attack else self.rng.randrange(8)
        xff = f"10.{first}.{self.rng.randrange(16)}.{self.rng.randrange(1, 17)}"
        if bucket is None:
            # a request scheduled in the last second may start after the end: it counts in the last minute
            last = max(0, math.ceil(self.args.minutes) - 1)
            bucket = self.minutes[min(last, int((time.monotonic() - self.start) // 60))]
        raw = client.build(method, path, body, {"X-Forwarded-For": xff, "User-Agent": "soak/1.0"})
        started = time.perf_counter()
        try:
            status = await client.request(raw)
        except (OSError, TimeoutError, httptools.HttpParserError) as exc:
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

    async def calibrate(self) -> Calibration:
        """Closed loop for ``--calibrate`` seconds: the completions per second after a warm-up (the
        first quarter, at most 5 s: connections opened, caches warm) are the sustained maximum."""
        seconds, concurrency = self.args.calibrate, self.args.concurrency
        bucket, warm = Minute(), min(5.0, seconds / 4)
        begin = time.monotonic()
        measure_from, end = begin + warm, begin + seconds
        counted = 0

        async def worker(client: httpx.AsyncClient) -> None:
            nonlocal counted
            while time.monotonic() < end:
                await self.one(client, self.rng.random() < ATTACK_SHARE, bucket)
                counted += time.monotonic() >= measure_from

        proxy_cpu, own_cpu = cpu_seconds(self.pid), time.process_time()
        client = self.client()
        try:
            await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        finally:
            client.close()
        took = time.monotonic() - begin
        proxy_cpu, own_cpu = cpu_seconds(self.pid) - proxy_cpu, time.process_time() - own_cpu
        both = bucket.benign + bucket.attack
        return Calibration(
            seconds,
            concurrency,
            round(counted / (end - measure_from), 1),
            round(percentile(both, 0.5) * 1000, 1),
            round(percentile(both, 0.99) * 1000, 1),
            bucket.failed_benign,
            bucket.attacks_passed,
            round(proxy_cpu / took * 100),
            round(own_cpu / took * 100),
        )

    async def traffic(self, seconds: float) -> None:
        client = self.client()
        try:
            tasks: set[asyncio.Task[None]] = set()
            interval = 1.0 / self.rate
            next_at = time.monotonic()
            while time.monotonic() - self.start < seconds:
                task = asyncio.create_task(self.one(client, self.rng.random() < ATTACK_SHARE))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                self.sent += 1
                next_at += interval  # open loop: the schedule does not wait for answers
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            await asyncio.gather(*tasks)
        finally:
            client.close()

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

    def sample(self) -> None:
        self.samples.append(
            Sample(
                round(time.monotonic() - self.start, 1),
                round(rss_mb(self.pid), 1),
                round(cpu_seconds(self.pid), 2),
                round(os.getloadavg()[0], 2),
            )
        )

    async def snapshot(self, at: float) -> None:
        """``--tracemalloc``: the proxy writes a snapshot (``soak_trace``) at ``at`` seconds."""
        if self.args.tracemalloc is None or at < 0:
            return
        await asyncio.sleep(max(0.0, self.start + at - time.monotonic()))
        before = len(list(self.args.tracemalloc.glob("snapshot-*.bin")))
        os.kill(self.pid, signal.SIGUSR2)
        await asyncio.to_thread(
            until, lambda: len(list(self.args.tracemalloc.glob("snapshot-*.bin"))) > before,
            timeout=300, what="tracemalloc snapshot written",
        )

    async def sampler(self, seconds: float) -> None:
        while time.monotonic() - self.start < seconds:
            self.sample()
            await asyncio.sleep(self.args.rss_every)

    async def run(self) -> tuple[list[dict[str, Any]], float | None]:
        if not self.rate:
            self.calibration = await self.calibrate()
            self.rate = round(self.calibration.max_rps * self.args.load, 1)
            if self.rate <= 0:
                raise RuntimeError(f"calibration measured no throughput: {self.calibration}")
        seconds = self.args.minutes * 60
        self.start = time.monotonic()
        await asyncio.gather(
            self.traffic(seconds),
            self.reloader(seconds),
            self.redis_restarts_at(seconds),
            self.sampler(seconds),
            self.snapshot(self.args.trace_from if self.args.trace_from < seconds else -1),
        )
        self.sample()
        await self.snapshot(0)
        return minute_rows(self.minutes, self.samples)

    def summary(self, rows: list[dict[str, Any]], growth: float | None, warnings: list[str],
                counts: dict[str, int]) -> Summary:
        calibration = self.calibration
        return Summary(
            self.args.minutes,
            self.rate,
            self.args.load if calibration else None,
            calibration,
            self.sent,
            sum(r["failed_benign"] for r in rows) + (calibration.failed_benign if calibration else 0),
            sum(r["attacks_passed"] for r in rows) + (calibration.attacks_passed if calibration else 0),
            self.reloads,
            self.redis_restarts,
            self.samples,
            rows,
            growth,
            os.cpu_count() or 0,
            warnings,
            counts,
        )


def soak(args: argparse.Namespace) -> Summary:
    workdir = Path(tempfile.mkdtemp(prefix="wafproxy-soak-"))
    redis = RedisServer(workdir)
    redis.start()
    try:
        acl = soak_acl(workdir / "acl", toggle=False)
        with UpstreamProcess() as upstream:
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
            with wafproxy_process(*cmd, env=trace_env(args), wait_ports=(port, admin)) as proc:
                warnings: list[str] = []
                counts: Counter[str] = Counter()
                threading.Thread(target=drain, args=(proc.stdout, warnings, counts), daemon=True).start()
                admin_url = f"http://127.0.0.1:{admin}"
                until(lambda: httpx.get(admin_url + "/readyz").status_code == 200, what="proxy ready")
                runner = Soak(args, port, admin_url, proc.pid, workdir / "acl", redis)
                rows, growth = asyncio.run(runner.run())
                # every SIGHUP was applied (compiled and swapped), none failed
                # Each reload compiles the ACL (databases a reload has not seen yet build first): on a
                # machine that is busy they may finish well after the last SIGHUP.
                until(lambda: reloads_counted(admin_url) >= runner.reloads, timeout=300,
                      what="all reloads applied")
                assert proc.poll() is None, "the proxy exited during the soak"
                return runner.summary(rows, growth, warnings, dict(counts.most_common()))
    finally:
        redis.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, help="requests per second (open loop); skips the calibration")
    parser.add_argument("--calibrate", type=float, default=20.0, help="seconds of closed-loop calibration")
    parser.add_argument("--concurrency", type=int, default=32, help="closed-loop clients in the calibration")
    parser.add_argument("--load", type=float, default=0.8, help="share of the measured maximum to drive")
    parser.add_argument("--reload-every", type=float, default=60.0, help="seconds between ACL reloads")
    parser.add_argument("--redis-down", type=float, default=2.0, help="seconds Redis stays down per restart")
    parser.add_argument("--rss-every", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the summary here")
    parser.add_argument("--tracemalloc", type=Path, help="trace the proxy's allocations, snapshots here "
                        "(at --trace-from and at the end; compare: python -m load_tests.soak_trace DIR)")
    parser.add_argument("--trace-from", type=float, default=300.0, help="seconds: the first snapshot")
    parser.add_argument("--markdown", type=Path, help="also write the report here (markdown)")
    return parser.parse_args(argv)


def main() -> int:
    args = parse_args()
    summary = soak(args)
    print_report(summary)
    if args.json:
        args.json.write_text(json.dumps(asdict(summary), indent=1))
    if args.markdown:
        write_markdown(summary, args.markdown, " ".join(["python", "load_tests/soak.py", *sys.argv[1:]]))
    return 1 if summary.failed_benign or summary.attacks_passed else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
