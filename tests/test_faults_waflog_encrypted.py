"""The encrypted WAF log's disk fills up under a real ``wafproxy serve`` (``RLIMIT_FSIZE`` on the
running process, as ``test_faults_waflog.py`` does for the plain log): requests are answered, a
sealed record torn by the limit is cut back and the sealer rewound, so the file decrypts with
``wafproxy logs decrypt`` at every point (``--allow-open`` while the writer runs, plain once it
closed) and every record is either in it or counted as dropped."""

from __future__ import annotations

import json
import resource
from pathlib import Path

import httpx

from tests.asgi.test_middleware import acl_document
from tests.control.stack import KEYS, write_credentials
from tests.support.servers import RunningServer, free_port, uvicorn_in_thread, wafproxy_process
from tests.support.wait import DEADLINE, until
from tests.test_encrypted_logs import ACCOUNT, _decrypt, _kms_client
from tests.test_faults_waflog import DROPPED, metric
from tests.test_integration_control import upstream_app

MARKER = "/enc-full-marker"


def test_encrypted_log_on_a_full_disk_drops_counts_and_always_decrypts(tmp_path: Path) -> None:
    (tmp_path / "acl.json").write_text(json.dumps(acl_document()))
    write_credentials(tmp_path / "credentials")
    kms_port, port, admin = free_port(), free_port(), free_port()
    kms_args = ("kms", "serve", "--listen", f"127.0.0.1:{kms_port}", "--data-dir", str(tmp_path / "kms"),
                "--root-key-file", str(tmp_path / "root.key"), "--credentials", str(tmp_path / "credentials"),
                "--account", ACCOUNT)
    key, secret = KEYS["ops"]
    log = tmp_path / "waf.log"
    sent = 0

    def uris(*flags: str) -> list[str]:
        out = _decrypt(log, kms_port, *flags)
        assert out.returncode == 0, out.stderr  # never a state decrypt rejects
        return [json.loads(r)["httpRequest"]["uri"] for r in out.stdout.splitlines()]

    with wafproxy_process(*kms_args, wait_ports=(kms_port,)), uvicorn_in_thread(upstream_app) as upstream:
        assert isinstance(upstream, RunningServer)
        kms = _kms_client(kms_port)
        kms.create_alias(AliasName="alias/waf-log", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
        args = ("serve", "--upstream", upstream.url, "--acl", str(tmp_path / "acl.json"),
                "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                "--waf-log", str(log), "--waf-log-kms-key", "alias/waf-log",
                "--kms-endpoint", f"http://127.0.0.1:{kms_port}")
        env = {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}
        with wafproxy_process(*args, env=env, wait_ports=(port, admin)) as proc, \
                httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=DEADLINE) as client:

            def burst(n: int, phase: str) -> None:
                nonlocal sent
                statuses = {client.get(f"{MARKER}/{phase}/{i}").status_code for i in range(n)}
                assert statuses == {200}  # a full log disk never fails or blocks a request
                sent += n

            burst(10, "before")
            until(lambda: len(uris("--allow-open")) == 10, what="10 sealed records written")
            size = log.stat().st_size
            _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
            # Room for part of one more sealed record: the next write is torn, then refused.
            resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (size + 300, hard))
            try:
                for _ in range(5):
                    burst(20, "full")
                until(lambda: metric(admin, DROPPED) >= 1, what="dropped records counted")
                until(lambda: metric(admin, DROPPED) + len(uris("--allow-open")) == sent,
                      what="every record sealed in the file or counted as dropped")
                assert log.stat().st_size <= size + 300
            finally:
                resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (hard, hard))  # the disk freed
            burst(5, "after")
            until(lambda: sum("/after/" in u for u in uris("--allow-open")) == 5,
                  what="sealed records written again after the disk freed")
            dropped = metric(admin, DROPPED)
            client.close()  # no idle keep-alive connection for the graceful stop to wait on
            proc.terminate()
            proc.wait(DEADLINE)
            assert proc.returncode == 0
        written = uris()  # closed: the end record is there, no --allow-open needed
    assert b"enc-full-marker" not in log.read_bytes()  # nothing in plaintext
    assert dropped >= 1 and dropped + len(written) == sent
    assert all(u.startswith(MARKER) for u in written)
