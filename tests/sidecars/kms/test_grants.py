"""Grants: a grantee gains exactly the granted operations, constraints on the context hold, retire/revoke."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sidecars.kms.conftest import ACCOUNT, Kms, error_code

ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
ONLY_ALICE = json.dumps(
    {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "kms:*", "Resource": "*"}]}
)


@pytest.fixture()
def key(alice: Any) -> str:
    return str(alice.create_key(Policy=ONLY_ALICE)["KeyMetadata"]["Arn"])


def test_grant_gives_exactly_the_operations(kms: Kms, alice: Any, key: str) -> None:
    bob = kms.client("bob")
    blob = alice.encrypt(KeyId=key, Plaintext=b"for bob")["CiphertextBlob"]
    with pytest.raises(ClientError) as err:
        bob.decrypt(CiphertextBlob=blob)
    assert error_code(err) == "AccessDeniedException"
    grant = alice.create_grant(KeyId=key, GranteePrincipal=BOB, Operations=["Decrypt"], Name="g1")
    assert bob.decrypt(CiphertextBlob=blob)["Plaintext"] == b"for bob"
    with pytest.raises(ClientError) as err:
        bob.encrypt(KeyId=key, Plaintext=b"x")
    assert error_code(err) == "AccessDeniedException"
    # Idempotent by name with the same parameters.
    again = alice.create_grant(KeyId=key, GranteePrincipal=BOB, Operations=["Decrypt"], Name="g1")
    assert again["GrantId"] == grant["GrantId"]
    listed = alice.list_grants(KeyId=key)["Grants"]
    assert [g["GrantId"] for g in listed] == [grant["GrantId"]]
    assert listed[0]["GranteePrincipal"] == BOB and listed[0]["Operations"] == ["Decrypt"]
    alice.revoke_grant(KeyId=key, GrantId=grant["GrantId"])
    with pytest.raises(ClientError) as err:
        bob.decrypt(CiphertextBlob=blob)
    assert error_code(err) == "AccessDeniedException"


def test_context_constraints(kms: Kms, alice: Any, key: str) -> None:
    bob = kms.client("bob")
    alice.create_grant(
        KeyId=key,
        GranteePrincipal=BOB,
        Operations=["Encrypt", "Decrypt"],
        Constraints={"EncryptionContextSubset": {"tenant": "t1"}},
    )
    blob = bob.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"tenant": "t1", "extra": "1"})[
        "CiphertextBlob"
    ]
    assert (
        bob.decrypt(CiphertextBlob=blob, EncryptionContext={"tenant": "t1", "extra": "1"})["Plaintext"]
        == b"x"
    )
    for context in ({"tenant": "t2"}, {}):
        with pytest.raises(ClientError) as err:
            bob.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext=context)
        assert error_code(err) == "AccessDeniedException"
    other = alice.create_key(Policy=ONLY_ALICE)["KeyMetadata"]["Arn"]
    alice.create_grant(
        KeyId=other,
        GranteePrincipal=BOB,
        Operations=["Encrypt"],
        Constraints={"EncryptionContextEquals": {"tenant": "t1"}},
    )
    bob.encrypt(KeyId=other, Plaintext=b"x", EncryptionContext={"tenant": "t1"})
    with pytest.raises(ClientError) as err:
        bob.encrypt(KeyId=other, Plaintext=b"x", EncryptionContext={"tenant": "t1", "extra": "1"})
    assert error_code(err) == "AccessDeniedException"


def test_retire_by_retiring_principal_only(kms: Kms, alice: Any, key: str) -> None:
    bob = kms.client("bob")
    g = alice.create_grant(KeyId=key, GranteePrincipal=BOB, Operations=["Encrypt"], RetiringPrincipal=ALICE)
    with pytest.raises(ClientError) as err:
        bob.retire_grant(GrantToken=g["GrantToken"])
    assert error_code(err) == "AccessDeniedException"
    alice.retire_grant(GrantToken=g["GrantToken"])
    assert alice.list_grants(KeyId=key)["Grants"] == []
    with pytest.raises(ClientError) as err:
        alice.retire_grant(GrantToken=g["GrantToken"])
    assert error_code(err) == "InvalidGrantTokenException"


def test_bad_grants(alice: Any, key: str) -> None:
    for kwargs in (
        {"Operations": ["Fly"]},
        {"Operations": []},
        {
            "Operations": ["Encrypt"],
            "Constraints": {"EncryptionContextEquals": {"a": "b"}, "EncryptionContextSubset": {"a": "b"}},
        },
    ):
        with pytest.raises(ClientError) as err:
            alice.create_grant(KeyId=key, GranteePrincipal=BOB, **kwargs)
        assert error_code(err) == "ValidationException", kwargs
