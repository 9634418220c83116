"""New key material for each key spec, and the public half of asymmetric keys.

Symmetric and HMAC material is raw random bytes; asymmetric material is the private key as PKCS#8
DER (what ``cryptography`` loads back), generated with ``cryptography``'s OpenSSL backend.
"""

from __future__ import annotations

import os
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

_HMAC_BYTES = {"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}
try:  # cryptography >= 47
    from cryptography.hazmat.primitives.asymmetric import mlkem

    _ML_KEM: dict[str, Any] = {
        "ML_KEM_768": mlkem.MLKEM768PrivateKey,
        "ML_KEM_1024": mlkem.MLKEM1024PrivateKey,
    }
except ImportError:  # pragma: no cover (an older cryptography: no ML-KEM keys)
    _ML_KEM = {}
ML_KEM_SPECS = tuple(_ML_KEM)
_CURVES: dict[str, ec.EllipticCurve] = {
    "ECC_NIST_P256": ec.SECP256R1(),
    "ECC_NIST_P384": ec.SECP384R1(),
    "ECC_NIST_P521": ec.SECP521R1(),
}


def private_to_der(key: PrivateKeyTypes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def new_material(spec: str) -> bytes:
    if spec == "SYMMETRIC_DEFAULT":
        return os.urandom(32)
    if spec in _HMAC_BYTES:
        return os.urandom(_HMAC_BYTES[spec])
    return private_to_der(new_private_key(spec))


def new_private_key(spec: str) -> PrivateKeyTypes:
    if spec.startswith("RSA_"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(spec[4:]))
    if spec in _CURVES:
        return ec.generate_private_key(_CURVES[spec])
    if spec in _ML_KEM:
        key: PrivateKeyTypes = _ML_KEM[spec].generate()
        return key
    raise ValueError(f"no asymmetric material for {spec}")


def load_private(material: bytes) -> PrivateKeyTypes:
    return serialization.load_der_private_key(material, password=None)


def public_der(material: bytes) -> bytes:
    """SubjectPublicKeyInfo DER, as GetPublicKey returns it."""
    return (
        load_private(material)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
