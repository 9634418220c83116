"""DeriveSharedSecret (both parties derive the same ECDH secret), ML-KEM Encapsulate/Decapsulate,
multi-Region keys (ReplicateKey, UpdatePrimaryRegion) and GetKeyLastUsage, through boto3's strict
shapes; a restart keeps the replicas, the primary's Region and the last usage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.sidecars.kms.conftest import start_kms


def _code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return str(err.value.response["Error"]["Code"])


def _der(public: ec.EllipticCurvePublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.parametrize(
    ("spec", "curve"), [("ECC_NIST_P256", ec.SECP256R1()), ("ECC_NIST_P384", ec.SECP384R1())]
)
def test_derive_shared_secret_agrees_with_the_other_party(
    tmp_path: Path, spec: str, curve: ec.EllipticCurve
) -> None:
    kms, stop = start_kms(tmp_path)
    try:
        c = kms.strict_client()
        meta = c.create_key(KeySpec=spec, KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
        assert meta["KeyAgreementAlgorithms"] == ["ECDH"] and "SigningAlgorithms" not in meta
        ours = c.get_public_key(KeyId=meta["KeyId"])
        assert ours["KeyAgreementAlgorithms"] == ["ECDH"] and ours["KeyUsage"] == "KEY_AGREEMENT"
        peer = ec.generate_private_key(curve)
        got = c.derive_shared_secret(
            KeyId=meta["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=_der(peer.public_key())
        )
        kms_public = serialization.load_der_public_key(ours["PublicKey"])
        assert isinstance(kms_public, ec.EllipticCurvePublicKey)
        assert got["SharedSecret"] == peer.exchange(ec.ECDH(), kms_public)  # the other side derives the same
        assert (got["KeyOrigin"], got["KeyAgreementAlgorithm"]) == ("AWS_KMS", "ECDH")
        other_curve = ec.generate_private_key(ec.SECP521R1()).public_key()
        signer = c.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        assert (
            _code(
                c.derive_shared_secret,
                KeyId=meta["KeyId"],
                KeyAgreementAlgorithm="ECDH",
                PublicKey=_der(other_curve),
            )
            == "ValidationException"
        )
        assert (
            _code(
                c.derive_shared_secret,
                KeyId=signer,
                KeyAgreementAlgorithm="ECDH",
                PublicKey=_der(peer.public_key()),
            )
            == "InvalidKeyUsageException"
        )
        assert (
            _code(c.sign, KeyId=meta["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
            == "InvalidKeyUsageException"
        )
        assert _code(c.create_key, KeySpec="HMAC_256", KeyUsage="KEY_AGREEMENT") == "ValidationException"
        for call, extra in ((c.encapsulate, {}), (c.decapsulate, {"SharedSecretCiphertextBlob": b"x" * 32})):
            assert _code(call, KeyId=meta["KeyId"], EncapsulationAlgorithm="ML_KEM", **extra) == (
                "InvalidKeyUsageException"
            )
    finally:
        stop()


@pytest.mark.parametrize(("spec", "ciphertext_bytes"), [("ML_KEM_768", 1088), ("ML_KEM_1024", 1568)])
def test_ml_kem_encapsulates_what_it_decapsulates(tmp_path: Path, spec: str, ciphertext_bytes: int) -> None:
    mlkem = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.mlkem")
    kms, stop = start_kms(tmp_path)
    try:
        c = kms.strict_client()
        meta = c.create_key(KeySpec=spec, KeyUsage="ENCAPSULATE_DECAPSULATE")["KeyMetadata"]
        assert meta["EncapsulationAlgorithms"] == ["ML_KEM"]
        key = meta["KeyId"]
        sealed = c.encapsulate(KeyId=key, EncapsulationAlgorithm="ML_KEM")
        assert (
            len(sealed["SharedSecret"]) == 32
            and len(sealed["SharedSecretCiphertextBlob"]) == ciphertext_bytes
        )
        opened = c.decapsulate(
            KeyId=key,
            EncapsulationAlgorithm="ML_KEM",
            SharedSecretCiphertextBlob=sealed["SharedSecretCiphertextBlob"],
        )
        assert opened["SharedSecret"] == sealed["SharedSecret"]
        # anyone with the public key encapsulates; the key's owner gets the same secret from KMS
        public = serialization.load_der_public_key(c.get_public_key(KeyId=key)["PublicKey"])
        assert isinstance(public, mlkem.MLKEM768PublicKey | mlkem.MLKEM1024PublicKey)
        secret, ciphertext = public.encapsulate()
        assert (
            c.decapsulate(KeyId=key, EncapsulationAlgorithm="ML_KEM", SharedSecretCiphertextBlob=ciphertext)[
                "SharedSecret"
            ]
            == secret
        )
        assert (
            _code(
                c.decapsulate, KeyId=key, EncapsulationAlgorithm="ML_KEM", SharedSecretCiphertextBlob=b"short"
            )
            == "InvalidCiphertextException"
        )
        assert _code(c.encrypt, KeyId=key, Plaintext=b"x") == "InvalidKeyUsageException"
        assert (
            _code(c.create_key, KeySpec="ML_KEM_512", KeyUsage="ENCAPSULATE_DECAPSULATE")
            == "ValidationException"
        )
    finally:
        stop()


def test_multi_region_keys_and_last_usage_kept_across_a_restart(tmp_path: Path) -> None:
    kms, stop = start_kms(tmp_path)
    try:
        c = kms.strict_client()
        meta = c.create_key(MultiRegion=True, Description="global")["KeyMetadata"]
        key = meta["KeyId"]
        assert key.startswith("mrk-") and meta["MultiRegion"] is True
        config = meta["MultiRegionConfiguration"]
        assert config["MultiRegionKeyType"] == "PRIMARY" and config["PrimaryKey"]["Region"] == "us-east-1"
        replica = c.replicate_key(
            KeyId=key,
            ReplicaRegion="eu-west-1",
            Description="eu",
            Tags=[{"TagKey": "team", "TagValue": "sec"}],
        )
        rmeta = replica["ReplicaKeyMetadata"]
        assert rmeta["Arn"] == meta["Arn"].replace("us-east-1", "eu-west-1") and rmeta["KeyId"] == key
        assert rmeta["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
        assert (
            replica["ReplicaTags"] == [{"TagKey": "team", "TagValue": "sec"}]
            and '"Statement"' in replica["ReplicaPolicy"]
        )
        assert _code(c.replicate_key, KeyId=key, ReplicaRegion="eu-west-1") == "AlreadyExistsException"
        assert _code(c.replicate_key, KeyId=key, ReplicaRegion="us-east-1") == "AlreadyExistsException"
        single = c.create_key()["KeyMetadata"]["KeyId"]
        assert (
            _code(c.replicate_key, KeyId=single, ReplicaRegion="eu-west-1") == "UnsupportedOperationException"
        )
        assert _code(c.update_primary_region, KeyId=key, PrimaryRegion="ap-south-1") == "NotFoundException"
        blob = c.encrypt(KeyId=key, Plaintext=b"everywhere")["CiphertextBlob"]
        ids = sorted(k["KeyId"] for k in c.list_keys()["Keys"])
        assert ids[-1] == key  # "mrk-" sorts after every UUID: the last page starts after it
        assert c.list_keys(Marker=ids[0])["Keys"] == [{"KeyId": key, "KeyArn": meta["Arn"]}]
        assert c.list_keys(Marker=key)["Keys"] == []  # an mrk- id is a marker we may issue
        fresh = c.get_key_last_usage(KeyId=single)
        assert fresh["KeyLastUsage"] == {} and fresh["TrackingStartDate"] >= fresh["KeyCreationDate"]
        used = c.get_key_last_usage(KeyId=key)["KeyLastUsage"]
        assert used["Operation"] == "Encrypt" and used["KmsRequestId"]
        c.update_primary_region(KeyId=key, PrimaryRegion="eu-west-1")
        after = c.describe_key(KeyId=key)["KeyMetadata"]["MultiRegionConfiguration"]
        assert after["MultiRegionKeyType"] == "REPLICA" and after["PrimaryKey"]["Region"] == "eu-west-1"
        assert [r["Region"] for r in after["ReplicaKeys"]] == ["us-east-1"]
        assert (
            _code(c.replicate_key, KeyId=key, ReplicaRegion="ap-south-1") == "UnsupportedOperationException"
        )
        assert c.decrypt(CiphertextBlob=blob)["Plaintext"] == b"everywhere"  # a replica still decrypts
        last = c.get_key_last_usage(KeyId=key)["KeyLastUsage"]
        assert last["Operation"] == "Decrypt"
    finally:
        stop()
    kms, stop = start_kms(tmp_path)
    try:
        c = kms.strict_client()
        config = c.describe_key(KeyId=key)["KeyMetadata"]["MultiRegionConfiguration"]
        assert config["PrimaryKey"]["Region"] == "eu-west-1" and config["MultiRegionKeyType"] == "REPLICA"
        kept = c.get_key_last_usage(KeyId=key)["KeyLastUsage"]
        assert (kept["Operation"], kept["KmsRequestId"]) == ("Decrypt", last["KmsRequestId"])
    finally:
        stop()
