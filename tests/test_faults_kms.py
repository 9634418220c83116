"""The KMS sidecar frozen, then back, then killed, while ``wafproxy serve`` writes an encrypted WAF
log through ``--kms-endpoint`` (real processes: ``wafproxy kms serve``, the proxy, boto3 for the
key). Requests are answered throughout; a record that cannot be sealed is dropped and counted
(``kms_unavailable``), never written in plaintext; the file's data key, once had, keeps sealing
records while the KMS is gone (one data key per file); every record is either in the file
(it decrypts) or counted as dropped. ``test_encrypted_logs.py`` covers a KMS never reachable."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest

from tests.asgi.test_middleware import acl_document
from tests.control.stack import KEYS, write_credentials
from tests.support.servers import RunningServer, free_port, uvicorn_in_thread, wafproxy_process
from tests.support.wait import DEADLINE, until
from tests.test_encrypted_logs import ACCOUNT, _decrypt, _kms_client
from tests.test_integration_control import upstream_app

DROPPED = 'wafproxy_waf_log_records_dropped_total{reason="kms_unavailable"}'
MARKER = "/kms-fault-marker"


def dropped(admin: int) -> float:
    for line in httpx.get(f"http://127.0.0.1:{admin}/metrics", timeout=DEADLINE).text.splitlines():
        if line.startswith(DROPPED + " "):
            return float(line.split()[-1])
    return 0.0


@pytest.mark.slow  # ~25 s: boto3's own timeouts against the frozen KMS (2 x 5 s), the 5 s retry
def test_kms_frozen_back_and_killed_fails_closed_and_accounts_for_every_record(tmp_path: Path) -> None:
    (tmp_path / "acl.json").write_text(json.dumps(acl_document()))
    write_credentials(tmp_path / "credentials")
    kms_port, port, admin = free_port(), free_port(), free_port()
    kms_args = ("kms", "serve", "--listen", f"127.0.0.1:{kms_port}", "--data-dir", str(tmp_path / "kms"),
                "--root-key-file", str(tmp_path / "root.key"), "--credentials", str(tmp_path / "credentials"),
                "--account", ACCOUNT)
    key, secret = KEYS["ops"]
    env = {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}
    log = tmp_path / "waf.log"
    sent = 0
    with uvicorn_in_thread(upstream_app) as upstream:
        assert isinstance(upstream, RunningServer)
        args = ("serve", "--upstream", upstream.url, "--acl", str(tmp_path / "acl.json"),
                "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                "--waf-log", str(log), "--waf-log-kms-key", "alias/waf-log",
                "--kms-endpoint", f"http://127.0.0.1:{kms_port}")
        with wafproxy_process(*kms_args, wait_ports=(kms_port,)) as kms_proc:
            kms = _kms_client(kms_port)
            kms.create_alias(AliasName="alias/waf-log", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
            kms_proc.send_signal(signal.SIGSTOP)  # accepts connections, never answers
            try:
                with wafproxy_process(*args, env=env, wait_ports=(port, admin)) as proc, \
                        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=DEADLINE) as client:

                    def burst(n: int, phase: str) -> None:
                        nonlocal sent
                        statuses = {client.get(f"{MARKER}/{phase}/{i}").status_code for i in range(n)}
                        assert statuses == {200}  # the request path never waits on the KMS
                        sent += n

                    burst(10, "frozen")
                    until(lambda: dropped(admin) >= 1, what="records dropped while the KMS is frozen")
                    assert b"kms-fault-marker" not in log.read_bytes()

                    kms_proc.send_signal(signal.SIGCONT)
                    # A failed key request is retried after 5 s, on the next batch: keep sending.
                    until(lambda: (burst(1, "back"), log.exists() and log.stat().st_size > 0)[1],
                          what="a data key from the KMS again")
                    burst(5, "back")

                    kms_proc.kill()  # the file's data key is in hand: records go on, sealed
                    kms_proc.wait(DEADLINE)
                    burst(5, "killed")
                    lost = dropped(admin)
                    client.close()  # no idle keep-alive connection for the graceful stop to wait on
                    proc.terminate()
                    proc.wait(DEADLINE)
                    assert proc.returncode == 0
            finally:
                if kms_proc.poll() is None:
                    kms_proc.send_signal(signal.SIGCONT)

    raw = log.read_bytes()
    assert b"kms-fault-marker" not in raw and b"httpRequest" not in raw  # nothing in plaintext
    with wafproxy_process(*kms_args, wait_ports=(kms_port,)):
        out = _decrypt(log, kms_port)
    assert out.returncode == 0, out.stderr
    uris = [json.loads(r)["httpRequest"]["uri"] for r in out.stdout.splitlines()]
    assert all(u.startswith(MARKER) for u in uris)
    assert any("/killed/" in u for u in uris) and not any("/frozen/" in u for u in uris)
    assert lost >= 10 and len(uris) + lost == sent  # each record written or counted, none silently lost
