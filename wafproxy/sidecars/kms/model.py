"""KMS vocabulary: key specs, usages, states, and the frozen metadata of one key.

Names and values are AWS's (``SYMMETRIC_DEFAULT``, ``ENCRYPT_DECRYPT``, ``PendingDeletion``…) so
they go on the wire unchanged; see botocore's ``kms`` service model.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any


class KeyState(Enum):
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    PENDING_DELETION = "PendingDeletion"


class KeyUsage(Enum):
    ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
    SIGN_VERIFY = "SIGN_VERIFY"
    GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC"


@dataclass(frozen=True, slots=True)
class SpecInfo:
    usages: tuple[KeyUsage, ...]
    encryption_algorithms: tuple[str, ...] = ()
    signing_algorithms: tuple[str, ...] = ()
    mac_algorithms: tuple[str, ...] = ()
    rotatable: bool = False


_RSA_SIGN = (
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
)
_RSA_ENC = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")

SPECS: dict[str, SpecInfo] = {
    "SYMMETRIC_DEFAULT": SpecInfo((KeyUsage.ENCRYPT_DECRYPT,), ("SYMMETRIC_DEFAULT",), rotatable=True),
    "HMAC_224": SpecInfo((KeyUsage.GENERATE_VERIFY_MAC,), mac_algorithms=("HMAC_SHA_224",)),
    "HMAC_256": SpecInfo((KeyUsage.GENERATE_VERIFY_MAC,), mac_algorithms=("HMAC_SHA_256",)),
    "HMAC_384": SpecInfo((KeyUsage.GENERATE_VERIFY_MAC,), mac_algorithms=("HMAC_SHA_384",)),
    "HMAC_512": SpecInfo((KeyUsage.GENERATE_VERIFY_MAC,), mac_algorithms=("HMAC_SHA_512",)),
    "RSA_2048": SpecInfo((KeyUsage.ENCRYPT_DECRYPT, KeyUsage.SIGN_VERIFY), _RSA_ENC, _RSA_SIGN),
    "RSA_3072": SpecInfo((KeyUsage.ENCRYPT_DECRYPT, KeyUsage.SIGN_VERIFY), _RSA_ENC, _RSA_SIGN),
    "RSA_4096": SpecInfo((KeyUsage.ENCRYPT_DECRYPT, KeyUsage.SIGN_VERIFY), _RSA_ENC, _RSA_SIGN),
    "ECC_NIST_P256": SpecInfo((KeyUsage.SIGN_VERIFY,), signing_algorithms=("ECDSA_SHA_256",)),
    "ECC_NIST_P384": SpecInfo((KeyUsage.SIGN_VERIFY,), signing_algorithms=("ECDSA_SHA_384",)),
    "ECC_NIST_P521": SpecInfo((KeyUsage.SIGN_VERIFY,), signing_algorithms=("ECDSA_SHA_512",)),
}


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """Everything about a key except its material. Replace, never mutate (``with_``)."""

    key_id: str
    arn: str
    account: str
    spec: str
    usage: KeyUsage
    state: KeyState
    created: float
    policy: str  # key policy JSON text, exactly as put
    description: str = ""
    enabled_before_deletion: bool = True
    deletion_date: float | None = None
    rotation_enabled: bool = False
    rotation_period_days: int = 365
    next_rotation: float | None = None
    current_version: int = 1
    tags: tuple[tuple[str, str], ...] = field(default=())

    def with_(self, **changes: Any) -> KeyRecord:
        return replace(self, **changes)

    def metadata(self) -> dict[str, Any]:
        """``KeyMetadata`` as DescribeKey/CreateKey return it."""
        info = SPECS[self.spec]
        out: dict[str, Any] = {
            "AWSAccountId": self.account,
            "KeyId": self.key_id,
            "Arn": self.arn,
            "CreationDate": self.created,
            "Enabled": self.state is KeyState.ENABLED,
            "Description": self.description,
            "KeyUsage": self.usage.value,
            "KeyState": self.state.value,
            "Origin": "AWS_KMS",
            "KeyManager": "CUSTOMER",
            "CustomerMasterKeySpec": self.spec,
            "KeySpec": self.spec,
            "MultiRegion": False,
        }
        if self.deletion_date is not None:
            out["DeletionDate"] = self.deletion_date
            out["PendingDeletionWindowInDays"] = max(1, round((self.deletion_date - self.created) / 86400))
        if self.usage is KeyUsage.ENCRYPT_DECRYPT:
            out["EncryptionAlgorithms"] = list(info.encryption_algorithms)
        elif self.usage is KeyUsage.SIGN_VERIFY:
            out["SigningAlgorithms"] = list(info.signing_algorithms)
        else:
            out["MacAlgorithms"] = list(info.mac_algorithms)
        return out
