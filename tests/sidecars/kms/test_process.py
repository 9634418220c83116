"""The KMS as its own process: serve, kill -9, restart — nothing acknowledged is lost; root key rules."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.sidecars.kms.conftest import CREDENTIALS, KEYS, ROOT_KEY, start_kms
from tests.support.servers import REPO, free_port, wait_for_port
from tests.support.wait import eventually
from wafproxy.sidecars.kms.audit import verify_audit


@contextmanager
def kms_process(
    tmp: Path, *extra: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    creds = tmp / "credentials"
    creds.write_text(CREDENTIALS)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wafproxy.sidecars.kms",
            "serve",
            "--listen",
            f"127.0.0.1:{port}",
            "--data-dir",
            str(tmp / "data"),
            "--root-key-file",
            str(tmp / "root.key"),
            "--credentials",
            str(creds),
            *extra,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    try:
        wait_for_port("127.0.0.1", port, proc=proc)
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def _client(url: str) -> Any:
    key, secret = KEYS["alice"]
    return boto3.client(
        "kms",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def test_kill_9_loses_no_acknowledged_key(tmp_path: Path) -> None:
    with kms_process(tmp_path) as (proc, url):
        client = _client(url)
        keys = [client.create_key()["KeyMetadata"]["KeyId"] for _ in range(5)]
        client.create_alias(AliasName="alias/survivor", TargetKeyId=keys[0])
        client.rotate_key_on_demand(KeyId=keys[1])
        blobs = {k: client.encrypt(KeyId=k, Plaintext=k.encode())["CiphertextBlob"] for k in keys}
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    root = tmp_path / "root.key"
    assert stat.S_IMODE(root.stat().st_mode) == 0o600 and len(root.read_text().strip()) == 64
    with kms_process(tmp_path) as (_, url):
        client = _client(url)
        listed = {k["KeyId"] for k in client.list_keys()["Keys"]}
        assert set(keys) <= listed
        for k, b in blobs.items():
            assert client.decrypt(CiphertextBlob=b)["Plaintext"] == k.encode()
        assert client.describe_key(KeyId="alias/survivor")["KeyMetadata"]["KeyId"] == keys[0]
    assert verify_audit(tmp_path / "data").ok


def test_refuses_open_root_key_and_wrong_root_key(tmp_path: Path) -> None:
    with kms_process(tmp_path) as (_, url):
        _client(url).create_key()
    root = tmp_path / "root.key"
    root.chmod(0o644)
    out = _run_expect_exit(tmp_path)
    assert "too open" in out
    root.unlink()  # a new, different root key gets created: it must not open the old keystore
    out = _run_expect_exit(tmp_path)
    assert "root key does not match" in out


def _run_expect_exit(tmp: Path) -> str:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "wafproxy.sidecars.kms",
            "serve",
            "--listen",
            f"127.0.0.1:{free_port()}",
            "--data-dir",
            str(tmp / "data"),
            "--root-key-file",
            str(tmp / "root.key"),
            "--credentials",
            str(tmp / "credentials"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    return proc.stderr


def test_material_never_on_disk_in_plaintext(tmp_path: Path) -> None:
    kms, stop = start_kms(tmp_path)
    try:
        client = kms.client("alice")
        key = client.create_key()["KeyMetadata"]["KeyId"]
        client.encrypt(KeyId=key, Plaintext=b"hello")
        material = kms.service.core.material(kms.service.core.records[key])
        blobs = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
        assert len(material) == 32 and material not in blobs and ROOT_KEY not in blobs
        assert material.hex().encode() not in blobs
        assert stat.S_IMODE((tmp_path / "keys.sqlite3").stat().st_mode) == 0o600
    finally:
        stop()


def test_verify_audit_command_detects_an_edit(tmp_path: Path) -> None:
    kms, stop = start_kms(tmp_path)
    try:
        client = kms.client("alice")
        for _ in range(3):
            client.generate_random(NumberOfBytes=4)
    finally:
        stop()
    cmd = [sys.executable, "-m", "wafproxy.sidecars.kms", "verify-audit", "--data-dir", str(tmp_path)]
    ok = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0, ok.stderr
    log = tmp_path / "audit.jsonl"
    lines = log.read_text().splitlines()
    lines[1] = lines[1].replace('"GenerateRandom"', '"Decrypt"')
    log.write_text("\n".join(lines) + "\n")
    bad = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "record 2" in bad.stderr
    # Deleting the last line is caught by the head record.
    log.write_text("\n".join(lines[:1]) + "\n")
    assert subprocess.run(cmd, cwd=REPO, capture_output=True, timeout=30).returncode != 0
    missing = [
        sys.executable,
        "-m",
        "wafproxy.sidecars.kms",
        "verify-audit",
        "--data-dir",
        str(tmp_path / "none"),
    ]
    assert subprocess.run(missing, cwd=REPO, capture_output=True, timeout=30).returncode == 1
    # And init-root-key makes a 0600 file once, never overwriting.
    rk = tmp_path / "new.key"
    init = [sys.executable, "-m", "wafproxy.sidecars.kms", "init-root-key", str(rk)]
    assert subprocess.run(init, cwd=REPO, capture_output=True, timeout=30).returncode == 0
    assert stat.S_IMODE(rk.stat().st_mode) == 0o600
    assert subprocess.run(init, cwd=REPO, capture_output=True, timeout=30).returncode == 1


@pytest.fixture(autouse=True)
def _no_env_root_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WAFPROXY_KMS_ROOT_KEY", raising=False)
    os.environ.pop("WAFPROXY_KMS_ROOT_KEY", None)


def test_rotation_after_restart_keeps_old_versions(tmp_path: Path) -> None:
    # Regression: a rotation right after a restart must not hide the versions not yet loaded.
    kms, stop = start_kms(tmp_path)
    try:
        client = kms.client("alice")
        key = client.create_key()["KeyMetadata"]["KeyId"]
        old = client.encrypt(KeyId=key, Plaintext=b"v1")["CiphertextBlob"]
    finally:
        stop()
    kms, stop = start_kms(tmp_path)
    try:
        client = kms.client("alice")
        client.rotate_key_on_demand(KeyId=key)
        assert client.decrypt(CiphertextBlob=old)["Plaintext"] == b"v1"
        new = client.encrypt(KeyId=key, Plaintext=b"v2")["CiphertextBlob"]
        assert client.decrypt(CiphertextBlob=new)["Plaintext"] == b"v2"
    finally:
        stop()


def test_kill_9_during_a_stream_of_writes(tmp_path: Path) -> None:
    """Kill the server while clients are creating keys: every acknowledged key is there afterwards."""
    import threading

    acknowledged: list[str] = []
    with kms_process(tmp_path) as (proc, url):
        client = _client(url)

        def writer() -> None:
            while True:
                try:
                    acknowledged.append(client.create_key()["KeyMetadata"]["KeyId"])
                except Exception:
                    return

        thread = threading.Thread(target=writer)
        thread.start()
        eventually(lambda: len(acknowledged) >= 15, interval=0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        thread.join(timeout=30)
    assert len(acknowledged) >= 15
    with kms_process(tmp_path) as (_, url):
        client = _client(url)
        listed = {
            k["KeyId"] for k in client.get_paginator("list_keys").paginate().build_full_result()["Keys"]
        }
        assert set(acknowledged) <= listed
        for key in acknowledged[-3:]:
            client.encrypt(KeyId=key, Plaintext=b"alive")
    assert verify_audit(tmp_path / "data").ok


def test_one_process_per_data_dir(tmp_path: Path) -> None:
    from wafproxy.sidecars.kms.keystore import KeyStore, KeyStoreError

    first = KeyStore(tmp_path, ROOT_KEY)
    try:
        with pytest.raises(KeyStoreError, match="another KMS process"):
            KeyStore(tmp_path, ROOT_KEY)
    finally:
        first.close()
    KeyStore(tmp_path, ROOT_KEY).close()  # released on close


def test_policies_grants_aliases_tags_survive_restart(tmp_path: Path) -> None:
    import json

    bob = "arn:aws:iam::123456789012:user/bob"
    only_alice = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "kms:*",
                    "Resource": "*",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:user/alice"},
                }
            ]
        }
    )
    kms, stop = start_kms(tmp_path)
    try:
        alice = kms.client("alice")
        key = alice.create_key(Policy=only_alice, Tags=[{"TagKey": "t", "TagValue": "v"}])["KeyMetadata"][
            "KeyId"
        ]
        alice.create_alias(AliasName="alias/kept", TargetKeyId=key)
        alice.create_grant(KeyId=key, GranteePrincipal=bob, Operations=["Encrypt"])
    finally:
        stop()
    kms, stop = start_kms(tmp_path)
    try:
        alice, bob_client = kms.client("alice"), kms.client("bob")
        assert bob_client.encrypt(KeyId="alias/kept", Plaintext=b"x")["KeyId"].endswith(key)  # via the grant
        assert json.loads(alice.get_key_policy(KeyId=key)["Policy"]) == json.loads(only_alice)
        assert alice.list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "t", "TagValue": "v"}]
    finally:
        stop()


def test_flags_are_mirrored_by_environment(tmp_path: Path) -> None:
    from botocore.exceptions import ClientError

    policies = tmp_path / "policies.json"
    policies.write_text(
        '{"alice": {"Statement": [{"Effect": "Allow", "Action": "kms:Describe*", "Resource": "*"}]}}'
    )
    with kms_process(tmp_path, env={"WAFPROXY_KMS_POLICY_FILE": str(policies)}) as (_, url):
        with pytest.raises(ClientError) as err:
            _client(url).create_key()
        assert err.value.response["Error"]["Code"] == "AccessDeniedException"
