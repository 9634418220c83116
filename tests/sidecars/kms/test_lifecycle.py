"""Key states, deletion windows, rotation, aliases, tags and key policies — via boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sidecars.kms.conftest import ACCOUNT, Kms, error_code
from wafproxy.sidecars.kms import blob

DAY = 86400.0


def test_create_describe_list(alice: Any) -> None:
    meta = alice.create_key(Description="d1", Tags=[{"TagKey": "team", "TagValue": "waf"}])["KeyMetadata"]
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{meta['KeyId']}"
    assert meta["KeyState"] == "Enabled" and meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT" and meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    got = alice.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    assert got["Description"] == "d1" and got["CreationDate"] == meta["CreationDate"]
    listed = [
        k["KeyId"] for k in alice.get_paginator("list_keys").paginate(Limit=1).build_full_result()["Keys"]
    ]
    assert meta["KeyId"] in listed and len(listed) == len(set(listed))
    assert alice.list_resource_tags(KeyId=meta["KeyId"])["Tags"] == [{"TagKey": "team", "TagValue": "waf"}]


def test_bad_create_parameters(alice: Any) -> None:
    for kwargs, code in [
        ({"KeySpec": "AES_999"}, "ValidationException"),
        ({"KeySpec": "HMAC_256", "KeyUsage": "ENCRYPT_DECRYPT"}, "ValidationException"),
        ({"Origin": "EXTERNAL", "KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"},
         "UnsupportedOperationException"),
        ({"Origin": "AWS_CLOUDHSM"}, "UnsupportedOperationException"),
        ({"Policy": "{not json"}, "MalformedPolicyDocumentException"),
        ({"Tags": [{"TagKey": "aws:x", "TagValue": "y"}]}, "TagException"),
    ]:
        with pytest.raises(ClientError) as err:
            alice.create_key(**kwargs)
        assert error_code(err) == code, kwargs


def test_disabled_key_refuses_encrypt_and_decrypt(alice: Any) -> None:
    key = alice.create_key()["KeyMetadata"]["KeyId"]
    blob = alice.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    alice.disable_key(KeyId=key)
    assert alice.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Disabled"
    for call in (
        lambda: alice.encrypt(KeyId=key, Plaintext=b"x"),
        lambda: alice.decrypt(CiphertextBlob=blob),
        lambda: alice.generate_data_key(KeyId=key, KeySpec="AES_256"),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err) == "DisabledException"
    alice.enable_key(KeyId=key)
    assert alice.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_deletion_window_and_deletion(kms: Kms, alice: Any) -> None:
    key = alice.create_key()["KeyMetadata"]["KeyId"]
    blob = alice.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    for days in (6, 31):
        with pytest.raises(ClientError) as err:
            alice.schedule_key_deletion(KeyId=key, PendingWindowInDays=days)
        assert error_code(err) == "ValidationException"
    out = alice.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert out["KeyState"] == "PendingDeletion" and out["PendingWindowInDays"] == 7
    for call in (
        lambda: alice.encrypt(KeyId=key, Plaintext=b"x"),
        lambda: alice.decrypt(CiphertextBlob=blob),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err) == "KMSInvalidStateException"
    with pytest.raises(ClientError) as err:
        alice.enable_key(KeyId=key)
    assert error_code(err) == "KMSInvalidStateException"
    # Cancel → Disabled (as AWS), usable after EnableKey.
    assert alice.cancel_key_deletion(KeyId=key)["KeyId"].endswith(key)
    assert alice.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Disabled"
    alice.enable_key(KeyId=key)
    assert alice.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    # Schedule again and let the window pass: the key is gone, its ciphertexts are dead.
    alice.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    kms.clock.offset += 6 * DAY
    assert alice.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    kms.clock.offset += 2 * DAY
    with pytest.raises(ClientError) as err:
        alice.describe_key(KeyId=key)
    assert error_code(err) == "NotFoundException"
    with pytest.raises(ClientError) as err:
        alice.decrypt(CiphertextBlob=blob)
    assert error_code(err) == "InvalidCiphertextException"
    assert kms.service.core.store.materials(key) == {}


def test_rotation_creates_new_material(kms: Kms, alice: Any) -> None:
    key = alice.create_key()["KeyMetadata"]["KeyId"]
    old = alice.encrypt(KeyId=key, Plaintext=b"v1", EncryptionContext={"c": "1"})["CiphertextBlob"]
    material_v1 = kms.service.core.material(kms.service.core.records[key])
    assert alice.rotate_key_on_demand(KeyId=key)["KeyId"].endswith(key)
    core = kms.service.core
    assert core.records[key].current_version == 2
    assert core.material(core.records[key]) != material_v1
    new = alice.encrypt(KeyId=key, Plaintext=b"v2", EncryptionContext={"c": "1"})["CiphertextBlob"]
    assert blob.parse(old).version == 1 and blob.parse(new).version == 2  # self-describing versions
    assert alice.decrypt(CiphertextBlob=old, EncryptionContext={"c": "1"})["Plaintext"] == b"v1"
    assert alice.decrypt(CiphertextBlob=new, EncryptionContext={"c": "1"})["Plaintext"] == b"v2"


def test_automatic_rotation(kms: Kms, alice: Any) -> None:
    key = alice.create_key()["KeyMetadata"]["KeyId"]
    assert alice.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False
    with pytest.raises(ClientError) as err:
        alice.enable_key_rotation(KeyId=key, RotationPeriodInDays=30)
    assert error_code(err) == "ValidationException"
    alice.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    status = alice.get_key_rotation_status(KeyId=key)
    assert status["KeyRotationEnabled"] and status["RotationPeriodInDays"] == 90
    old = alice.encrypt(KeyId=key, Plaintext=b"before")["CiphertextBlob"]
    kms.clock.offset += 91 * DAY
    alice.encrypt(KeyId=key, Plaintext=b"after")
    assert kms.service.core.records[key].current_version == 2
    assert alice.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
    alice.rotate_key_on_demand(KeyId=key)
    rotations = alice.list_key_rotations(KeyId=key)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC", "ON_DEMAND"]
    assert rotations[0]["RotationDate"].timestamp() >= kms.clock.now() - 60  # dated when it happened
    alice.disable_key_rotation(KeyId=key)
    assert alice.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False


def test_aliases(alice: Any) -> None:
    a = alice.create_key()["KeyMetadata"]["KeyId"]
    b = alice.create_key()["KeyMetadata"]["KeyId"]
    alice.create_alias(AliasName="alias/app", TargetKeyId=a)
    with pytest.raises(ClientError) as err:
        alice.create_alias(AliasName="alias/app", TargetKeyId=b)
    assert error_code(err) == "AlreadyExistsException"
    for bad in ("app", "alias/", "alias/bad name", "alias/x$"):
        with pytest.raises(ClientError) as err:
            alice.create_alias(AliasName=bad, TargetKeyId=a)
        assert error_code(err) == "ValidationException", bad
    assert alice.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"] == a
    alice.update_alias(AliasName="alias/app", TargetKeyId=b)
    assert alice.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"] == b
    names = {x["AliasName"]: x["TargetKeyId"] for x in alice.list_aliases(KeyId=b)["Aliases"]}
    assert names == {"alias/app": b}
    alice.delete_alias(AliasName="alias/app")
    with pytest.raises(ClientError) as err:
        alice.describe_key(KeyId="alias/app")
    assert error_code(err) == "NotFoundException"


def test_tags(alice: Any) -> None:
    key = alice.create_key()["KeyMetadata"]["KeyId"]
    alice.tag_resource(KeyId=key, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}])
    alice.tag_resource(KeyId=key, Tags=[{"TagKey": "a", "TagValue": "3"}])
    alice.untag_resource(KeyId=key, TagKeys=["b"])
    assert alice.list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "a", "TagValue": "3"}]


def test_key_policy_round_trip_and_lockout_check(alice: Any) -> None:
    key = alice.create_key()["KeyMetadata"]["KeyId"]
    default = json.loads(alice.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    assert default["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    lockout = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ]
        }
    )
    with pytest.raises(ClientError) as err:
        alice.put_key_policy(KeyId=key, PolicyName="default", Policy=lockout)
    assert error_code(err) == "MalformedPolicyDocumentException"
    with pytest.raises(ClientError) as err:
        alice.put_key_policy(
            KeyId=key,
            PolicyName="default",
            Policy='{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
        )
    assert error_code(err) == "MalformedPolicyDocumentException"  # a key policy names a Principal
    alice.put_key_policy(KeyId=key, PolicyName="default", Policy=lockout, BypassPolicyLockoutSafetyCheck=True)
    with pytest.raises(ClientError) as err:
        alice.describe_key(KeyId=key)
    assert error_code(err) == "AccessDeniedException"
