"""Asymmetric and HMAC operations: Sign, Verify, GetPublicKey, GenerateMac, VerifyMac, GenerateDataKeyPair*.

Signatures are what AWS returns: RSASSA-PSS with the salt as long as the digest, PKCS#1 v1.5, and
DER-encoded ECDSA; ``MessageType=DIGEST`` signs a precomputed digest of the algorithm's size.
MACs are compared in constant time. Invalid signatures/MACs are errors, as in AWS
(``KMSInvalidSignatureException``, ``KMSInvalidMacException``), not ``false``.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.kms import ops_crypto
from wafproxy.sidecars.kms.core import KmsCore
from wafproxy.sidecars.kms.material import load_private, new_private_key, private_to_der, public_der
from wafproxy.sidecars.kms.model import (
    ENCAPSULATION_ALGORITHMS,
    KEY_AGREEMENT_ALGORITHMS,
    SPECS,
    KeyRecord,
    KeyUsage,
    legacy_spec,
)

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_HMAC = {
    "HMAC_SHA_224": "sha224",
    "HMAC_SHA_256": "sha256",
    "HMAC_SHA_384": "sha384",
    "HMAC_SHA_512": "sha512",
}
_PAIR_SPECS = ("RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521")


def _key_for(kms: KmsCore, ctx: CallContext, p: Params, op: str, usage: KeyUsage) -> KeyRecord:
    rec = kms.resolve(p.str("KeyId"), kms.clock.now())
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, op, rec)
    if rec.usage is not usage:
        raise AwsError("InvalidKeyUsageException", f"{rec.arn} key usage is {rec.usage.value}")
    kms.require_enabled(rec)
    return rec


def _signing(rec: KeyRecord, p: Params) -> tuple[str, hashes.HashAlgorithm, bytes, bool]:
    alg = p.str("SigningAlgorithm", max_len=64)
    if alg not in SPECS[rec.spec].signing_algorithms:
        raise AwsError(
            "InvalidKeyUsageException", f"{alg} is not valid for {rec.arn}", path="SigningAlgorithm"
        )
    h = _HASHES[alg[-3:]]()
    message = p.blob("Message", max_len=4096)
    kind = p.str("MessageType", required=False, default="RAW")
    if kind not in ("RAW", "DIGEST"):
        raise validation("MessageType must be RAW or DIGEST", path="MessageType")
    if kind == "DIGEST" and len(message) != h.digest_size:
        raise validation(f"A {alg} digest is {h.digest_size} bytes", path="Message")
    return alg, h, message, kind == "DIGEST"


def _params(alg: str, h: hashes.HashAlgorithm, digest: bool) -> tuple[Any, Any]:
    chosen: Any = utils.Prehashed(h) if digest else h
    if alg.startswith("RSASSA_PSS"):
        return padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), chosen
    if alg.startswith("RSASSA_PKCS1"):
        return padding.PKCS1v15(), chosen
    return ec.ECDSA(chosen), None


def sign(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec = _key_for(kms, ctx, p, "Sign", KeyUsage.SIGN_VERIFY)
    alg, h, message, digest = _signing(rec, p)
    ops_crypto._dry_run(p)
    private = load_private(kms.material(rec))
    pad, chosen = _params(alg, h, digest)
    if isinstance(private, rsa.RSAPrivateKey):
        signature = private.sign(message, pad, chosen)
    else:
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        signature = private.sign(message, pad)
    return {"KeyId": rec.arn, "Signature": signature, "SigningAlgorithm": alg}


def verify(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec = _key_for(kms, ctx, p, "Verify", KeyUsage.SIGN_VERIFY)
    alg, h, message, digest = _signing(rec, p)
    signature = p.blob("Signature", max_len=6144)
    ops_crypto._dry_run(p)
    public = load_private(kms.material(rec)).public_key()
    pad, chosen = _params(alg, h, digest)
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, message, pad, chosen)
        else:
            assert isinstance(public, ec.EllipticCurvePublicKey)
            public.verify(signature, message, pad)
    except InvalidSignature:
        raise AwsError("KMSInvalidSignatureException", "The signature is not valid") from None
    return {"KeyId": rec.arn, "SignatureValid": True, "SigningAlgorithm": alg}


def get_public_key(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec = kms.resolve(p.str("KeyId"), kms.clock.now())
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, "GetPublicKey", rec)
    if rec.spec == "SYMMETRIC_DEFAULT" or rec.usage is KeyUsage.GENERATE_VERIFY_MAC:
        raise AwsError("UnsupportedOperationException", f"{rec.arn} has no public key")
    kms.require_enabled(rec)
    out: dict[str, Any] = {
        "KeyId": rec.arn,
        "PublicKey": public_der(kms.material(rec)),
        "KeySpec": rec.spec,
        **legacy_spec(rec.spec),
        "KeyUsage": rec.usage.value,
    }
    info = SPECS[rec.spec]
    if rec.usage is KeyUsage.ENCRYPT_DECRYPT:
        out["EncryptionAlgorithms"] = list(info.encryption_algorithms)
    elif rec.usage is KeyUsage.KEY_AGREEMENT:
        out["KeyAgreementAlgorithms"] = list(KEY_AGREEMENT_ALGORITHMS)
    elif rec.usage is KeyUsage.ENCAPSULATE_DECAPSULATE:
        out["EncapsulationAlgorithms"] = list(ENCAPSULATION_ALGORITHMS)
    else:
        out["SigningAlgorithms"] = list(info.signing_algorithms)
    return out


def _mac(kms: KmsCore, ctx: CallContext, p: Params, op: str) -> tuple[KeyRecord, str, bytes]:
    rec = _key_for(kms, ctx, p, op, KeyUsage.GENERATE_VERIFY_MAC)
    alg = p.str("MacAlgorithm", max_len=64)
    if alg not in SPECS[rec.spec].mac_algorithms:
        raise AwsError("InvalidKeyUsageException", f"{alg} is not valid for {rec.arn}", path="MacAlgorithm")
    message = p.blob("Message", max_len=4096)
    ops_crypto._dry_run(p)
    return rec, alg, hmac.new(kms.material(rec), message, _HMAC[alg]).digest()


def generate_mac(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec, alg, mac = _mac(kms, ctx, p, "GenerateMac")
    return {"Mac": mac, "MacAlgorithm": alg, "KeyId": rec.arn}


def verify_mac(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    claimed = p.blob("Mac", max_len=6144)
    rec, alg, mac = _mac(kms, ctx, p, "VerifyMac")
    if not hmac.compare_digest(mac, claimed):
        raise AwsError("KMSInvalidMacException", "The MAC is not valid")
    return {"KeyId": rec.arn, "MacValid": True, "MacAlgorithm": alg}


def _pair_checks(kms: KmsCore, ctx: CallContext, p: Params, op: str) -> tuple[KeyRecord, str, dict[str, str]]:
    spec = p.str("KeyPairSpec", max_len=32)
    if spec not in _PAIR_SPECS:
        raise validation(f"KeyPairSpec must be one of {', '.join(_PAIR_SPECS)}", path="KeyPairSpec")
    ops_crypto._no_recipient(p)
    context = p.str_map("EncryptionContext")
    p.str_list("GrantTokens")
    rec = ops_crypto._for_encryption(kms, ctx, p.str("KeyId"), op, context)
    if rec.spec != "SYMMETRIC_DEFAULT":
        raise AwsError("InvalidKeyUsageException", f"{rec.arn} is not a symmetric encryption key")
    ops_crypto._dry_run(p)
    return rec, spec, context


def _new_pair(spec: str) -> bytes:
    return private_to_der(new_private_key(spec))


async def _data_key_pair(kms: KmsCore, ctx: CallContext, p: Params, op: str) -> tuple[dict[str, Any], bytes]:
    """Checks under the state lock; the key pair is generated in a worker thread (RSA is slow)."""
    with kms.lock:
        rec, spec, context = _pair_checks(kms, ctx, p, op)
    private = await asyncio.to_thread(_new_pair, spec)
    with kms.lock:
        sealed = ops_crypto._seal(
            kms, kms.records.get(rec.key_id, rec), "SYMMETRIC_DEFAULT", private, context
        )
    out = {
        "PrivateKeyCiphertextBlob": sealed,
        "PublicKey": public_der(private),
        "KeyId": rec.arn,
        "KeyPairSpec": spec,
    }
    return out, private


async def generate_data_key_pair(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    out, private = await _data_key_pair(kms, ctx, p, "GenerateDataKeyPair")
    return {**out, "PrivateKeyPlaintext": private}


async def generate_data_key_pair_without_plaintext(
    kms: KmsCore, ctx: CallContext, p: Params
) -> Mapping[str, Any]:
    return (await _data_key_pair(kms, ctx, p, "GenerateDataKeyPairWithoutPlaintext"))[0]


OPERATIONS = {
    "Sign": sign,
    "Verify": verify,
    "GetPublicKey": get_public_key,
    "GenerateMac": generate_mac,
    "VerifyMac": verify_mac,
    "GenerateDataKeyPair": generate_data_key_pair,
    "GenerateDataKeyPairWithoutPlaintext": generate_data_key_pair_without_plaintext,
}
