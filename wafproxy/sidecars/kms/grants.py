"""Grants: per-key delegations of specific operations to a grantee, with encryption-context constraints.

A grant allows ``Operations`` to ``GranteePrincipal`` on one key. ``EncryptionContextEquals``
requires the request's context to be exactly the given one; ``EncryptionContextSubset`` requires it
to contain the given pairs (AWS: https://docs.aws.amazon.com/kms/latest/developerguide/grants.html).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

GRANT_OPERATIONS = frozenset(
    {
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "ReEncryptFrom",
        "ReEncryptTo",
        "Sign",
        "Verify",
        "GetPublicKey",
        "CreateGrant",
        "RetireGrant",
        "DescribeKey",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateMac",
        "VerifyMac",
    }
)
# Only operations that take an encryption context may be granted with a context constraint.
_CONTEXT_OPERATIONS = frozenset(
    {
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "ReEncryptFrom",
        "ReEncryptTo",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "CreateGrant",
        "RetireGrant",
    }
)


@dataclass(frozen=True, slots=True)
class Grant:
    grant_id: str
    key_id: str
    grantee: str
    operations: tuple[str, ...]
    created: float
    issuing_account: str
    name: str = ""
    retiring: str | None = None
    context_equals: tuple[tuple[str, str], ...] | None = None
    context_subset: tuple[tuple[str, str], ...] | None = None

    def allows(self, principal_arn: str, operation: str, context: Mapping[str, str]) -> bool:
        if principal_arn != self.grantee or operation not in self.operations:
            return False
        if self.context_equals is not None:
            return operation in _CONTEXT_OPERATIONS and dict(self.context_equals) == dict(context)
        if self.context_subset is not None:
            return operation in _CONTEXT_OPERATIONS and all(
                context.get(k) == v for k, v in self.context_subset
            )
        return True

    def with_id(self, grant_id: str, created: float) -> Grant:
        """The same grant under another id and date (to compare parameters for idempotency)."""
        return replace(self, grant_id=grant_id, created=created)

    def to_wire(self, key_arn: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "KeyId": key_arn,
            "GrantId": self.grant_id,
            "GranteePrincipal": self.grantee,
            "IssuingAccount": f"arn:aws:iam::{self.issuing_account}:root",
            "Operations": list(self.operations),
            "CreationDate": self.created,
        }
        if self.name:
            out["Name"] = self.name
        if self.retiring:
            out["RetiringPrincipal"] = self.retiring
        if self.context_equals is not None:
            out["Constraints"] = {"EncryptionContextEquals": dict(self.context_equals)}
        elif self.context_subset is not None:
            out["Constraints"] = {"EncryptionContextSubset": dict(self.context_subset)}
        return out

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @staticmethod
    def from_json(text: str) -> Grant:
        d = json.loads(text)
        d["operations"] = tuple(d["operations"])
        for k in ("context_equals", "context_subset"):
            if d[k] is not None:
                d[k] = tuple((a, b) for a, b in d[k])
        return Grant(**d)
