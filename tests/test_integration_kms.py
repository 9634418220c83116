"""``wafproxy serve --kms-listen``: the KMS API in-process beside the proxy, boto3 as the client."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from botocore.config import Config

from tests.control.stack import KEYS, write_credentials
from tests.support.servers import RunningServer, free_port, uvicorn_in_thread, wafproxy_process
from tests.test_integration_control import upstream_app
from tests.test_serve import acl_document


def test_serve_runs_the_kms_beside_the_proxy(tmp_path: Path) -> None:
    acl = tmp_path / "acl.json"
    acl.write_text(json.dumps(acl_document()))
    creds = write_credentials(tmp_path / "credentials")
    root_key = tmp_path / "root.key"
    port, admin, kms_port = free_port(), free_port(), free_port()
    with uvicorn_in_thread(upstream_app) as upstream:
        assert isinstance(upstream, RunningServer)
        args = ("serve", "--upstream", upstream.url, "--acl", str(acl), "--credentials", str(creds),
                "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                "--kms-listen", f"127.0.0.1:{kms_port}", "--kms-data-dir", str(tmp_path / "kms"),
                "--kms-root-key-file", str(root_key))
        with wafproxy_process(*args, wait_ports=(port, admin, kms_port)):
            key, secret = KEYS["admin"]
            kms = boto3.client("kms", endpoint_url=f"http://127.0.0.1:{kms_port}", region_name="us-east-1",
                               aws_access_key_id=key, aws_secret_access_key=secret,
                               config=Config(retries={"max_attempts": 1}))
            key_id = kms.create_key()["KeyMetadata"]["KeyId"]
            blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]
            assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
            arn = kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
            assert ":000000000000:" in arn  # one --account-id everywhere
    assert root_key.stat().st_mode & 0o777 == 0o600  # created on first start, private
