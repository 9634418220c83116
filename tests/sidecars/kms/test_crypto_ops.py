"""Encrypt/Decrypt/ReEncrypt/GenerateDataKey*/GenerateRandom through boto3 against the real server."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sidecars.kms.conftest import Kms, error_code


@pytest.fixture(scope="module")
def key(alice: Any) -> str:
    return str(alice.create_key(Description="crypto tests")["KeyMetadata"]["Arn"])


def test_round_trip_returns_full_arn(alice: Any, key: str) -> None:
    key_id = key.split("/")[-1]
    out = alice.encrypt(KeyId=key_id, Plaintext=b"hello", EncryptionContext={"app": "billing"})
    assert out["KeyId"] == key and out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert b"hello" not in out["CiphertextBlob"]
    back = alice.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"app": "billing"})
    assert back["Plaintext"] == b"hello" and back["KeyId"] == key


def test_same_plaintext_encrypts_differently(alice: Any, key: str) -> None:
    a = alice.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    b = alice.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    assert a != b  # random 96-bit nonces


def test_ambiguous_context_does_not_decrypt(alice: Any, key: str) -> None:
    # moto concatenates pairs: {"ab":"c"} and {"a":"bc"} collide there; never here.
    blob = alice.encrypt(KeyId=key, Plaintext=b"s", EncryptionContext={"a": "bc"})["CiphertextBlob"]
    with pytest.raises(ClientError) as err:
        alice.decrypt(CiphertextBlob=blob, EncryptionContext={"ab": "c"})
    assert error_code(err) == "InvalidCiphertextException"


@pytest.mark.parametrize("context", [{}, {"app": "hr"}, {"app": "billing", "x": "y"}])
def test_wrong_context_fails(alice: Any, key: str, context: dict[str, str]) -> None:
    blob = alice.encrypt(KeyId=key, Plaintext=b"s", EncryptionContext={"app": "billing"})["CiphertextBlob"]
    with pytest.raises(ClientError) as err:
        alice.decrypt(CiphertextBlob=blob, EncryptionContext=context)
    assert error_code(err) == "InvalidCiphertextException"


def test_every_flipped_bit_fails(alice: Any, key: str) -> None:
    blob = bytearray(alice.encrypt(KeyId=key, Plaintext=b"secret")["CiphertextBlob"])
    for i in range(0, len(blob) * 8, 7):  # a spread of bit positions across header, nonce, body, tag
        tampered = bytearray(blob)
        tampered[i // 8] ^= 1 << (i % 8)
        with pytest.raises(ClientError) as err:
            alice.decrypt(CiphertextBlob=bytes(tampered))
        assert error_code(err) == "InvalidCiphertextException", i


def test_plaintext_limit(alice: Any, key: str) -> None:
    assert alice.encrypt(KeyId=key, Plaintext=b"x" * 4096)["CiphertextBlob"]
    with pytest.raises(ClientError) as err:
        alice.encrypt(KeyId=key, Plaintext=b"x" * 4097)
    assert error_code(err) == "ValidationException"


def test_data_keys(alice: Any, key: str) -> None:
    dk = alice.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext={"f": "1"})
    assert len(dk["Plaintext"]) == 32
    assert (
        alice.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext={"f": "1"})["Plaintext"]
        == (dk["Plaintext"])
    )
    n = alice.generate_data_key(KeyId=key, NumberOfBytes=1024)
    assert len(n["Plaintext"]) == 1024
    wp = alice.generate_data_key_without_plaintext(KeyId=key, KeySpec="AES_128")
    assert "Plaintext" not in wp
    assert len(alice.decrypt(CiphertextBlob=wp["CiphertextBlob"])["Plaintext"]) == 16
    for bad in (
        {"NumberOfBytes": 1025},
        {"NumberOfBytes": 0},
        {},
        {"KeySpec": "AES_256", "NumberOfBytes": 8},
    ):
        with pytest.raises(ClientError) as err:
            alice.generate_data_key(KeyId=key, **bad)
        assert error_code(err) == "ValidationException", bad


def test_re_encrypt_moves_to_another_key_and_context(alice: Any, key: str) -> None:
    other = alice.create_key()["KeyMetadata"]["Arn"]
    blob = alice.encrypt(KeyId=key, Plaintext=b"move me", EncryptionContext={"a": "1"})["CiphertextBlob"]
    out = alice.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"a": "1"},
        DestinationKeyId=other,
        DestinationEncryptionContext={"b": "2"},
    )
    assert out["SourceKeyId"] == key and out["KeyId"] == other
    assert alice.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"b": "2"})["Plaintext"] == (
        b"move me"
    )
    with pytest.raises(ClientError) as err:
        alice.re_encrypt(CiphertextBlob=blob, DestinationKeyId=other)  # wrong source context
    assert error_code(err) == "InvalidCiphertextException"


def test_decrypt_with_the_wrong_key_id(alice: Any, key: str) -> None:
    other = alice.create_key()["KeyMetadata"]["KeyId"]
    blob = alice.encrypt(KeyId=key, Plaintext=b"s")["CiphertextBlob"]
    with pytest.raises(ClientError) as err:
        alice.decrypt(CiphertextBlob=blob, KeyId=other)
    assert error_code(err) == "IncorrectKeyException"
    assert alice.decrypt(CiphertextBlob=blob, KeyId=key)["Plaintext"] == b"s"


def test_unknown_key_and_garbage(alice: Any) -> None:
    with pytest.raises(ClientError) as err:
        alice.encrypt(KeyId="00000000-0000-0000-0000-000000000000", Plaintext=b"s")
    assert error_code(err) == "NotFoundException"
    with pytest.raises(ClientError) as err:
        alice.decrypt(CiphertextBlob=b"\x01" * 64)
    assert error_code(err) == "InvalidCiphertextException"


def test_generate_random(alice: Any) -> None:
    a = alice.generate_random(NumberOfBytes=32)["Plaintext"]
    assert len(a) == 32 and a != alice.generate_random(NumberOfBytes=32)["Plaintext"]
    with pytest.raises(ClientError) as err:
        alice.generate_random(NumberOfBytes=2000)
    assert error_code(err) == "ValidationException"


def test_dry_run(alice: Any, key: str) -> None:
    with pytest.raises(ClientError) as err:
        alice.encrypt(KeyId=key, Plaintext=b"s", DryRun=True)
    assert error_code(err) == "DryRunOperationException"


def test_alias_as_key_id(kms: Kms, alice: Any, key: str) -> None:
    alice.create_alias(AliasName="alias/crypto-tests", TargetKeyId=key)
    blob = alice.encrypt(KeyId="alias/crypto-tests", Plaintext=b"via alias")["CiphertextBlob"]
    assert alice.decrypt(CiphertextBlob=blob)["KeyId"] == key
    alias_arn = "arn:aws:kms:us-east-1:123456789012:alias/crypto-tests"
    assert alice.encrypt(KeyId=alias_arn, Plaintext=b"x")["KeyId"] == key
