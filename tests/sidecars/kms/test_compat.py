"""Unchanged AWS clients against our KMS: the ``aws kms`` CLI and the AWS Encryption SDK for Python.

Skipped when the package is not installed (they are test extras, not runtime dependencies).
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.sidecars.kms.conftest import KEYS, Kms


def _aws_env(kms: Kms, tmp: Path) -> dict[str, str]:
    key, secret = KEYS["alice"]
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "none"),
        "AWS_ENDPOINT_URL_KMS": kms.url,
    }


def test_aws_cli_round_trip(kms: Kms, alice: Any, tmp_path: Path) -> None:
    aws = shutil.which("aws", path=str(Path(sys.executable).parent)) or shutil.which("aws")
    if aws is None:
        pytest.skip("aws CLI not installed")
    key = alice.create_key()["KeyMetadata"]["KeyId"]
    (tmp_path / "plain").write_bytes(b"from the aws cli")
    env = _aws_env(kms, tmp_path)
    enc = subprocess.run(
        [
            aws,
            "kms",
            "encrypt",
            "--key-id",
            key,
            "--plaintext",
            f"fileb://{tmp_path / 'plain'}",
            "--encryption-context",
            "purpose=cli",
            "--output",
            "text",
            "--query",
            "CiphertextBlob",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert enc.returncode == 0, enc.stderr
    (tmp_path / "ct").write_bytes(base64.b64decode(enc.stdout.strip()))
    dec = subprocess.run(
        [
            aws,
            "kms",
            "decrypt",
            "--ciphertext-blob",
            f"fileb://{tmp_path / 'ct'}",
            "--encryption-context",
            "purpose=cli",
            "--output",
            "text",
            "--query",
            "Plaintext",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert dec.returncode == 0, dec.stderr
    assert base64.b64decode(dec.stdout.strip()) == b"from the aws cli"
    bad = subprocess.run(
        [aws, "kms", "decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'ct'}", "--output", "text"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0 and "InvalidCiphertextException" in bad.stderr


def test_encryption_sdk_round_trip(
    kms: Kms, alice: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = pytest.importorskip("aws_encryption_sdk")
    import botocore.session

    for k, v in _aws_env(kms, tmp_path).items():
        monkeypatch.setenv(k, v)
    key_arn = alice.create_key()["KeyMetadata"]["Arn"]
    client = sdk.EncryptionSDKClient(commitment_policy=sdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
    provider = sdk.StrictAwsKmsMasterKeyProvider(
        key_ids=[key_arn], botocore_session=botocore.session.Session()
    )
    ciphertext, _ = client.encrypt(
        source=b"sdk payload" * 100, key_provider=provider, encryption_context={"tenant": "t1"}
    )
    plaintext, header = client.decrypt(source=ciphertext, key_provider=provider)
    assert plaintext == b"sdk payload" * 100
    assert header.encryption_context["tenant"] == "t1"
    audit = (kms.data_dir / "audit.jsonl").read_text()
    assert '"eventName":"GenerateDataKey"' in audit  # the SDK talked to us, not to AWS
    # The SDK's data key really was wrapped by our KMS: with the key disabled, decryption fails.
    alice.disable_key(KeyId=key_arn)
    with pytest.raises(Exception):  # noqa: B017 (the SDK wraps our DisabledException in its own type)
        client.decrypt(source=ciphertext, key_provider=provider)
