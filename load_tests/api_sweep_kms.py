"""The KMS half of the API sweep (``load_tests/api_sweep.py``): the keys, grants and blobs the
operations name, and each operation's members that name them. Members not given here come from the
input shape's minimum."""

from __future__ import annotations

import os
from typing import Any

from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

BOB = "arn:aws:iam::123456789012:user/bob"
ALICE = "arn:aws:iam::123456789012:user/alice"


def _key(client: Any, **kwargs: Any) -> str | None:
    """A new key's id, or None where this KMS cannot make such a key (its operations then name
    the symmetric key and answer what AWS answers for the wrong kind of key)."""
    try:
        return str(client.create_key(**kwargs)["KeyMetadata"]["KeyId"])
    except ClientError:
        return None


def prepare(client: Any) -> dict[str, Any]:
    sym = _key(client, Description="sweep")
    assert sym is not None
    ctx: dict[str, Any] = {"client": client, "sym": sym}
    ctx["rsa"] = _key(client, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    ctx["hmac"] = _key(client, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    ctx["ecdh"] = _key(client, KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT") or sym
    ctx["kem"] = _key(client, KeySpec="ML_KEM_768", KeyUsage="ENCAPSULATE_DECAPSULATE") or sym
    ctx["external"] = _key(client, Origin="EXTERNAL") or sym
    ctx["mrk"] = _key(client, MultiRegion=True) or sym
    for name in ("toggle", "pending", "doomed"):
        ctx[name] = _key(client)
    client.schedule_key_deletion(KeyId=ctx["pending"], PendingWindowInDays=7)
    client.create_alias(AliasName="alias/sweep", TargetKeyId=sym)
    client.create_alias(AliasName="alias/sweep-moved", TargetKeyId=sym)
    grant = client.create_grant(
        KeyId=sym, GranteePrincipal=BOB, RetiringPrincipal=ALICE, Operations=["Decrypt"]
    )
    ctx["retirable"] = grant["GrantId"]
    ctx["revocable"] = client.create_grant(KeyId=sym, GranteePrincipal=BOB, Operations=["Encrypt"])["GrantId"]
    ctx["ciphertext"] = client.encrypt(KeyId=sym, Plaintext=b"sweep")["CiphertextBlob"]
    ctx["signature"] = client.sign(KeyId=ctx["rsa"], Message=b"sweep", SigningAlgorithm="RSASSA_PSS_SHA_256")[
        "Signature"
    ]
    ctx["mac"] = client.generate_mac(KeyId=ctx["hmac"], Message=b"sweep", MacAlgorithm="HMAC_SHA_256")["Mac"]
    ctx["policy"] = client.get_key_policy(KeyId=sym, PolicyName="default")["Policy"]
    return ctx


def _import_values(ctx: dict[str, Any]) -> dict[str, Any]:
    """A real import: the parameters from GetParametersForImport, 32 bytes wrapped with them."""
    key = ctx["external"]
    try:
        got = ctx["client"].get_parameters_for_import(
            KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        )
    except ClientError:
        return {"KeyId": key, "ImportToken": b"token", "EncryptedKeyMaterial": b"material"}
    public = serialization.load_der_public_key(got["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey)
    oaep = padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)
    wrapped = public.encrypt(os.urandom(32), oaep)
    return {
        "KeyId": key,
        "ImportToken": got["ImportToken"],
        "EncryptedKeyMaterial": wrapped,
        "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
    }


def _decapsulate(ctx: dict[str, Any]) -> dict[str, Any]:
    """A real ciphertext of the ML-KEM key (the symmetric key's id where none could be made)."""
    kem = ctx["kem"]
    try:
        got = ctx["client"].encapsulate(KeyId=kem, EncapsulationAlgorithm="ML_KEM")
        blob = got["SharedSecretCiphertextBlob"]
    except ClientError:
        blob = b"sweep"
    return {"KeyId": kem, "SharedSecretCiphertextBlob": blob, "EncapsulationAlgorithm": "ML_KEM"}


def _peer_public() -> bytes:
    return (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def values(op: str, ctx: dict[str, Any]) -> dict[str, Any] | None:
    sym = ctx["sym"]
    table: dict[str, Any] = {
        "CancelKeyDeletion": lambda: {"KeyId": ctx["pending"]},
        "CreateAlias": lambda: {"AliasName": "alias/sweep-new", "TargetKeyId": sym},
        "CreateCustomKeyStore": lambda: {
            "CloudHsmClusterId": "cluster-1a23b4cdefg",
            "TrustAnchorCertificate": "cert",
            "KeyStorePassword": "secret1",
        },
        "CreateGrant": lambda: {"KeyId": sym, "GranteePrincipal": BOB, "Operations": ["Decrypt"]},
        "Encapsulate": lambda: {"KeyId": ctx["kem"], "EncapsulationAlgorithm": "ML_KEM"},
        "Decapsulate": lambda: _decapsulate(ctx),
        "Decrypt": lambda: {"CiphertextBlob": ctx["ciphertext"]},
        "DeleteAlias": lambda: {"AliasName": "alias/sweep"},
        "DeleteImportedKeyMaterial": lambda: {"KeyId": ctx["external"]},
        "DeriveSharedSecret": lambda: {
            "KeyId": ctx["ecdh"],
            "KeyAgreementAlgorithm": "ECDH",
            "PublicKey": _peer_public(),
        },
        "DisableKey": lambda: {"KeyId": ctx["toggle"]},
        "EnableKey": lambda: {"KeyId": ctx["toggle"]},
        "Encrypt": lambda: {"KeyId": sym, "Plaintext": b"sweep"},
        "GenerateDataKey": lambda: {"KeyId": sym, "KeySpec": "AES_256"},
        "GenerateDataKeyWithoutPlaintext": lambda: {"KeyId": sym, "KeySpec": "AES_256"},
        "GenerateDataKeyPair": lambda: {"KeyId": sym, "KeyPairSpec": "ECC_NIST_P256"},
        "GenerateDataKeyPairWithoutPlaintext": lambda: {"KeyId": sym, "KeyPairSpec": "ECC_NIST_P256"},
        "GenerateMac": lambda: {"KeyId": ctx["hmac"], "MacAlgorithm": "HMAC_SHA_256", "Message": b"sweep"},
        "GenerateRandom": lambda: {"NumberOfBytes": 32},
        "GetParametersForImport": lambda: {
            "KeyId": ctx["external"],
            "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
            "WrappingKeySpec": "RSA_2048",
        },
        "GetPublicKey": lambda: {"KeyId": ctx["rsa"]},
        "ImportKeyMaterial": lambda: _import_values(ctx),
        "ListRetirableGrants": lambda: {"RetiringPrincipal": ALICE},
        "PutKeyPolicy": lambda: {"KeyId": sym, "Policy": ctx["policy"], "PolicyName": "default"},
        "ReEncrypt": lambda: {"CiphertextBlob": ctx["ciphertext"], "DestinationKeyId": sym},
        "ReplicateKey": lambda: {"KeyId": ctx["mrk"], "ReplicaRegion": "us-west-2"},
        "RetireGrant": lambda: {
            "KeyId": ctx["client"].describe_key(KeyId=sym)["KeyMetadata"]["Arn"],
            "GrantId": ctx["retirable"],
        },
        "RevokeGrant": lambda: {"KeyId": sym, "GrantId": ctx["revocable"]},
        "ScheduleKeyDeletion": lambda: {"KeyId": ctx["doomed"], "PendingWindowInDays": 7},
        "Sign": lambda: {"KeyId": ctx["rsa"], "Message": b"sweep", "SigningAlgorithm": "RSASSA_PSS_SHA_256"},
        "TagResource": lambda: {"KeyId": sym, "Tags": [{"TagKey": "team", "TagValue": "sweep"}]},
        "UntagResource": lambda: {"KeyId": sym, "TagKeys": ["team"]},
        "UpdateAlias": lambda: {"AliasName": "alias/sweep-moved", "TargetKeyId": ctx["toggle"]},
        "UpdateKeyDescription": lambda: {"KeyId": sym, "Description": "swept"},
        "UpdatePrimaryRegion": lambda: {"KeyId": ctx["mrk"], "PrimaryRegion": "us-west-2"},
        "Verify": lambda: {
            "KeyId": ctx["rsa"],
            "Message": b"sweep",
            "Signature": ctx["signature"],
            "SigningAlgorithm": "RSASSA_PSS_SHA_256",
        },
        "VerifyMac": lambda: {
            "KeyId": ctx["hmac"],
            "MacAlgorithm": "HMAC_SHA_256",
            "Message": b"sweep",
            "Mac": ctx["mac"],
        },
    }
    build = table.get(op)
    if build is not None:
        return dict(build())
    if "KeyId" in _required(op):
        return {"KeyId": sym}
    return None


def _required(op: str) -> list[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("kms").operation_model(op)
    return list(model.input_shape.required_members) if model.input_shape is not None else []
