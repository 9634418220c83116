"""Authentication and authorization, each with boto3: the AWS error, and nothing done."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sidecars.kms.conftest import ACCOUNT, Kms, error_code, start_kms
from wafproxy.awsapi.policy import load_principal_policies
from wafproxy.sidecars.kms.audit import verify_audit


def _audit(kms: Kms) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (kms.data_dir / "audit.jsonl").read_text().splitlines()]


def test_unknown_access_key(kms: Kms) -> None:
    before = len(kms.service.core.records)
    with pytest.raises(ClientError) as err:
        kms.client("AKIANOBODY").create_key()
    assert error_code(err) == "UnrecognizedClientException"
    assert len(kms.service.core.records) == before
    last = _audit(kms)[-1]
    assert last["errorCode"] == "UnrecognizedClientException" and last["eventName"] == "CreateKey"
    assert last["userIdentity"]["accessKeyId"] == "AKIANOBODY"


def test_wrong_secret(kms: Kms) -> None:
    before = len(kms.service.core.records)
    with pytest.raises(ClientError) as err:
        kms.client("alice", secret="not-alices-secret").create_key()
    assert error_code(err) == "InvalidSignatureException"
    assert len(kms.service.core.records) == before
    text = (kms.data_dir / "audit.jsonl").read_text()
    assert "not-alices-secret" not in text and "alice-secret-key" not in text


def test_tampered_body(kms: Kms, alice: Any) -> None:
    key = alice.create_key()["KeyMetadata"]["KeyId"]
    client = kms.client("alice")

    tampered: list[bytes] = []

    def tamper(request: Any, **_: Any) -> None:  # after signing, before the bytes leave
        body = request.body if isinstance(request.body, bytes) else request.body.encode()
        request.body = body.replace(b'"aaaa"', b'"bbbb"')
        tampered.append(request.body)

    client.meta.events.register("before-send.kms.UpdateKeyDescription", tamper)
    with pytest.raises(ClientError) as err:
        client.update_key_description(KeyId=key, Description="aaaa")
    assert error_code(err) == "InvalidSignatureException"
    assert tampered and b'"bbbb"' in tampered[0]
    assert alice.describe_key(KeyId=key)["KeyMetadata"]["Description"] == ""


class _Skewed:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def now(self) -> float:
        return time.time() + self.seconds


@pytest.mark.parametrize("skew", [-400.0, 400.0])
def test_stale_or_future_date(tmp_path: Path, skew: float) -> None:
    kms, stop = start_kms(tmp_path, auth_clock=_Skewed(skew))
    try:
        with pytest.raises(ClientError) as err:
            kms.client("alice").create_key()
        assert error_code(err) == "InvalidSignatureException"
        assert "expired" in err.value.response["Error"]["Message"].lower()
        assert kms.service.core.records == {}
    finally:
        stop()


POLICIES = {
    "alice": {"Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]},
    "bob": {
        "Statement": [
            {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:Describe*"], "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:EncryptionContext:tier": "secret"}},
            },
        ]
    },
}


@pytest.fixture(scope="module")
def policed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kms]:
    policies = load_principal_policies(json.dumps(POLICIES))
    kms, stop = start_kms(tmp_path_factory.mktemp("policed"), policies=policies)
    try:
        yield kms
    finally:
        stop()


def test_identity_policy_limits_actions(policed: Kms) -> None:
    alice, bob = policed.client("alice"), policed.client("bob")
    key = alice.create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(ClientError) as err:
        bob.create_key()
    assert error_code(err) == "AccessDeniedException"
    blob = bob.encrypt(KeyId=key, Plaintext=b"ok")["CiphertextBlob"]
    assert bob.decrypt(CiphertextBlob=blob)["Plaintext"] == b"ok"
    with pytest.raises(ClientError) as err:
        bob.disable_key(KeyId=key)
    assert error_code(err) == "AccessDeniedException"
    assert alice.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"


def test_explicit_deny_on_context_wins(policed: Kms) -> None:
    alice, bob = policed.client("alice"), policed.client("bob")
    key = alice.create_key()["KeyMetadata"]["Arn"]
    secret = bob.encrypt(KeyId=key, Plaintext=b"s", EncryptionContext={"tier": "secret"})["CiphertextBlob"]
    with pytest.raises(ClientError) as err:
        bob.decrypt(CiphertextBlob=secret, EncryptionContext={"tier": "secret"})
    assert error_code(err) == "AccessDeniedException"
    assert "explicit deny" in err.value.response["Error"]["Message"]
    assert alice.decrypt(CiphertextBlob=secret, EncryptionContext={"tier": "secret"})["Plaintext"] == b"s"


def test_key_policy_deny_beats_identity_allow(policed: Kms) -> None:
    alice = policed.client("alice")
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Effect": "Deny",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
                "Action": "kms:Encrypt",
                "Resource": "*",
            },
        ]
    }
    key = alice.create_key(Policy=json.dumps(policy))["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as err:
        alice.encrypt(KeyId=key, Plaintext=b"x")
    assert error_code(err) == "AccessDeniedException"
    assert alice.generate_random(NumberOfBytes=4)["Plaintext"]


def test_key_policy_alone_can_allow_a_principal(policed: Kms) -> None:
    # bob's identity policy does not allow GenerateDataKey; the key policy names bob directly.
    alice, bob = policed.client("alice"), policed.client("bob")
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"},
                "Action": "kms:GenerateDataKey",
                "Resource": "*",
            },
        ]
    }
    key = alice.create_key(Policy=json.dumps(policy))["KeyMetadata"]["KeyId"]
    assert len(bob.generate_data_key(KeyId=key, KeySpec="AES_256")["Plaintext"]) == 32
    other = alice.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as err:
        bob.generate_data_key(KeyId=other, KeySpec="AES_256")
    assert error_code(err) == "AccessDeniedException"


def test_audit_chain_is_intact_and_detects_edits(policed: Kms) -> None:
    policed.client("alice").generate_random(NumberOfBytes=8)
    check = verify_audit(policed.data_dir)
    assert check.ok and check.count >= 5
    records = _audit(policed)
    assert {"Success", "Denied"} <= {r["result"] for r in records}
    assert all("Plaintext" not in json.dumps(r) for r in records)


def test_custom_key_store_calls_are_authorized_first(policed: Kms) -> None:
    """bob may kms:Describe* but not kms:DeleteCustomKeyStore: refused before anything is said about
    the store (which does not exist: alice hears CustomKeyStoreNotFoundException)."""
    alice, bob = policed.client("alice"), policed.client("bob")
    assert bob.describe_custom_key_stores()["CustomKeyStores"] == []
    with pytest.raises(ClientError) as err:
        bob.delete_custom_key_store(CustomKeyStoreId="cks-1234567890abcdef0")
    assert error_code(err) == "AccessDeniedException"
    with pytest.raises(ClientError) as err:
        alice.delete_custom_key_store(CustomKeyStoreId="cks-1234567890abcdef0")
    assert error_code(err) == "CustomKeyStoreNotFoundException"
