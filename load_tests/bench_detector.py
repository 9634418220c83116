"""Threat detector bench: replay speed vs fail2ban-regex (same file, same run), in-band cost per
request, the generated-traffic table (benign: bans; attackers: found after N requests), RSS under
1,000,000 distinct addresses.  ``python -m load_tests.bench_detector [--benign 1000000]``
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from load_tests.traffic import attackers, benign
from wafproxy.engine.decision import Decision
from wafproxy.engine.request import WafRequest
from wafproxy.events import RequestEvent
from wafproxy.sidecars.detector.detector import Detector
from wafproxy.sidecars.detector.findings import DetectorInfo
from wafproxy.sidecars.detector.logformats import parse_nginx
from wafproxy.sidecars.detector.policy import load_policy
from wafproxy.sidecars.detector.replay import replay


def new_detector() -> Detector:
    return Detector(load_policy(), DetectorInfo("b" * 32))


def bench_replay(tmp: Path) -> None:
    log = tmp / "nginx-200k.log"
    rng = random.Random(1)
    rows = [(ts, line) for ts, _, line in benign(200_000, rng)]
    for reqs in attackers(rng, 1_700_000_600.0).values():
        rows += [(ts, line) for ts, _, line in reqs]
    rows.sort()
    log.write_text("".join(line for _, line in rows[:200_000]))
    det = new_detector()
    stats = replay(det, log, "nginx")
    rate = stats.lines / stats.seconds
    print(f"replay: {stats.lines} lines in {stats.seconds:.2f} s = {rate:,.0f} lines/s "
          f"(all scenarios), {len(det.store)} findings")
    f2b = shutil.which("fail2ban-regex")
    if f2b is None:
        print("fail2ban-regex: not installed (apt-get install fail2ban)")
        return
    for flt in ("nginx-botsearch", "nginx-http-auth"):
        t0 = time.perf_counter()
        out = subprocess.run([f2b, str(log), f"/etc/fail2ban/filter.d/{flt}.conf"], capture_output=True,
                             text=True, check=False)
        secs = time.perf_counter() - t0
        matched = next((ln.strip() for ln in out.stdout.splitlines() if ln.startswith("Lines:")), "?")
        print(f"fail2ban-regex {flt}: {secs:.2f} s = {stats.lines / secs:,.0f} lines/s ({matched})")


def bench_traffic(n_benign: int) -> None:
    rng = random.Random(7)
    det = new_detector()
    n = 0
    for _, _, line in benign(n_benign, rng):
        obs = parse_nginx(line)
        assert obs is not None
        det.observe(obs)
        n += 1
    banned = det.remediator.bans
    print(f"benign: {n:,} requests -> {banned} bans, {len(det.store)} findings "
          f"({sorted({f.type for f in det.store.all()})})")
    print("| attacker | requests | found after (requests of the attacker) | served after its threshold |")
    print("|---|---|---|---|")
    for name, reqs in attackers(random.Random(3), 1_800_000_000.0).items():
        det = new_detector()
        found_after = None
        served_after = 0
        for k, (_ts, ip, line) in enumerate(reqs, 1):
            obs = parse_nginx(line)
            assert obs is not None
            if det.gate.verdict(obs.ip, obs.ts) is not None:
                continue  # refused by the gate
            if found_after is not None and any(f.ip == ip and f.blocked for f in det.store.all()):
                served_after += 1
            if det.observe(obs) and found_after is None:
                found_after = k
        print(f"| {name} | {len(reqs)} | {found_after} | {served_after} |")


def inband_events() -> list[RequestEvent]:
    """1000 benign GETs from 1000 actors, as the middleware emits them (one per second each)."""
    from wafproxy.engine.decision import Action

    headers = (("host", "shop.example"), ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"),
               ("accept", "text/html"))
    events = []
    for i in range(1000):
        req = WafRequest(f"10.1.{i // 250}.{i % 250}", "GET", f"/api/items/{i % 97}", "", headers)
        req.header_values("host")  # the engine has built the lowered headers by now
        events.append(RequestEvent(1e9 + i / 1000, "acl", req, Decision(Action.ALLOW), 200, 0.0))
    return events


def inband_loop(n: int, what: str = "detector") -> None:
    """``n`` requests through ``Detector.emit`` (or, as the anchor, the default ACL's engine)."""
    events = inband_events()
    if what == "engine":
        from wafproxy.aclfiles import load_web_acl
        from wafproxy.engine import evaluate
        from wafproxy.settings import DEFAULT_ACL

        acl = load_web_acl(DEFAULT_ACL)
        for k in range(n):
            evaluate(acl, events[k % 1000].request)
        return
    emit = new_detector().emit
    for k in range(n):
        emit(events[k % 1000])


def _callgrind_total(n: int, what: str, tmp: Path) -> int:
    out = tmp / f"cg.{what}.{n}"
    code = f"from load_tests.bench_detector import inband_loop; inband_loop({n}, {what!r})"
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c", code]
    subprocess.run(command, check=True, capture_output=True)
    for line in out.read_text().splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    raise RuntimeError("no callgrind totals")


def bench_instructions(engine_anchor: bool = False) -> None:
    """Instructions per request (callgrind; the difference of two runs cancels start-up). With
    ``engine_anchor`` also the default ACL's engine on the same requests (slow: loading the ACL
    under valgrind takes ~15 min on this machine; RATIONALE.md's figures are the usual anchor)."""
    if shutil.which("valgrind") is None:
        print("valgrind not installed: no instruction counts")
        return
    runs = [("detector", 1000, 6000)] + ([("engine", 200, 1200)] if engine_anchor else [])
    with tempfile.TemporaryDirectory() as tmp:
        per = {}
        for what, lo, hi in runs:
            total_hi = _callgrind_total(hi, what, Path(tmp))
            per[what] = (total_hi - _callgrind_total(lo, what, Path(tmp))) / (hi - lo)
    line = f"instructions per request (callgrind): Detector.emit {per['detector']:,.0f}"
    if "engine" in per:
        line += f"; the default ACL's engine on the same request {per['engine']:,.0f}"
    print(line)


def bench_proxy_on_off(rounds: int = 3, duration: int = 8) -> None:
    """CPU per request of ``wafproxy serve`` (default ACL) with the detector on vs off, wrk load,
    rounds interleaved. A benchmark is a flood from one address: the policy lifts the HTTP-flood
    bucket's capacity so the detector keeps running every scenario instead of banning wrk."""
    import os

    from load_tests import bench_proxy as bp

    wait_port = bp.wait_port
    bp.wait_port = lambda port, timeout=180.0: wait_port(port, timeout)  # a loaded machine starts slowly
    with tempfile.TemporaryDirectory() as tmp:
        policy = Path(tmp) / "bench-policy.yaml"
        policy.write_text("scenarios:\n  http_flood:\n    capacity: 1000000000\n")
        cpu: dict[str, list[float]] = {"on": [], "off": []}
        with bp.python_upstream(1024) as up:
            for _ in range(rounds):
                for mode in ("off", "on"):
                    os.environ["WAFPROXY_DETECTOR"] = mode
                    os.environ["WAFPROXY_DETECTOR_POLICY"] = str(policy)
                    try:
                        with bp.wafproxy(up.url, 1, None) as target:
                            bp.run_load(target.url + "/api/items/1", 2, 10)  # warm-up
                            before = bp.cpu_seconds(target.pids)
                            result = bp.run_load(target.url + "/api/items/1", duration, 10)
                            used = bp.cpu_seconds(target.pids) - before
                            cpu[mode].append(used / max(1.0, result["requests"]) * 1e6)
                    finally:
                        os.environ.pop("WAFPROXY_DETECTOR", None)
                        os.environ.pop("WAFPROXY_DETECTOR_POLICY", None)
    on, off = min(cpu["on"]), min(cpu["off"])
    print(f"wafproxy serve, default ACL, CPU per request (best of {rounds}): detector off {off:.1f} µs, "
          f"on {on:.1f} µs, difference {on - off:+.1f} µs (all rounds: off {cpu['off']}, on {cpu['on']})")


def bench_ip_set_latency(samples: int = 3) -> None:
    """How long an IP-set change through the control plane takes to be enforced (the default ACL
    recompiled and swapped): why the data path consults the gate instead of waiting for it."""
    import asyncio

    from wafproxy.control.ops_extra import ControlPlaneIPSetWriter
    from wafproxy.control.plane import ControlPlane
    from wafproxy.control.reloader import Reloader
    from wafproxy.settings import DEFAULT_ACL

    with tempfile.TemporaryDirectory() as tmp:
        creds = Path(tmp) / "credentials"
        creds.write_text("[b]\naws_access_key_id = AKIAB\naws_secret_access_key = s\n")
        reloader = Reloader(DEFAULT_ACL, state_dir=Path(tmp) / "state")

        async def run() -> list[float]:
            plane = ControlPlane.from_files(reloader, credentials=creds)
            writer = ControlPlaneIPSetWriter(plane, "bench")
            took = []
            for i in range(samples):
                t0 = time.perf_counter()
                await writer.add_addresses("blocked-ips", [f"198.51.100.{i + 1}/32"], 600.0)
                took.append(time.perf_counter() - t0)
            return took

        took = asyncio.run(run())
    print(f"IP-set change enforced through the control plane (default ACL recompiled and swapped): "
          f"{', '.join(f'{t * 1000:.0f}' for t in took)} ms")


def bench_hosts(hosts: int = 3) -> None:
    """``hosts`` ``wafproxy serve --redis`` processes on one real redis-server; a scanner sends its
    requests round-robin over them. Per-actor counters are per process, bans are shared: count the
    requests any host still served after the first host banned the scanner."""
    import contextlib
    import os

    import httpx

    from load_tests import bench_proxy as bp
    from tests.support.redis import RedisServer

    gate_body = b"Forbidden: this client is blocked by the threat detector.\n"
    paths = ["/.env", "/.git/config", "/backup.sql", "/phpinfo.php", "/server-status", "/.aws/credentials",
             "/web.config", "/dump.sql", "/.htpasswd", "/id_rsa"] * 3
    wait_port = bp.wait_port
    bp.wait_port = lambda port, timeout=180.0: wait_port(port, timeout)
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        redis = RedisServer(Path(tmp))
        redis.start()
        stack.callback(redis.kill)
        os.environ["WAFPROXY_DETECTOR"] = "on"
        os.environ["WAFPROXY_REDIS"] = redis.url
        os.environ["WAFPROXY_HOSTS"] = str(hosts)
        try:
            up = stack.enter_context(bp.python_upstream(64))
            targets = [stack.enter_context(bp.wafproxy(up.url, 1, None)) for _ in range(hosts)]
        finally:
            for name in ("WAFPROXY_DETECTOR", "WAFPROXY_REDIS", "WAFPROXY_HOSTS"):
                os.environ.pop(name, None)
        for t in targets:  # every host answers (its ACL compiled, its Redis subscription up)
            httpx.get(t.url + "/", timeout=120)
        first_ban, served_after = None, 0
        for n, path in enumerate(paths, 1):
            answer = httpx.get(targets[n % hosts].url + path, headers={"connection": "close"}, timeout=60)
            if answer.content == gate_body:
                first_ban = first_ban or n
            elif first_ban is not None:
                served_after += 1
    print(f"{hosts} hosts on one Redis, scanner round-robin: first refused at request {first_ban}, "
          f"requests served after that by any host: {served_after}")


def bench_inband() -> None:
    det = new_detector()
    events = inband_events()
    n = 200_000
    t0 = time.perf_counter()
    emit = det.emit
    for k in range(n):
        emit(events[k % 1000])
    per = (time.perf_counter() - t0) / n * 1e6
    gate = det.gate
    t0 = time.perf_counter()
    for k in range(n):
        gate.verdict("10.1.0.1", 1.0)
    gate_us = (time.perf_counter() - t0) / n * 1e6
    print(f"in-band: Detector.emit {per:.2f} µs/request (benign GET, all scenarios); gate.verdict "
          f"{gate_us:.3f} µs (no bans)")


def bench_rss() -> None:
    code = (
        "import os\n"
        "from load_tests.bench_detector import new_detector\n"
        "from wafproxy.sidecars.detector.observation import Observation\n"
        "rss=lambda: int(open('/proc/self/statm').read().split()[1])*os.sysconf('SC_PAGE_SIZE')/1024\n"
        "d=new_detector(); before=rss()\n"
        "for i in range(1_000_000):\n"
        "    d.observe(Observation(1e9+i*1e-3, f'{10+i//16777216}.{i//65536%256}.{i//256%256}.{i%256}',"
        " 'GET', '/', 200, 'x'))\n"
        "after=rss()\n"
        "print(f'RSS: {before/1024:.0f} MiB before, {after/1024:.0f} MiB after '"
        "f'1,000,000 distinct addresses; '"
        "f'actors kept {len(d.actors):,} (bound), evicted {d.actors.evicted:,}')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--benign", type=int, default=1_000_000)
    ap.add_argument("--engine-anchor", action="store_true", help="also count the engine's instructions")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_replay(Path(tmp))
    bench_inband()
    bench_ip_set_latency()
    bench_instructions(args.engine_anchor)
    bench_proxy_on_off()
    bench_hosts()
    bench_traffic(args.benign)
    bench_rss()
    print(f"(self RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
