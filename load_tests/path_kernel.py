"""What the kernel does per served request: wafproxy against the nginx reverse proxy, same load.

Why: CPU per request splits into the proxy's own code and the system calls, segments and wake-ups
it asks the kernel for. Instruction counts (``path_instructions.py``) cover the first; this covers
the second, for both proxies under the same ``wrk`` load, so a difference in how they use the
kernel (writes per response, segments and ACKs per request, epoll calls, context switches) shows
as a number per request, not as a wall-clock guess on a shared machine.

Per target, over one ``wrk`` run (after a warm-up run): system calls by name (``perf stat`` on
the syscall tracepoints of the serving process), epoll_wait events per call (``perf record`` of
its exits), utime/stime and voluntary/involuntary context switches (``/proc``), and the segments
each side of the proxy sent and received (``ss -tin``: ``segs_out``/``segs_in`` of the proxy's
own sockets, both the client-facing and the upstream-facing ones, before and after).

    PYTHONPATH=$PWD python load_tests/path_kernel.py --acl /tmp/empty-acl.json [--duration 5]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_proxy as bp  # noqa: E402 - the sibling bench's servers and wrk runner

SYSCALLS = ("read", "recvfrom", "write", "writev", "sendto", "epoll_wait", "epoll_pwait", "epoll_ctl",
            "setsockopt", "getsockopt", "getpid", "accept4", "close", "futex", "ioctl")


def threads(pid: int) -> list[int]:
    return [int(t) for t in os.listdir(f"/proc/{pid}/task")]


def proc_counts(pid: int) -> dict[str, float]:
    """utime/stime (s) and context switches of every thread of ``pid``."""
    out = {"utime": 0.0, "stime": 0.0, "voluntary": 0.0, "involuntary": 0.0}
    for tid in threads(pid):
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
            out["utime"] += int(fields[11]) / bp.CLK_TCK
            out["stime"] += int(fields[12]) / bp.CLK_TCK
            status = Path(f"/proc/{pid}/task/{tid}/status").read_text()
            out["voluntary"] += int(re.search(r"voluntary_ctxt_switches:\s+(\d+)", status).group(1))
            out["involuntary"] += int(re.search(r"nonvoluntary_ctxt_switches:\s+(\d+)", status).group(1))
    return out


SEGMENT_KEYS = ("segs_out", "segs_in", "data_segs_out", "data_segs_in")


def socket_segments(pid: int) -> dict[tuple[str, str], dict[str, int]]:
    """segs_out/segs_in/data_segs_* of each TCP socket ``pid`` holds, by (local, peer) address."""
    out = subprocess.run(["ss", "-tinpH", "state", "established"], capture_output=True, text=True).stdout
    sockets = {}
    for block in re.split(r"\n(?=\S)", out):
        if f"pid={pid}," not in block:
            continue
        local, peer = block.split()[2:4]
        sockets[(local, peer)] = {key: int(m.group(1)) if (m := re.search(rf"\b{key}:(\d+)", block)) else 0
                                  for key in SEGMENT_KEYS}
    return sockets


def segment_rates(before: dict, after: dict, listen_port: str) -> dict[str, float]:
    """Segments per request on each side, over the sockets alive at both snapshots. Requests are
    the client side's data segments in (a small GET is one segment)."""
    sums = {"client": dict.fromkeys(SEGMENT_KEYS, 0), "upstream": dict.fromkeys(SEGMENT_KEYS, 0)}
    for key, now in after.items():
        then = before.get(key)
        if then is None:
            continue
        side = "client" if key[0].endswith(":" + listen_port) else "upstream"
        for k in SEGMENT_KEYS:
            sums[side][k] += now[k] - then[k]
    n = sums["client"]["data_segs_in"] or 1
    row = {}
    for side, values in sums.items():
        row[f"{side} segs in"] = values["segs_in"] / n
        row[f"{side} segs out"] = values["segs_out"] / n
        row[f"{side} data segs out"] = values["data_segs_out"] / n
        row[f"{side} pure acks out"] = (values["segs_out"] - values["data_segs_out"]) / n
    return row


def serving_pid(root: int) -> int:
    """The process that serves: nginx's one worker, wafproxy's serving process (itself or its child)."""
    children = bp._children().get(root, [])
    return children[0] if len(children) == 1 else root


def _perf(args: list[str], pid: int, seconds: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["perf", *args, "-p", str(pid), "--", "sleep", str(seconds)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stat_counts(path: Path) -> dict[str, float]:
    counts: dict[str, float] = {}
    for line in path.read_text().splitlines():
        parts = line.split(",")
        if len(parts) > 2 and parts[0].strip().isdigit():
            counts[parts[2].replace("syscalls:sys_enter_", "")] = float(parts[0])
    return counts


def _print_profile(data: Path) -> None:
    """Self time by symbol (kernel included); the callers of one symbol with PATH_KERNEL_CALLERS."""
    report = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children",
                             "--sort", "dso,sym",
                             "-g", "none", "--percent-limit", "0.7"], capture_output=True, text=True).stdout
    print("\n".join(line for line in report.splitlines() if line.strip() and not line.startswith("#")))
    symbol = os.environ.get("PATH_KERNEL_CALLERS")
    if symbol:
        callers = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "-S", symbol,
                                  "-G", "--percent-limit", "0.3"], capture_output=True, text=True).stdout
        print(callers[:12000])


def _epoll_returns(data: Path) -> list[int]:
    script = subprocess.run(["perf", "script", "-i", str(data), "-F", "event,trace"],
                            capture_output=True, text=True).stdout
    return [int(m.group(1), 16) for m in re.finditer(r"0x([0-9a-f]+)\s*$", script, re.M)]


def measure(name: str, url: str, pid: int, duration: int, connections: int,
            profile: bool = False) -> dict[str, float]:
    bp.run_wrk(url, 1, connections)  # warm-up: connections and upstream keep-alive established
    events = [f"syscalls:sys_enter_{s}" for s in SYSCALLS]
    events += ["raw_syscalls:sys_enter", "context-switches", "page-faults"]
    with tempfile.TemporaryDirectory() as tmp:
        stat_out, rec_out, prof_out = Path(tmp) / "stat.txt", Path(tmp) / "perf.data", Path(tmp) / "prof.data"
        before = proc_counts(pid)
        perfs = [_perf(["stat", "-x,", "-o", str(stat_out), "-e", ",".join(events)], pid, duration + 1),
                 _perf(["record", "-q", "-o", str(rec_out), "-e", "syscalls:sys_exit_epoll_wait",
                        "-e", "syscalls:sys_exit_epoll_pwait"], pid, duration + 1)]
        if profile:
            perfs.append(_perf(["record", "-q", "-g", "-F", "2000", "-e", "cpu-clock", "-o", str(prof_out)],
                               pid, duration))
        time.sleep(0.5)
        snaps: list[dict] = []

        def sample() -> None:  # the sockets alive mid-run: wrk's connect and close are outside
            time.sleep(1)
            snaps.append(socket_segments(pid))
            time.sleep(duration - 2)
            snaps.append(socket_segments(pid))

        sampler = threading.Thread(target=sample)
        sampler.start()
        result = bp.run_wrk(url, duration, connections)
        sampler.join()
        after = proc_counts(pid)
        for perf in perfs:
            perf.wait()
        counts = _stat_counts(stat_out)
        rets = _epoll_returns(rec_out)
        if profile:
            _print_profile(prof_out)
    # wrk's requests only roughly cover the perf window (it starts 0.5 s later and ends 0.5 s
    # earlier): the counts per request are a little high, by the same share for every target.
    n = result["requests"]
    row: dict[str, float] = {"requests": n, "req/s": result["rps"]}
    for key, value in counts.items():
        row[key] = value / n
    user, system = after["utime"] - before["utime"], after["stime"] - before["stime"]
    row["cpu µs"] = (user + system) * 1e6 / n
    row["user µs"] = user * 1e6 / n
    row["sys µs"] = system * 1e6 / n
    row["vol cs"] = (after["voluntary"] - before["voluntary"]) / n
    row["invol cs"] = (after["involuntary"] - before["involuntary"]) / n
    row.update(segment_rates(snaps[0], snaps[1], url.rsplit(":", 1)[1]))
    if rets:
        row["epoll calls (rec)"] = len(rets) / n
        row["events/epoll"] = sum(rets) / len(rets)
        row["empty epolls %"] = 100 * sum(1 for r in rets if r == 0) / len(rets)
    print(f"\n{name}: {n:.0f} requests, {result['rps']:.0f} req/s", flush=True)
    for key, value in row.items():
        if key not in ("requests", "req/s") and value:
            print(f"  {key:22s} {value:8.3f}")
    return row


@contextlib.contextmanager
def nginx_proxy(run: Path, upstream_port: int) -> Iterator[bp.Target]:
    """The anchor's plain reverse proxy config on an ephemeral port (the anchors' own are fixed)."""
    port = bp.free_port()
    tpl = (bp.ANCHORS / "nginx" / "proxy.conf.tmpl").read_text()
    conf = (tpl.replace("@@RUN@@", str(run / "proxy")).replace("@@PORT@@", str(port))
            .replace("@@UPSTREAM_PORT@@", str(upstream_port)).replace("@@LOAD_MODULE@@", "")
            .replace("@@MODSEC_DIRECTIVES@@", ""))
    if os.getuid() == 0:
        conf = "user nobody nogroup;\n" + conf
    (run / "proxy" / "logs").mkdir(parents=True, exist_ok=True)
    (run / "proxy" / "tmp").mkdir(parents=True, exist_ok=True)
    (run / "proxy" / "nginx.conf").write_text(conf)
    subprocess.run(["nginx", "-p", str(run / "proxy"), "-c", str(run / "proxy" / "nginx.conf"),
                    "-e", str(run / "proxy" / "logs" / "error.log")], check=True)
    bp.wait_port(port)
    pid = int((run / "proxy" / "nginx.pid").read_text())
    try:
        yield bp.Target("nginx proxy", f"http://127.0.0.1:{port}", [pid])
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 15)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--acl", default=None, help="web ACL JSON (default: the default ACL)")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--profile", action="store_true", help="perf cpu-clock profile by symbol (kernel too)")
    ap.add_argument("--no-nginx", action="store_true", help="wafproxy only")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="path-kernel-") as tmp, contextlib.ExitStack() as stack:
        run = Path(tmp)
        upstream = stack.enter_context(bp.nginx_upstream(run, 1024))
        up_port = int(upstream.url.rsplit(":", 1)[1])
        targets = []
        if not args.no_nginx:
            targets.append(stack.enter_context(nginx_proxy(run, up_port)))
        targets.append(stack.enter_context(bp.wafproxy(upstream.url, 1, args.acl)))
        for target in targets:
            measure(target.name, target.url, serving_pid(target.pids[0]), args.duration, args.connections,
                    args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
