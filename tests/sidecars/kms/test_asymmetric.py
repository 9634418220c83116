"""HMAC, RSA and ECC keys: boto3 calls, verified independently with ``cryptography``."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from tests.sidecars.kms.conftest import error_code


def test_hmac(alice: Any) -> None:
    key = alice.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    assert key["MacAlgorithms"] == ["HMAC_SHA_256"]
    mac = alice.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert len(mac) == 32
    assert alice.verify_mac(KeyId=key["KeyId"], Message=b"m", Mac=mac, MacAlgorithm="HMAC_SHA_256")[
        "MacValid"
    ]
    with pytest.raises(ClientError) as err:
        alice.verify_mac(KeyId=key["KeyId"], Message=b"n", Mac=mac, MacAlgorithm="HMAC_SHA_256")
    assert error_code(err) == "KMSInvalidMacException"
    with pytest.raises(ClientError) as err:
        alice.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_512")
    assert error_code(err) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as err:
        alice.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error_code(err) == "InvalidKeyUsageException"
    assert hmac.new(b"k", b"m", hashlib.sha256).digest() != mac  # not a fixed key


@pytest.mark.parametrize(
    ("spec", "alg"),
    [
        ("ECC_NIST_P256", "ECDSA_SHA_256"),
        ("RSA_2048", "RSASSA_PSS_SHA_256"),
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_384"),
    ],
)
def test_sign_verify(alice: Any, spec: str, alg: str) -> None:
    key = alice.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    sig = alice.sign(KeyId=key, Message=b"payload", SigningAlgorithm=alg)["Signature"]
    assert alice.verify(KeyId=key, Message=b"payload", Signature=sig, SigningAlgorithm=alg)["SignatureValid"]
    with pytest.raises(ClientError) as err:
        alice.verify(KeyId=key, Message=b"other", Signature=sig, SigningAlgorithm=alg)
    assert error_code(err) == "KMSInvalidSignatureException"
    public = serialization.load_der_public_key(alice.get_public_key(KeyId=key)["PublicKey"])
    h = hashes.SHA256() if alg.endswith("256") else hashes.SHA384()
    if spec.startswith("ECC"):
        public.verify(sig, b"payload", ec.ECDSA(h))  # type: ignore[call-arg, union-attr]
    elif "PSS" in alg:
        public.verify(sig, b"payload", padding.PSS(padding.MGF1(h), h.digest_size), h)  # type: ignore[call-arg, union-attr]
    else:
        public.verify(sig, b"payload", padding.PKCS1v15(), h)  # type: ignore[call-arg, union-attr]
    digest = (
        hashlib.sha256(b"payload").digest() if alg.endswith("256") else hashlib.sha384(b"payload").digest()
    )
    sig2 = alice.sign(KeyId=key, Message=digest, MessageType="DIGEST", SigningAlgorithm=alg)["Signature"]
    assert alice.verify(KeyId=key, Message=b"payload", Signature=sig2, SigningAlgorithm=alg)["SignatureValid"]


def test_rsa_encryption_key(alice: Any) -> None:
    key = alice.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as err:
        alice.encrypt(KeyId=key, Plaintext=b"x")  # needs an RSAES_OAEP algorithm
    assert error_code(err) == "InvalidKeyUsageException"
    blob = alice.encrypt(KeyId=key, Plaintext=b"rsa", EncryptionAlgorithm="RSAES_OAEP_SHA_256")[
        "CiphertextBlob"
    ]
    out = alice.decrypt(KeyId=key, CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert out["Plaintext"] == b"rsa"
    public = serialization.load_der_public_key(alice.get_public_key(KeyId=key)["PublicKey"])
    mine = public.encrypt(b"ext", padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))  # type: ignore[union-attr, call-arg]
    assert (
        alice.decrypt(KeyId=key, CiphertextBlob=mine, EncryptionAlgorithm="RSAES_OAEP_SHA_256")["Plaintext"]
        == b"ext"
    )


def test_data_key_pair(alice: Any) -> None:
    key = alice.create_key()["KeyMetadata"]["KeyId"]
    pair = alice.generate_data_key_pair(KeyId=key, KeyPairSpec="ECC_NIST_P256", EncryptionContext={"p": "1"})
    private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], None)
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public == pair["PublicKey"]
    unwrapped = alice.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext={"p": "1"})
    assert unwrapped["Plaintext"] == pair["PrivateKeyPlaintext"]
    np = alice.generate_data_key_pair_without_plaintext(KeyId=key, KeyPairSpec="ECC_NIST_P256")
    assert "PrivateKeyPlaintext" not in np and np["PublicKey"]


def test_symmetric_key_has_no_public_key(alice: Any) -> None:
    key = alice.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as err:
        alice.get_public_key(KeyId=key)
    assert error_code(err) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as err:
        alice.sign(KeyId=key, Message=b"x", SigningAlgorithm="ECDSA_SHA_256")
    assert error_code(err) == "InvalidKeyUsageException"


def test_slow_keygen_does_not_block_other_calls(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """RSA generation runs off the event loop: other calls are answered while it is in progress."""
    import threading

    import boto3
    from botocore.config import Config

    from tests.sidecars.kms.conftest import KEYS, start_kms
    from wafproxy.sidecars.kms import ops_create

    release, entered = threading.Event(), threading.Event()
    real = ops_create.new_material

    def gated(spec: str) -> bytes:
        entered.set()
        release.wait(timeout=60)  # held until the test has been served meanwhile
        return real(spec)

    monkeypatch.setattr(ops_create, "new_material", gated)
    kms, stop = start_kms(tmp_path)
    try:
        results: list[Any] = []
        creator = threading.Thread(
            target=lambda: results.append(
                kms.client("alice").create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
            )
        )
        creator.start()
        assert entered.wait(timeout=30)
        key, secret = KEYS["alice"]
        quick = boto3.client(  # a blocked event loop would time out here, failing the test
            "kms",
            endpoint_url=kms.url,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(read_timeout=10, retries={"max_attempts": 1}),
        )
        assert len(quick.generate_random(NumberOfBytes=8)["Plaintext"]) == 8
        assert not results  # CreateKey is still waiting on its keygen
        release.set()
        creator.join(timeout=30)
        assert results and results[0]["KeyMetadata"]["KeySpec"] == "ECC_NIST_P256"
    finally:
        release.set()
        stop()
