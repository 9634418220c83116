"""KMS vocabulary: key specs, usages, states, and the frozen metadata of one key.

Names and values are AWS's (``SYMMETRIC_DEFAULT``, ``ENCRYPT_DECRYPT``, ``PendingDeletion``…) so
they go on the wire unchanged; see botocore's ``kms`` service model.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from wafproxy.sidecars.kms.material import ML_KEM_SPECS


class KeyState(Enum):
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    PENDING_DELETION = "PendingDeletion"
    PENDING_IMPORT = "PendingImport"  # an EXTERNAL key without (or past the expiry of) its material


class KeyUsage(Enum):
    ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
    SIGN_VERIFY = "SIGN_VERIFY"
    GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC"
    KEY_AGREEMENT = "KEY_AGREEMENT"
    ENCAPSULATE_DECAPSULATE = "ENCAPSULATE_DECAPSULATE"


@dataclass(frozen=True, slots=True)
class SpecInfo:
    usages: tuple[KeyUsage, ...]
    encryption_algorithms: tuple[str, ...] = ()
    signing_algorithms: tuple[str, ...] = ()
    mac_algorithms: tuple[str, ...] = ()
    rotatable: bool = False
    importable: bool = False  # Origin EXTERNAL: the material comes from ImportKeyMaterial


_RSA_SIGN = (
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
)
_RSA_ENC = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")
_ECC_USAGES = (KeyUsage.SIGN_VERIFY, KeyUsage.KEY_AGREEMENT)
KEY_AGREEMENT_ALGORITHMS = ("ECDH",)
ENCAPSULATION_ALGORITHMS = ("ML_KEM",)

SPECS: dict[str, SpecInfo] = {
    "SYMMETRIC_DEFAULT": SpecInfo(
        (KeyUsage.ENCRYPT_DECRYPT,), ("SYMMETRIC_DEFAULT",), rotatable=True, importable=True
    ),
    "HMAC_224": SpecInfo((KeyUsage.GENERATE_VERIFY_MAC,), mac_algorithms=("HMAC_SHA_224",), importable=True),
    "HMAC_256": SpecInfo((KeyUsage.GENERATE_VERIFY_MAC,), mac_algorithms=("HMAC_SHA_256",), importable=True),
    "HMAC_384": SpecInfo((KeyUsage.GENERATE_VERIFY_MAC,), mac_algorithms=("HMAC_SHA_384",), importable=True),
    "HMAC_512": SpecInfo((KeyUsage.GENERATE_VERIFY_MAC,), mac_algorithms=("HMAC_SHA_512",), importable=True),
    "RSA_2048": SpecInfo((KeyUsage.ENCRYPT_DECRYPT, KeyUsage.SIGN_VERIFY), _RSA_ENC, _RSA_SIGN),
    "RSA_3072": SpecInfo((KeyUsage.ENCRYPT_DECRYPT, KeyUsage.SIGN_VERIFY), _RSA_ENC, _RSA_SIGN),
    "RSA_4096": SpecInfo((KeyUsage.ENCRYPT_DECRYPT, KeyUsage.SIGN_VERIFY), _RSA_ENC, _RSA_SIGN),
    # NIST curves sign or agree keys (ECDH: DeriveSharedSecret), one usage per key, as in AWS KMS
    "ECC_NIST_P256": SpecInfo(_ECC_USAGES, signing_algorithms=("ECDSA_SHA_256",)),
    "ECC_NIST_P384": SpecInfo(_ECC_USAGES, signing_algorithms=("ECDSA_SHA_384",)),
    "ECC_NIST_P521": SpecInfo(_ECC_USAGES, signing_algorithms=("ECDSA_SHA_512",)),
}
if ML_KEM_SPECS:  # FIPS 203 key encapsulation, where cryptography has it (ML_KEM_512: it has not)
    SPECS.update({spec: SpecInfo((KeyUsage.ENCAPSULATE_DECAPSULATE,)) for spec in ML_KEM_SPECS})


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
    origin: str = "AWS_KMS"  # or EXTERNAL (imported material)
    valid_to: float | None = None  # imported material's expiry (ExpirationModel KEY_MATERIAL_EXPIRES)
    material_id: str | None = None  # imported material's KeyMaterialId: SHA-256 of key id and material
    # multi-Region keys: (region, is primary) of every key of the set, this region's included
    regions: tuple[tuple[str, bool], ...] = field(default=())

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
            "Origin": self.origin,
            "KeyManager": "CUSTOMER",
            **legacy_spec(self.spec),
            "KeySpec": self.spec,
            "MultiRegion": bool(self.regions),
        }
        if self.regions:
            out["MultiRegionConfiguration"] = self.multi_region_configuration()
        if self.origin == "EXTERNAL":
            out["ExpirationModel"] = (
                "KEY_MATERIAL_EXPIRES" if self.valid_to is not None else "KEY_MATERIAL_DOES_NOT_EXPIRE"
            )
            if self.valid_to is not None:
                out["ValidTo"] = self.valid_to
            if self.material_id is not None:
                out["CurrentKeyMaterialId"] = self.material_id
        if self.deletion_date is not None:
            out["DeletionDate"] = self.deletion_date
            out["PendingDeletionWindowInDays"] = max(1, round((self.deletion_date - self.created) / 86400))
        if self.usage is KeyUsage.ENCRYPT_DECRYPT:
            out["EncryptionAlgorithms"] = list(info.encryption_algorithms)
        elif self.usage is KeyUsage.SIGN_VERIFY:
            out["SigningAlgorithms"] = list(info.signing_algorithms)
        elif self.usage is KeyUsage.KEY_AGREEMENT:
            out["KeyAgreementAlgorithms"] = list(KEY_AGREEMENT_ALGORITHMS)
        elif self.usage is KeyUsage.ENCAPSULATE_DECAPSULATE:
            out["EncapsulationAlgorithms"] = list(ENCAPSULATION_ALGORITHMS)
        else:
            out["MacAlgorithms"] = list(info.mac_algorithms)
        return out

    def arn_in(self, region: str) -> str:
        """This key's ARN in ``region`` (a multi-Region key has the same id in every region)."""
        parts = self.arn.split(":")
        return ":".join([*parts[:3], region, *parts[4:]])

    def multi_region_configuration(self) -> dict[str, Any]:
        here = self.arn.split(":")[3]
        primary = next(r for r, is_primary in self.regions if is_primary)
        return {
            "MultiRegionKeyType": "PRIMARY" if primary == here else "REPLICA",
            "PrimaryKey": {"Arn": self.arn_in(primary), "Region": primary},
            "ReplicaKeys": [{"Arn": self.arn_in(r), "Region": r} for r, p in self.regions if not p],
        }


# CustomerMasterKeySpec (deprecated) names only the specs that existed before KeySpec; its enum has no
# ML-DSA, ML-KEM or Ed25519 member, so for those keys AWS leaves the member out.
_LEGACY_SPECS = frozenset(
    {
        "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
        "ECC_SECG_P256K1", "SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2",
    }
)


def legacy_spec(spec: str) -> dict[str, str]:
    """``{"CustomerMasterKeySpec": spec}`` when the deprecated member can name ``spec``, else ``{}``."""
    return {"CustomerMasterKeySpec": spec} if spec in _LEGACY_SPECS else {}
