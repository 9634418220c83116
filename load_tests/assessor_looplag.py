"""How long the periodic assessor holds the event loop: the loop-lag probe around its runs.

    PYTHONPATH=. python load_tests/assessor_looplag.py [--runs 2] [--osv] [--system-ca] [--json]

In ``wafproxy serve`` the assessor runs on the data path's loop (at start, then every
``--assess-interval``): whatever it does between awaits delays every request being served. This
runs ``Assessor.run_once`` as ``serve`` does (a fresh process: the first run imports the check
families and builds the probe clients, later runs are warm) against two targets served by a
child process (so their work does not compete for this process's GIL): the bad app over plain
HTTP as the upstream, the good app over TLS (trustme CA, given as ``--upstream-ca``) as the
proxy's listener. The probe (``wafproxy/observability/looplag.py``) ticks every 1 ms; for each
run it prints the lag histogram, the worst lateness and the stalls over 2 ms with the loop
thread's own CPU in them (``cpu``: our work on the loop; ``off``: the GIL held by another of our
threads, or a blocking call; ``rq``: the kernel's run queue, the machine's other load).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.sidecars.assessor.osvfixture import build
from wafproxy.observability.looplag import LoopLagProbe
from wafproxy.settings import Settings, UpstreamRoute
from wafproxy.sidecars.assessor.context import ConfigFacts
from wafproxy.sidecars.assessor.service import Assessor  # imported by serve before it serves
from wafproxy.sidecars.assessor.store import MEMORY, FindingStore

_CHILD = """
import sys, threading, time
from pathlib import Path
from tests.sidecars.assessor.apps import bad_app, good_app
from tests.support.servers import uvicorn_in_thread
d = Path(sys.argv[1])
with uvicorn_in_thread(bad_app()) as bad, uvicorn_in_thread(
    good_app(), ssl_certfile=str(d / "cert.pem"), ssl_keyfile=str(d / "key.pem")
) as good:
    (d / "ports.tmp").write_text(f"{bad.port} {good.port}")
    (d / "ports.tmp").rename(d / "ports")
    sys.stdin.read()  # until the parent closes it
"""


def _certs(root: Path) -> Path:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(str(root / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    return root / "ca.pem"


def _summary(report: dict[str, Any], seconds: float) -> dict[str, Any]:
    stalls = report["stalls"]
    return {
        "run_s": round(seconds, 3),
        "ticks": report["ticks"],
        "loop_cpu_s": report["cpu_s"],
        "lag_ms": {k: v for k, v in report["lag_ms"].items() if v},
        "worst_ms": max((s["late_ms"] for s in stalls), default=0.0),
        "stalls_over_2ms": len(stalls),
        "stalls_over_5ms": sum(1 for s in stalls if s["late_ms"] > 5),
        "worst_cpu_ms": max((s["cpu_ms"] for s in stalls), default=0.0),
        "worst": sorted(stalls, key=lambda s: -s["late_ms"])[:5],
    }


async def _measure(
    args: argparse.Namespace, root: Path, bad: str, good: str, ca: Path
) -> list[dict[str, Any]]:
    osv_db = build(root / "osv") if args.osv else None
    settings = Settings(
        upstreams=(UpstreamRoute(bad),),
        upstream_ca=None if args.system_ca else ca,
        assess_interval=0,
        assess_osv_db=osv_db,
    )
    acl = {"Name": "x", "DefaultAction": {"Allow": {}}, "Rules": []}
    assessor = Assessor(settings, FindingStore(MEMORY), lambda: ConfigFacts(source="t", web_acl=acl))
    host, port = good.removeprefix("https://").rsplit(":", 1)
    assessor.set_listener(host, int(port), tls=True)
    out = []
    for _ in range(args.runs):
        probe = LoopLagProbe(str(root / "lag.json"))
        probe.start()
        started = time.perf_counter()
        report = await assessor.run_once()
        seconds = time.perf_counter() - started
        probe.stop()
        row = _summary(json.loads((root / "lag.json").read_text()), seconds)
        row["findings"], row["probes"] = len(report.assessed), report.probes
        out.append(row)
    assessor.store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--osv", action="store_true", help="with the fixture OSV database (deps family)")
    parser.add_argument(
        "--system-ca",
        action="store_true",
        help="no --upstream-ca (serve's default): the system CA store loads, the TLS target is unverified",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ca = _certs(root)
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(root)], stdin=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            while not (root / "ports").exists():
                if time.monotonic() > deadline or child.poll() is not None:
                    raise SystemExit("the targets did not start")
                time.sleep(0.05)
            bad_port, good_port = (root / "ports").read_text().split()
            try:
                import uvloop

                runner: Any = uvloop.run
            except ImportError:
                runner = asyncio.run
            rows = runner(
                _measure(args, root, f"http://127.0.0.1:{bad_port}", f"https://127.0.0.1:{good_port}", ca)
            )
        finally:
            assert child.stdin is not None
            child.stdin.close()
            child.wait(timeout=30)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    for i, row in enumerate(rows, 1):
        print(
            f"run {i}: {row['run_s']} s, {row['probes']} probes, {row['findings']} findings; "
            f"loop CPU {row['loop_cpu_s']} s; worst lag {row['worst_ms']} ms; "
            f"stalls > 2 ms: {row['stalls_over_2ms']}, > 5 ms: {row['stalls_over_5ms']}; "
            f"worst stall CPU {row['worst_cpu_ms']} ms"
        )
        print(f"    lag ms {row['lag_ms']}")
        for s in row["worst"]:
            print(
                f"    at {s['at']} s late {s['late_ms']} ms: cpu {s['cpu_ms']}, rq {s['runqueue_ms']}, "
                f"off {s['off_cpu_ms']}, gc {s['gc_ms']}"
            )


if __name__ == "__main__":
    main()
