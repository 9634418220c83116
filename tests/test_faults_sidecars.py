"""A process beside the proxy that dies does not take the proxy down.

The detector, the assessor and the hub run inside the proxy's own processes (``DataPath.services``,
the admin app); an in-process sink that raises is isolated by the dispatcher
(``tests/observability/test_dispatch.py``). What runs as its own process is the KMS sidecar
(``test_faults_kms.py``), Redis (``test_faults_redis.py``) and whatever receives the detector's
findings (``--detector-webhook``): here a real receiver process is frozen, killed and restarted
while ``wafproxy serve`` keeps answering, its findings file on a full disk (``/dev/full``) too.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.asgi.test_middleware import acl_document
from tests.support.servers import (
    REPO,
    RunningServer,
    free_port,
    uvicorn_in_thread,
    wafproxy_process,
    wait_for_port,
)
from tests.support.wait import DEADLINE, until
from tests.test_integration_control import upstream_app

_RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
out = open(sys.argv[2], "ab", buffering=0)
class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        out.write(self.rfile.read(int(self.headers["content-length"])) + b"\\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), Hook).serve_forever()
"""


@contextmanager
def receiver(port: int, out: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The webhook receiver as its own process (stdlib only), appending each POST body as a line."""
    proc = subprocess.Popen([sys.executable, "-c", _RECEIVER, str(port), str(out)], cwd=REPO)
    try:
        wait_for_port("127.0.0.1", port, proc=proc)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
        proc.wait(DEADLINE)


def findings(out: Path) -> list[str]:
    lines = out.read_bytes().splitlines() if out.exists() else []
    return [json.loads(line)["detail"]["type"] for line in lines]


def test_the_webhook_receiver_frozen_killed_and_back_never_touches_the_proxy(tmp_path: Path) -> None:
    (tmp_path / "acl.json").write_text(json.dumps(acl_document()))
    hook_port, port, admin = free_port(), free_port(), free_port()
    received = tmp_path / "received.jsonl"
    with uvicorn_in_thread(upstream_app) as upstream:
        assert isinstance(upstream, RunningServer)
        args = ("serve", "--upstream", upstream.url, "--acl", str(tmp_path / "acl.json"),
                "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                "--trusted-proxy", "127.0.0.1/32", "--detector-findings", "/dev/full",
                "--detector-webhook", f"http://127.0.0.1:{hook_port}/hook")
        with wafproxy_process(*args, wait_ports=(port, admin)) as proxy, \
                httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=DEADLINE) as client:
            scanners = iter(range(1, 1 << 16))

            def scan() -> bool:
                """A scanner from a new /64 (a new actor, a new finding); a benign request answered."""
                headers = {"user-agent": "nikto/2.5", "x-forwarded-for": f"2001:db8:{next(scanners):x}::1"}
                assert client.get("/scan", headers=headers).status_code in (200, 403)
                assert client.get("/ok").status_code == 200
                return True

            with receiver(hook_port, received) as hook:
                until(lambda: scan() and findings(received), what="the first finding at the receiver")
                hook.send_signal(signal.SIGSTOP)  # accepts, never answers: each POST waits 5 s
                for _ in range(2):
                    scan()
                assert client.get(f"http://127.0.0.1:{admin}/healthz").status_code == 200
                hook.kill()
            for _ in range(2):
                scan()
            seen = len(findings(received))
            with receiver(hook_port, received):  # back on its port: findings flow again
                until(lambda: scan() and len(findings(received)) > seen, what="findings delivered again")
            assert proxy.poll() is None
