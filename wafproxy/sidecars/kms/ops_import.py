"""Imported key material (``Origin=EXTERNAL`` keys): GetParametersForImport, ImportKeyMaterial,
DeleteImportedKeyMaterial.

As in AWS KMS: an EXTERNAL key is created without material (PendingImport); GetParametersForImport
gives a fresh RSA wrapping public key (RSA_2048/3072/4096) and an import token valid 24 hours;
the caller wraps 256-bit symmetric (or HMAC) material with RSAES_OAEP_SHA_1/SHA_256 or
RSA_AES_KEY_WRAP_SHA_1/SHA_256 (an ephemeral AES key under RSA-OAEP, the material under that key
with AES key wrap with padding, RFC 5649) and imports it, with an expiry (``ValidTo``, at most 365
days ahead) or none. When the material expires or is deleted the key goes back to PendingImport;
only the same material can be imported again (its KeyMaterialId, SHA-256 over key id and
material, must match: IncorrectKeyMaterialException). RSAES_PKCS1_V1_5 (withdrawn by AWS) and the
SM2 specs (China Regions only) are UnsupportedOperationException.

The import token is the wrapping private key and its expiry sealed under the keystore's root key
with the key id as associated data, so no state is kept between the two calls, a token opens only
for its own key (InvalidImportTokenException otherwise) and a restart does not void it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes, keywrap
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.kms.core import KmsCore
from wafproxy.sidecars.kms.material import load_private, new_private_key, private_to_der, public_der
from wafproxy.sidecars.kms.model import KeyRecord, KeyState

TOKEN_SECONDS = 24 * 3600
MAX_VALID_DAYS = 365
_WRAP_HASH: dict[str, type[hashes.HashAlgorithm]] = {
    "RSAES_OAEP_SHA_1": hashes.SHA1,
    "RSAES_OAEP_SHA_256": hashes.SHA256,
    "RSA_AES_KEY_WRAP_SHA_1": hashes.SHA1,
    "RSA_AES_KEY_WRAP_SHA_256": hashes.SHA256,
}
_WRAPPING_SPECS = ("RSA_2048", "RSA_3072", "RSA_4096")
# (shortest, longest) material in bytes: AWS's symmetric keys are 256 bits; HMAC keys at least the
# digest size, at most the hash's block size.
_LENGTHS = {
    "SYMMETRIC_DEFAULT": (32, 32),
    "HMAC_224": (28, 64),
    "HMAC_256": (32, 64),
    "HMAC_384": (48, 128),
    "HMAC_512": (64, 128),
}


def _unsupported(message: str) -> AwsError:
    return AwsError("UnsupportedOperationException", message)


def _external(kms: KmsCore, ctx: CallContext, p: Params, op: str) -> KeyRecord:
    rec = kms.resolve(p.str("KeyId"), kms.clock.now())
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, op, rec)
    if rec.origin != "EXTERNAL":
        raise _unsupported(f"{rec.arn} has Origin {rec.origin}: only EXTERNAL keys take imported material")
    kms.require_not_pending(rec)
    return rec


def material_id(key_id: str, material: bytes) -> str:
    return hashlib.sha256(b"wafproxy-kms key material|" + key_id.encode() + b"|" + material).hexdigest()


def _wrapping(p: Params) -> tuple[str, str]:
    alg = p.str("WrappingAlgorithm", max_len=32)
    spec = p.str("WrappingKeySpec", max_len=16)
    if alg in ("RSAES_PKCS1_V1_5", "SM2PKE") or spec == "SM2":
        raise _unsupported(
            f"{alg if alg in ('RSAES_PKCS1_V1_5', 'SM2PKE') else spec} is not offered by this KMS"
        )
    if alg not in _WRAP_HASH:
        raise validation(
            f"WrappingAlgorithm must be one of {', '.join(_WRAP_HASH)}", path="WrappingAlgorithm"
        )
    if spec not in _WRAPPING_SPECS:
        raise validation(
            f"WrappingKeySpec must be one of {', '.join(_WRAPPING_SPECS)}", path="WrappingKeySpec"
        )
    return alg, spec


async def get_parameters_for_import(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    with kms.lock:
        alg, spec = _wrapping(p)
        rec = _external(kms, ctx, p, "GetParametersForImport")
    private = private_to_der(await asyncio.to_thread(new_private_key, spec))  # RSA_4096: seconds of CPU
    valid_to = kms.clock.now() + TOKEN_SECONDS
    header = json.dumps({"a": alg, "t": valid_to}).encode()
    token = kms.store.seal(f"import token|{rec.key_id}", header + b"\n" + private)
    return {
        "KeyId": rec.arn,
        "ImportToken": token,
        "PublicKey": public_der(private),
        "ParametersValidTo": valid_to,
    }


def _open_token(kms: KmsCore, rec: KeyRecord, token: bytes) -> tuple[str, rsa.RSAPrivateKey]:
    opened = kms.store.open_sealed(f"import token|{rec.key_id}", token)
    if opened is None or b"\n" not in opened:
        raise AwsError("InvalidImportTokenException", "The import token is not valid for this KMS key.")
    header, der = opened.split(b"\n", 1)
    info = json.loads(header)
    if kms.clock.now() > float(info["t"]):
        raise AwsError("ExpiredImportTokenException", "The import token has expired; get new parameters.")
    private = load_private(der)
    assert isinstance(private, rsa.RSAPrivateKey)
    return str(info["a"]), private


def _unwrap(alg: str, private: rsa.RSAPrivateKey, wrapped: bytes) -> bytes:
    h = _WRAP_HASH[alg]
    oaep = padding.OAEP(padding.MGF1(h()), h(), None)
    try:
        if alg.startswith("RSAES_OAEP"):
            return private.decrypt(wrapped, oaep)
        size = private.key_size // 8
        aes_key = private.decrypt(wrapped[:size], oaep)
        return keywrap.aes_key_unwrap_with_padding(aes_key, wrapped[size:])
    except (ValueError, keywrap.InvalidUnwrap):
        raise AwsError(
            "InvalidCiphertextException",
            "The encrypted key material could not be unwrapped with these import parameters.",
        ) from None


def _expiry(kms: KmsCore, p: Params) -> float | None:
    model = p.str("ExpirationModel", required=False, default="KEY_MATERIAL_EXPIRES", max_len=32)
    raw = p.raw("ValidTo")
    if model == "KEY_MATERIAL_DOES_NOT_EXPIRE":
        if raw is not None:
            raise validation("ValidTo is not valid with KEY_MATERIAL_DOES_NOT_EXPIRE", path="ValidTo")
        return None
    if model != "KEY_MATERIAL_EXPIRES":
        raise validation(
            "ExpirationModel must be KEY_MATERIAL_EXPIRES or KEY_MATERIAL_DOES_NOT_EXPIRE",
            path="ExpirationModel",
        )
    if raw is None:
        raise validation("ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES", path="ValidTo")
    try:
        when = float(raw) if isinstance(raw, int | float) else datetime.fromisoformat(str(raw)).timestamp()
    except ValueError:
        raise validation("ValidTo must be a timestamp", path="ValidTo") from None
    now = kms.clock.now()
    if not now < when <= now + MAX_VALID_DAYS * 86400:
        raise validation(
            f"ValidTo must be in the future and at most {MAX_VALID_DAYS} days away", path="ValidTo"
        )
    return when


def import_key_material(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec = _external(kms, ctx, p, "ImportKeyMaterial")
    if p.has("KeyMaterialDescription"):
        raise _unsupported("KeyMaterialDescription is not supported by this KMS")
    valid_to = _expiry(kms, p)
    kind = p.str("ImportType", required=False, max_len=32)
    if kind == "NEW_KEY_MATERIAL" and rec.material_id is not None:
        raise _unsupported(f"{rec.arn} already has key material: this KMS imports no second material")
    if kind == "EXISTING_KEY_MATERIAL" and rec.material_id is None:
        raise validation("No key material was imported into this key yet", path="ImportType")
    claimed = p.str("KeyMaterialId", required=False, max_len=64)
    if claimed is not None and kind == "NEW_KEY_MATERIAL":
        raise validation("KeyMaterialId is not valid with NEW_KEY_MATERIAL", path="KeyMaterialId")
    alg, private = _open_token(kms, rec, p.blob("ImportToken"))
    material = _unwrap(alg, private, p.blob("EncryptedKeyMaterial"))
    lo, hi = _LENGTHS[rec.spec]
    mid = material_id(rec.key_id, material)
    if not lo <= len(material) <= hi:
        raise AwsError("IncorrectKeyMaterialException", f"{rec.spec} key material is {lo} to {hi} bytes")
    if (rec.material_id is not None and mid != rec.material_id) or (claimed is not None and claimed != mid):
        raise AwsError(
            "IncorrectKeyMaterialException",
            "The key material is not the material previously imported into this key.",
        )
    bare = rec.state is KeyState.PENDING_IMPORT
    state = KeyState.ENABLED if bare else rec.state
    kms.save(
        rec.with_(state=state, valid_to=valid_to, material_id=mid),
        material if bare else None,
        1 if bare else None,
    )
    return {"KeyId": rec.arn, "KeyMaterialId": mid}


def delete_imported_key_material(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    rec = _external(kms, ctx, p, "DeleteImportedKeyMaterial")
    if rec.state is KeyState.PENDING_IMPORT:
        raise AwsError("KMSInvalidStateException", f"{rec.arn} is pending import: it has no key material.")
    claimed = p.str("KeyMaterialId", required=False, max_len=64)
    if claimed is not None and claimed != rec.material_id:
        raise AwsError("NotFoundException", f"{rec.arn} has no key material {claimed}")
    kms.drop_material(rec)
    return {"KeyId": rec.arn, "KeyMaterialId": rec.material_id}


OPERATIONS = {
    "GetParametersForImport": get_parameters_for_import,
    "ImportKeyMaterial": import_key_material,
    "DeleteImportedKeyMaterial": delete_imported_key_material,
}
