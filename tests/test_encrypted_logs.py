"""Encrypted WAF logs end to end, real processes only: ``wafproxy serve --kms-listen … --waf-log PATH
--waf-log-kms-key alias/…`` in front of a real upstream, then ``wafproxy logs decrypt`` against
``wafproxy kms serve`` on the same key store. The decrypted records equal the plaintext log's
(volatile fields aside); the file holds no request path; a flipped byte or a cut tail exits 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

from tests.asgi.test_middleware import acl_document
from tests.control.stack import KEYS, write_credentials
from tests.support.servers import REPO, RunningServer, free_port, uvicorn_in_thread, wafproxy_process
from tests.support.wait import DEADLINE, until
from tests.test_integration_control import upstream_app

ACCOUNT = "000000000000"
MARKER = "/orders/enc-marker-7f3a"
REQUESTS = [("GET", MARKER + "/1", ""), ("GET", "/admin/enc-marker-panel", ""),
            ("GET", MARKER + "/2", "q=<script>alert(1)</script>"), ("POST", MARKER + "/3", "")]


def _serve(tmp: Path, upstream: str, log: Path, *extra: str) -> None:
    """One proxy run: the REQUESTS through it, then SIGTERM (the writer seals the file on close)."""
    port, admin = free_port(), free_port()
    args = ("serve", "--upstream", upstream, "--acl", str(tmp / "acl.json"), "--credentials",
            str(tmp / "credentials"), "--listen", f"127.0.0.1:{port}", "--admin-listen",
            f"127.0.0.1:{admin}", "--waf-log", str(log), *extra)
    kms_port = int(extra[extra.index("--kms-listen") + 1].rsplit(":", 1)[1]) if "--kms-listen" in extra else 0
    with wafproxy_process(*args, wait_ports=(port, admin, *((kms_port,) if kms_port else ()))) as proc:
        if kms_port:
            kms = _kms_client(kms_port)
            key_id = kms.create_key(Description="waf log")["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName="alias/waf-log", TargetKeyId=key_id)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=DEADLINE) as client:
            for method, path, query in REQUESTS:
                client.request(method, path + (f"?{query}" if query else ""), content=b"x=1")
    assert proc.returncode == 0, proc.returncode


def _kms_client(port: int) -> Any:
    key, secret = KEYS["admin"]
    return boto3.client("kms", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


def _decrypt(path: Path, kms_port: int, *flags: str) -> subprocess.CompletedProcess[str]:
    key, secret = KEYS["reader"]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", "wafproxy", "logs", "decrypt", str(path), "--kms-endpoint",
         f"http://127.0.0.1:{kms_port}", *flags],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )


def _stable(line: str) -> dict[str, Any]:
    """A record without what differs between two runs (time, request id, ports, ARNs)."""
    record = json.loads(line)
    record.pop("timestamp", None)
    record.pop("webaclId", None)
    record["httpRequest"].pop("requestId", None)
    record["httpRequest"]["headers"] = [h for h in record["httpRequest"]["headers"]
                                        if h["name"].lower() != "host"]
    return dict(record)


def test_serve_writes_an_encrypted_log_that_decrypts_to_the_plaintext_records(tmp_path: Path) -> None:
    (tmp_path / "acl.json").write_text(json.dumps(acl_document()))
    write_credentials(tmp_path / "credentials")
    kms_port = free_port()
    kms_flags = ("--kms-listen", f"127.0.0.1:{kms_port}", "--kms-data-dir", str(tmp_path / "kms"),
                 "--kms-root-key-file", str(tmp_path / "root.key"))
    plain, enc = tmp_path / "plain.log", tmp_path / "enc.log"
    with uvicorn_in_thread(upstream_app) as upstream:
        assert isinstance(upstream, RunningServer)
        _serve(tmp_path, upstream.url, plain)
        _serve(tmp_path, upstream.url, enc, *kms_flags, "--waf-log-kms-key", "alias/waf-log")

    raw = enc.read_bytes()
    assert b"enc-marker" not in raw and b"127.0.0.1" not in raw and b"BlockAdmin" not in raw
    assert json.loads(raw.splitlines()[0])["wafproxyEncryptedLog"] == 2

    # The proxy is gone; its key store is read by the standalone KMS sidecar.
    kms_args = ("kms", "serve", "--listen", f"127.0.0.1:{kms_port}", "--data-dir", str(tmp_path / "kms"),
                "--root-key-file", str(tmp_path / "root.key"), "--credentials", str(tmp_path / "credentials"),
                "--account", ACCOUNT)
    with wafproxy_process(*kms_args, wait_ports=(kms_port,)):
        out = _decrypt(enc, kms_port)
        assert out.returncode == 0, out.stderr
        records = out.stdout.splitlines()
        assert [_stable(r) for r in records] == [_stable(r) for r in plain.read_text().splitlines()]
        assert [json.loads(r)["action"] for r in records] == ["ALLOW", "BLOCK", "BLOCK", "ALLOW"]
        assert json.loads(records[0])["httpRequest"]["uri"] == MARKER + "/1"

        lines = enc.read_text().splitlines()
        flipped = lines[2][:10] + ("A" if lines[2][10] != "A" else "B") + lines[2][11:]
        tampered = tmp_path / "tampered.log"
        tampered.write_text("\n".join([*lines[:2], flipped, *lines[3:]]) + "\n")
        bad = _decrypt(tampered, kms_port)
        assert bad.returncode == 1 and bad.stdout == "" and "line 3" in bad.stderr

        cut = tmp_path / "cut.log"
        cut.write_text("\n".join(lines[:-1]) + "\n")
        short = _decrypt(cut, kms_port)
        assert short.returncode == 1 and short.stdout == "" and "no end record" in short.stderr
        assert len(_decrypt(cut, kms_port, "--allow-open").stdout.splitlines()) == len(REQUESTS)

        swapped = tmp_path / "swapped.log"
        swapped.write_text("\n".join([lines[0], lines[2], lines[1], *lines[3:]]) + "\n")
        assert _decrypt(swapped, kms_port).returncode == 1


def test_unreachable_kms_endpoint_drops_and_counts_never_plaintext(tmp_path: Path) -> None:
    (tmp_path / "acl.json").write_text(json.dumps(acl_document()))
    write_credentials(tmp_path / "credentials")
    log = tmp_path / "enc.log"
    port, admin = free_port(), free_port()
    env = {"AWS_ACCESS_KEY_ID": "AKIAWAFLOG000000001", "AWS_SECRET_ACCESS_KEY": "not-used-no-kms-answers"}
    with uvicorn_in_thread(upstream_app) as upstream:
        assert isinstance(upstream, RunningServer)
        args = ("serve", "--upstream", upstream.url, "--acl", str(tmp_path / "acl.json"),
                "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                "--waf-log", str(log), "--waf-log-kms-key", "alias/waf-log",
                "--kms-endpoint", f"http://127.0.0.1:{free_port()}")
        with wafproxy_process(*args, env=env, wait_ports=(port, admin)):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=DEADLINE) as client:
                statuses = [client.get(MARKER).status_code for _ in range(3)]
                assert statuses == [200, 200, 200]  # the request path does not wait for the KMS
                metric = 'wafproxy_waf_log_records_dropped_total{reason="kms_unavailable"}'

                def scrape() -> str:
                    return httpx.get(f"http://127.0.0.1:{admin}/metrics", timeout=DEADLINE).text

                until(lambda: metric in scrape(), what=metric)  # the writer thread drops asynchronously
                text = scrape()
                dropped = [ln for ln in text.splitlines() if ln.startswith(metric)]
                assert dropped and float(dropped[0].split()[-1]) >= 1
    assert b"enc-marker" not in log.read_bytes()


def test_workers_encrypt_their_own_files_through_kms_endpoint(tmp_path: Path) -> None:
    """``--workers 2``: each worker writes ``PATH.<pid>`` with its own data keys from the KMS sidecar."""
    (tmp_path / "acl.json").write_text(json.dumps(acl_document()))
    write_credentials(tmp_path / "credentials")
    kms_port, port, admin = free_port(), free_port(), free_port()
    key, secret = KEYS["ops"]
    env = {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}
    kms_args = ("kms", "serve", "--listen", f"127.0.0.1:{kms_port}", "--data-dir", str(tmp_path / "kms"),
                "--root-key-file", str(tmp_path / "root.key"), "--credentials", str(tmp_path / "credentials"))
    log = tmp_path / "waf.log"
    with wafproxy_process(*kms_args, wait_ports=(kms_port,)), uvicorn_in_thread(upstream_app) as upstream:
        assert isinstance(upstream, RunningServer)
        kms = _kms_client(kms_port)
        kms.create_alias(AliasName="alias/waf-log", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
        args = ("serve", "--upstream", upstream.url, "--acl", str(tmp_path / "acl.json"), "--workers", "2",
                "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                "--waf-log", str(log), "--waf-log-kms-key", "alias/waf-log",
                "--kms-endpoint", f"http://127.0.0.1:{kms_port}")
        with wafproxy_process(*args, env=env, wait_ports=(port, admin)) as proc:
            for i in range(20):  # a new connection each: both workers get some
                with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=DEADLINE) as client:
                    assert client.get(f"{MARKER}/{i}").status_code == 200
        assert proc.returncode == 0
        files = sorted(tmp_path.glob("waf.log.*"))
        assert files and all(b"enc-marker" not in p.read_bytes() for p in files)
        uris: list[str] = []
        for p in files:
            out = _decrypt(p, kms_port)
            assert out.returncode == 0, out.stderr
            uris += [json.loads(r)["httpRequest"]["uri"] for r in out.stdout.splitlines()]
        assert sorted(uris) == sorted(f"{MARKER}/{i}" for i in range(20))
