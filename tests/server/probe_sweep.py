"""Runs the generated probes (``probegen``) against a server on loopback in front of the raw
recording upstream, and says for each what happened: the statuses answered, what reached the
upstream, whether the connection was closed after it.

``python -m tests.server.probe_sweep`` starts our server and a raw upstream and prints one line
per probe (``--nginx``: also a plain nginx reverse proxy in front of the same upstream, configured
as the anchor's, side by side; ``--only CLASS``: one class). The test module asserts the same
outcomes row by row.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from tests.server.harness import responses
from tests.server.probegen import probes
from tests.server.probekit import H, Probe
from tests.support.recording_upstream import RecordingUpstream

AFTER = b"GET /after HTTP/1.1\r\n" + H + b"\r\n"  # pipelined behind a refusal: must never be read
LAST = b"GET /last HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n"  # ends an accepted probe


@dataclass
class Outcome:
    statuses: list[int]
    reached: list[tuple[bytes, bytes, bytes]]  # (method, target, body), or (b"?", b"?", why) unframed
    closed: bool  # the server closed the connection (rather than us timing out)
    raw: bytes = b""  # every byte the upstream read for the probe
    reframed: bool = True  # each request reached the upstream with one framing of ours, no hop-by-hop field

    def judge(self, probe: Probe) -> str | None:
        """None when the outcome is what the probe wants, else why not."""
        want = probe.want
        finals = [s for s in self.statuses if s >= 200]
        if self.reached != list(want.reached):
            return f"answered {self.statuses}, reached {self.reached}, wanted {list(want.reached)}"
        if finals[: len(want.reached)] != [200] * len(want.reached):
            return f"answered {self.statuses}"
        if not self.reframed:
            return f"not re-framed: {self.raw[:300]!r}"
        if want.refused:
            if len(finals) != len(want.reached) + 1 or finals[-1] not in want.statuses:
                return f"answered {self.statuses}, wanted one of {sorted(want.statuses)} last"
            if not self.closed:
                return "connection left open"
            if not want.reached and self.raw:
                return f"bytes reached the upstream: {self.raw[:300]!r}"
        return None


def send(port: int, data: bytes, timeout: float) -> tuple[bytes, bool]:
    """All the server answers to ``data`` until it closes (True) or ``timeout`` passes (False)."""
    out = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(data)
        while True:
            try:
                got = sock.recv(65536)
            except ConnectionResetError:
                return out, True
            except TimeoutError:
                return out, False
            if not got:
                return out, True
            out += got


def settle(port: int, up: RecordingUpstream, timeout: float) -> None:
    """A request answered through the upstream: what the server sent for the probe before it is
    out by then (one event loop, in order)."""
    mark = up.mark()
    answer, _ = send(port, b"GET /sentinel HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n", timeout)
    if not answer.startswith(b"HTTP/1.1 200"):
        raise AssertionError(f"sentinel not answered: {answer[:200]!r}")
    _, reached = up.since(mark)
    if [r.target for r in reached] != [b"/sentinel"]:
        raise AssertionError(f"sentinel: upstream read {[r.target for r in reached]}")


def run(port: int, up: RecordingUpstream, probe: Probe, timeout: float = 5.0) -> Outcome:
    mark = up.mark()
    tail = AFTER if probe.want.refused else LAST
    answer, closed = send(port, probe.data + tail, timeout)
    settle(port, up, timeout)
    raw, reached = up.since(mark)
    raw = raw[: raw.find(b"GET /sentinel ")]  # the sentinel is the last request read
    reached = [r for r in reached if r.target not in (b"/sentinel", b"/last")]
    seen = [(r.method, r.target, r.body) if r.framed else (b"?", b"?", r.body) for r in reached]
    reframed = all(
        r.framed
        and len(r.header(b"content-length")) + len(r.header(b"transfer-encoding")) <= 1
        and not r.header(b"upgrade")
        and not r.header(b"expect")
        and not r.header(b"trailer")
        and not r.header(b"x-t")
        for r in reached
    )
    return Outcome([status for status, _, _ in responses(answer)], seen, closed, raw, reframed)


NGINX_CONF = """worker_processes 1; pid {run}/nginx.pid; error_log {run}/error.log info;
events {{ worker_connections 64; }}
http {{ access_log off; client_body_temp_path {run}/body; proxy_temp_path {run}/proxy;
  fastcgi_temp_path {run}/f; uwsgi_temp_path {run}/u; scgi_temp_path {run}/s;
  upstream up {{ server 127.0.0.1:{upstream}; keepalive 8; }}
  server {{ listen 127.0.0.1:{port} default_server; server_name _;
    location / {{ proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection "";
                  proxy_set_header Host $host; }} }} }}
"""


@contextlib.contextmanager
def nginx_in_front(upstream: int) -> Iterator[int]:
    """A plain nginx reverse proxy (the anchor's configuration) on a free loopback port."""
    import subprocess
    import tempfile
    import time

    run_dir = tempfile.mkdtemp(prefix="probe-nginx-")
    with socket.socket() as probe_sock:
        probe_sock.bind(("127.0.0.1", 0))
        port = probe_sock.getsockname()[1]
    conf = f"{run_dir}/nginx.conf"
    with open(conf, "w") as out:
        out.write(
            ("user nobody nogroup;\n" if os.geteuid() == 0 else "")
            + NGINX_CONF.format(run=run_dir, upstream=upstream, port=port)
        )
    os.chmod(run_dir, 0o777)
    subprocess.run(["nginx", "-q", "-p", run_dir, "-e", f"{run_dir}/error.log", "-c", conf], check=True)
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            time.sleep(0.05)
        yield port
    finally:
        with open(f"{run_dir}/nginx.pid") as pid:
            os.kill(int(pid.read()), signal.SIGQUIT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nginx", action="store_true", help="also a plain nginx proxy, side by side")
    parser.add_argument("--only", help="one probe class")
    parser.add_argument("--failing", action="store_true", help="print only probes ours gets wrong")
    args = parser.parse_args(argv)
    import json
    import tempfile
    from pathlib import Path

    from tests.asgi.test_middleware import acl_document
    from tests.server.harness import proxy_in_thread
    from tests.support.recording_upstream import recording_upstream

    acl = Path(tempfile.mkdtemp()) / "acl.json"
    acl.write_text(json.dumps(acl_document()))
    bad = 0
    with (
        recording_upstream() as up,
        proxy_in_thread(up.url, acl) as proxy,
        nginx_in_front(up.port) if args.nginx else contextlib.nullcontext(0) as nginx,
    ):
        for probe in probes():
            if args.only and probe.cls != args.only:
                continue
            ours = run(proxy.port, up, probe)
            verdict = ours.judge(probe)
            bad += verdict is not None
            line = f"{probe.cls:16} {probe.id:28} ours {ours.statuses} closed={ours.closed}"
            line += f" up={len(ours.reached)}"
            if nginx:
                theirs = run(nginx, up, probe)
                line += f" | nginx {theirs.statuses} closed={theirs.closed} up={len(theirs.reached)}"
                line += "" if theirs.judge(probe) is None else " (nginx: " + str(theirs.judge(probe)) + ")"
            if verdict is not None or not args.failing:
                print(
                    ("FAIL " if verdict else "ok   ") + line + ("" if verdict is None else "  <- " + verdict)
                )
    print(f"{bad} probe(s) not as wanted", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
