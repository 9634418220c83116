"""Key agreement: DeriveSharedSecret (ECDH), and Encapsulate/Decapsulate (ML-KEM).

DeriveSharedSecret, as AWS KMS: an ECC_NIST_P256/P384/P521 key created with KeyUsage
KEY_AGREEMENT and the other party's public key (DER SubjectPublicKeyInfo, on the same curve) give
the raw ECDH shared secret (the x-coordinate, as OpenSSL and AWS derive it), which the caller feeds
to its own KDF. A key of another usage is InvalidKeyUsageException, a public key on another curve
or not a public key at all ValidationException.

Encapsulate/Decapsulate (FIPS 203 ML-KEM, where the installed ``cryptography`` has it): an
ML_KEM_768 or ML_KEM_1024 key (KeyUsage ENCAPSULATE_DECAPSULATE) encapsulates a fresh 32-byte shared
secret under its public key, and decapsulates the ciphertext back to it. ML_KEM_512 is not offered
(``cryptography`` has no ML-KEM-512). Any other key is InvalidKeyUsageException.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.kms import ops_crypto
from wafproxy.sidecars.kms.core import KmsCore
from wafproxy.sidecars.kms.material import load_private
from wafproxy.sidecars.kms.model import (
    ENCAPSULATION_ALGORITHMS,
    KEY_AGREEMENT_ALGORITHMS,
    KeyRecord,
    KeyUsage,
)

MAX_KEM_CIPHERTEXT = 1568  # an ML-KEM-1024 ciphertext, the largest


def _key(kms: KmsCore, ctx: CallContext, p: Params, op: str) -> KeyRecord:
    rec = kms.resolve(p.str("KeyId"), kms.clock.now())
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, op, rec)
    p.str_list("GrantTokens")
    return rec


def _peer(p: Params, curve: ec.EllipticCurve) -> ec.EllipticCurvePublicKey:
    raw = p.blob("PublicKey", max_len=8192)
    try:
        peer = serialization.load_der_public_key(raw)
    except (ValueError, TypeError):
        raise validation("PublicKey is not a DER-encoded SubjectPublicKeyInfo", path="PublicKey") from None
    if not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != curve.name:
        raise validation(f"PublicKey must be an elliptic-curve key on {curve.name}", path="PublicKey")
    return peer


def derive_shared_secret(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec = _key(kms, ctx, p, "DeriveSharedSecret")
    alg = p.str("KeyAgreementAlgorithm", max_len=16)
    if rec.usage is not KeyUsage.KEY_AGREEMENT:
        raise AwsError("InvalidKeyUsageException", f"{rec.arn} key usage is {rec.usage.value}")
    if alg not in KEY_AGREEMENT_ALGORITHMS:
        raise AwsError(
            "InvalidKeyUsageException", f"{alg[:16]} is not valid for {rec.arn}", path="KeyAgreementAlgorithm"
        )
    ops_crypto._no_recipient(p)
    kms.require_enabled(rec)
    private = load_private(kms.material(rec))
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    peer = _peer(p, private.curve)
    ops_crypto._dry_run(p)
    return {
        "KeyId": rec.arn,
        "SharedSecret": private.exchange(ec.ECDH(), peer),
        "KeyAgreementAlgorithm": alg,
        "KeyOrigin": rec.origin,
    }


def _kem_key(kms: KmsCore, ctx: CallContext, p: Params, op: str) -> KeyRecord:
    rec = _key(kms, ctx, p, op)
    alg = p.str("EncapsulationAlgorithm", max_len=16)
    if rec.usage is not KeyUsage.ENCAPSULATE_DECAPSULATE:
        raise AwsError(
            "InvalidKeyUsageException",
            f"{rec.arn} key usage is {rec.usage.value}, not ENCAPSULATE_DECAPSULATE",
        )
    if alg not in ENCAPSULATION_ALGORITHMS:
        raise AwsError(
            "InvalidKeyUsageException",
            f"{alg[:16]} is not valid for {rec.arn}",
            path="EncapsulationAlgorithm",
        )
    kms.require_enabled(rec)
    return rec


def encapsulate(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec = _kem_key(kms, ctx, p, "Encapsulate")
    ops_crypto._dry_run(p)
    secret, ciphertext = load_private(kms.material(rec)).public_key().encapsulate()  # type: ignore[union-attr]
    return {
        "KeyId": rec.arn,
        "SharedSecret": secret,
        "SharedSecretCiphertextBlob": ciphertext,
        "EncapsulationAlgorithm": "ML_KEM",
    }


def decapsulate(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    ciphertext = p.blob("SharedSecretCiphertextBlob", max_len=MAX_KEM_CIPHERTEXT)
    rec = _kem_key(kms, ctx, p, "Decapsulate")
    ops_crypto._dry_run(p)
    try:
        # ML-KEM rejects implicitly: a ciphertext of the right size always yields a secret (a wrong
        # one a pseudo-random secret), as the standard and AWS have it; a wrong size is refused.
        secret = load_private(kms.material(rec)).decapsulate(ciphertext)  # type: ignore[union-attr]
    except ValueError:
        raise AwsError(
            "InvalidCiphertextException", "The ciphertext is not an ML-KEM ciphertext of this key."
        ) from None
    return {"KeyId": rec.arn, "SharedSecret": secret, "EncapsulationAlgorithm": "ML_KEM"}


OPERATIONS = {
    "DeriveSharedSecret": derive_shared_secret,
    "Encapsulate": encapsulate,
    "Decapsulate": decapsulate,
}
