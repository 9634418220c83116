"""Symmetric cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, GenerateRandom.

Order of checks on every call: resolve the key → authorize (key policy, identity policy, grants,
with the encryption context as condition keys) → key usage → key state → the cryptography. So a
caller without permission learns nothing about a key's state, and nothing is done on any failure.
``GrantTokens`` are accepted and have no effect: our grants take effect immediately (AWS's tokens
only bridge its eventual consistency).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.kms import blob
from wafproxy.sidecars.kms.core import KmsCore
from wafproxy.sidecars.kms.material import load_private
from wafproxy.sidecars.kms.model import KeyRecord, KeyUsage

MAX_PLAINTEXT = 4096  # AWS Encrypt limit
MAX_CIPHERTEXT = 6144
_SYM = "SYMMETRIC_DEFAULT"
_OAEP = {"RSAES_OAEP_SHA_1": hashes.SHA1, "RSAES_OAEP_SHA_256": hashes.SHA256}


def _bad_ciphertext() -> AwsError:
    return AwsError(
        "InvalidCiphertextException",
        "The ciphertext is invalid, was altered, or was encrypted "
        "under a different key or encryption context.",
    )


def _dry_run(p: Params) -> None:
    if p.bool("DryRun"):
        raise AwsError(
            "DryRunOperationException", "The request would have succeeded, but the DryRun option is set."
        )


def _no_recipient(p: Params) -> None:
    # Decrypt/GenerateDataKey*/DeriveSharedSecret declare no UnsupportedOperationException: an
    # attestation document this KMS cannot verify (it runs beside no Nitro hypervisor) is invalid input.
    if p.has("Recipient"):
        raise AwsError(
            "ValidationException",
            "Recipient: this KMS cannot verify a Nitro Enclaves or NitroTPM attestation document",
            path="Recipient",
        )


def _algorithm(rec: KeyRecord, p: Params, name: str) -> str:
    alg = p.str(name, required=False, default=_SYM)
    if rec.spec == _SYM:
        if alg != _SYM:
            raise AwsError("InvalidKeyUsageException", f"{alg[:64]} is not valid for {rec.arn}", path=name)
    elif alg not in _OAEP:
        raise AwsError(
            "InvalidKeyUsageException", f"{rec.arn} needs EncryptionAlgorithm RSAES_OAEP_*", path=name
        )
    return alg


def _for_encryption(
    kms: KmsCore, ctx: CallContext, ref: str, op: str, context: Mapping[str, str]
) -> KeyRecord:
    rec = kms.resolve(ref, kms.clock.now())
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, op, rec, context)
    if rec.usage is not KeyUsage.ENCRYPT_DECRYPT:
        raise AwsError("InvalidKeyUsageException", f"{rec.arn} key usage is {rec.usage.value}")
    kms.require_enabled(rec)
    return kms.maybe_rotate(rec, kms.clock.now())


def _seal(kms: KmsCore, rec: KeyRecord, alg: str, plaintext: bytes, context: Mapping[str, str]) -> bytes:
    if alg == _SYM:
        return blob.seal(kms.material(rec), rec.key_id, rec.current_version, plaintext, context)
    if context:
        raise validation("EncryptionContext is not supported with asymmetric keys", path="EncryptionContext")
    public = load_private(kms.material(rec)).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    h = _OAEP[alg]
    try:
        return public.encrypt(plaintext, padding.OAEP(padding.MGF1(h()), h(), None))
    except ValueError:
        raise validation("Plaintext is too long for this key and algorithm", path="Plaintext") from None


def _open(
    kms: KmsCore,
    ctx: CallContext,
    op: str,
    data: bytes,
    context: Mapping[str, str],
    key_ref: str | None,
    p: Params,
    alg_name: str,
) -> tuple[KeyRecord, bytes, str]:
    """Decrypt ``data``; the key comes from the blob (symmetric) or ``key_ref`` (RSA, required)."""
    now = kms.clock.now()
    wanted = kms.resolve(key_ref, now) if key_ref else None
    if wanted is not None and wanted.spec != _SYM:
        ctx.resources.append(wanted.arn)
        kms.authorize(ctx, op, wanted, context)
        alg = _algorithm(wanted, p, alg_name)
        kms.require_enabled(wanted)
        private = load_private(kms.material(wanted))
        assert isinstance(private, rsa.RSAPrivateKey)
        h = _OAEP[alg]
        try:
            return wanted, private.decrypt(data, padding.OAEP(padding.MGF1(h()), h(), None)), alg
        except ValueError:
            raise _bad_ciphertext() from None
    try:
        parsed = blob.parse(data)
        rec = kms.resolve(parsed.key_id, now, allow_alias=False)
    except (blob.BadCiphertext, AwsError):
        raise _bad_ciphertext() from None
    if wanted is not None and wanted.key_id != rec.key_id:
        raise AwsError(
            "IncorrectKeyException",
            "The key ID in the request does not identify a KMS key that can perform this operation.",
        )
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, op, rec, context)
    _algorithm(rec, p, alg_name)
    if rec.usage is not KeyUsage.ENCRYPT_DECRYPT:
        raise AwsError("InvalidKeyUsageException", f"{rec.arn} key usage is {rec.usage.value}")
    kms.require_enabled(rec)
    try:
        return rec, blob.open_(kms.material(rec, parsed.version), parsed, context), _SYM
    except (blob.BadCiphertext, AwsError):
        raise _bad_ciphertext() from None


def encrypt(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    plaintext = p.blob("Plaintext", max_len=MAX_PLAINTEXT)
    context = p.str_map("EncryptionContext")
    p.str_list("GrantTokens")
    rec = _for_encryption(kms, ctx, p.str("KeyId"), "Encrypt", context)
    alg = _algorithm(rec, p, "EncryptionAlgorithm")
    _dry_run(p)
    return {
        "CiphertextBlob": _seal(kms, rec, alg, plaintext, context),
        "KeyId": rec.arn,
        "EncryptionAlgorithm": alg,
    }


def decrypt(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    _no_recipient(p)
    data = p.blob("CiphertextBlob", max_len=MAX_CIPHERTEXT)
    context = p.str_map("EncryptionContext")
    p.str_list("GrantTokens")
    rec, plaintext, alg = _open(
        kms, ctx, "Decrypt", data, context, p.str("KeyId", required=False), p, "EncryptionAlgorithm"
    )
    _dry_run(p)
    return {"KeyId": rec.arn, "Plaintext": plaintext, "EncryptionAlgorithm": alg}


def re_encrypt(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    data = p.blob("CiphertextBlob", max_len=MAX_CIPHERTEXT)
    src_ctx = p.str_map("SourceEncryptionContext")
    dst_ctx = p.str_map("DestinationEncryptionContext")
    p.str_list("GrantTokens")
    src, plaintext, src_alg = _open(
        kms,
        ctx,
        "ReEncryptFrom",
        data,
        src_ctx,
        p.str("SourceKeyId", required=False),
        p,
        "SourceEncryptionAlgorithm",
    )
    dst = _for_encryption(kms, ctx, p.str("DestinationKeyId"), "ReEncryptTo", dst_ctx)
    dst_alg = _algorithm(dst, p, "DestinationEncryptionAlgorithm")
    _dry_run(p)
    return {
        "CiphertextBlob": _seal(kms, dst, dst_alg, plaintext, dst_ctx),
        "SourceKeyId": src.arn,
        "KeyId": dst.arn,
        "SourceEncryptionAlgorithm": src_alg,
        "DestinationEncryptionAlgorithm": dst_alg,
    }


def _data_key_size(p: Params) -> int:
    has_n, has_spec = p.has("NumberOfBytes"), p.has("KeySpec")
    if has_n == has_spec:
        raise validation("Specify exactly one of NumberOfBytes and KeySpec", path="KeySpec")
    if has_n:
        return int(p.int("NumberOfBytes", lo=1, hi=1024))
    sizes = {"AES_256": 32, "AES_128": 16}
    spec = p.str("KeySpec")
    if spec not in sizes:
        raise validation("KeySpec must be AES_256 or AES_128", path="KeySpec")
    return sizes[spec]


def _data_key(kms: KmsCore, ctx: CallContext, p: Params, op: str) -> tuple[KeyRecord, bytes, bytes]:
    _no_recipient(p)
    size = _data_key_size(p)
    context = p.str_map("EncryptionContext")
    p.str_list("GrantTokens")
    rec = _for_encryption(kms, ctx, p.str("KeyId"), op, context)
    if rec.spec != _SYM:
        raise AwsError("InvalidKeyUsageException", f"{rec.arn} is not a symmetric encryption key")
    _dry_run(p)
    plaintext = os.urandom(size)
    return rec, plaintext, _seal(kms, rec, _SYM, plaintext, context)


def generate_data_key(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec, plaintext, sealed = _data_key(kms, ctx, p, "GenerateDataKey")
    return {"CiphertextBlob": sealed, "Plaintext": plaintext, "KeyId": rec.arn}


def generate_data_key_without_plaintext(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec, _, sealed = _data_key(kms, ctx, p, "GenerateDataKeyWithoutPlaintext")
    return {"CiphertextBlob": sealed, "KeyId": rec.arn}


def generate_random(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    _no_recipient(p)
    if p.has("CustomKeyStoreId"):
        raise AwsError(
            "UnsupportedOperationException", "Custom key stores are not supported", path="CustomKeyStoreId"
        )
    n = p.int("NumberOfBytes", lo=1, hi=1024)
    kms.authorize(ctx, "GenerateRandom", None)
    return {"Plaintext": os.urandom(n)}


OPERATIONS = {
    "Encrypt": encrypt,
    "Decrypt": decrypt,
    "ReEncrypt": re_encrypt,
    "GenerateDataKey": generate_data_key,
    "GenerateDataKeyWithoutPlaintext": generate_data_key_without_plaintext,
    "GenerateRandom": generate_random,
}
