"""Key agreement: DeriveSharedSecret (ECDH), and Encapsulate/Decapsulate (ML-KEM).

DeriveSharedSecret, as AWS KMS: an ECC_NIST_P256/P384/P521 key created with KeyUsage
KEY_AGREEMENT and the other party's public key (DER SubjectPublicKeyInfo, on the same curve) give
the raw ECDH shared secret (the x-coordinate, as OpenSSL and AWS derive it), which the caller feeds
to its own KDF. A key of another usage is InvalidKeyUsageException, a public key on another curve
or not a public key at all ValidationException.

Encapsulate/Decapsulate need an ML_KEM key (KeyUsage ENCAPSULATE_DECAPSULATE); this KMS creates
none, so every key named is of another usage: InvalidKeyUsageException, after the key is resolved
and the call authorized, as AWS answers for a key that cannot encapsulate.
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
from wafproxy.sidecars.kms.model import KEY_AGREEMENT_ALGORITHMS, KeyRecord, KeyUsage

_KEM_ALGORITHMS = ("ML_KEM",)
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


def _kem(op: str) -> Any:
    def handler(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
        rec = _key(kms, ctx, p, op)
        if op == "Decapsulate":
            p.blob("SharedSecretCiphertextBlob", max_len=MAX_KEM_CIPHERTEXT)
        alg = p.str("EncapsulationAlgorithm", max_len=16)
        if alg not in _KEM_ALGORITHMS:
            raise validation(
                f"EncapsulationAlgorithm must be one of {', '.join(_KEM_ALGORITHMS)}",
                path="EncapsulationAlgorithm",
            )
        raise AwsError(
            "InvalidKeyUsageException",
            f"{rec.arn} key usage is {rec.usage.value}, not ENCAPSULATE_DECAPSULATE",
        )

    return handler


OPERATIONS = {
    "DeriveSharedSecret": derive_shared_secret,
    "Encapsulate": _kem("Encapsulate"),
    "Decapsulate": _kem("Decapsulate"),
}
