"""Imported key material through boto3's strict shapes: every wrapping algorithm AWS offers, the
material really is what is used (checked by HMAC, and by re-importing after expiry), expiry and
deletion back to PendingImport, only the same material re-imported, import tokens bound to their
key and their 24 hours, and a restart keeping all of it."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from tests.sidecars.kms.conftest import Kms, start_kms

_HASH = {"SHA_1": hashes.SHA1, "SHA_256": hashes.SHA256}


@pytest.fixture()
def running(tmp_path: Path) -> Iterator[Kms]:
    kms, stop = start_kms(tmp_path / "kms")
    try:
        yield kms
    finally:
        stop()




def wrap(params: dict[str, Any], algorithm: str, material: bytes) -> bytes:
    """What a user does with GetParametersForImport's answer (AWS's documented procedure)."""
    public = serialization.load_der_public_key(params["PublicKey"])
    h = _HASH[algorithm.rsplit("_", 2)[-2] + "_" + algorithm.rsplit("_", 1)[-1]]
    oaep = padding.OAEP(padding.MGF1(h()), h(), None)
    if algorithm.startswith("RSAES_OAEP"):
        return bytes(public.encrypt(material, oaep))  # type: ignore[union-attr]
    aes = os.urandom(32)
    return bytes(public.encrypt(aes, oaep)) + keywrap.aes_key_wrap_with_padding(aes, material)  # type: ignore[union-attr]


def _code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def _import(
    c: Any,
    key: str,
    material: bytes,
    algorithm: str = "RSAES_OAEP_SHA_256",
    spec: str = "RSA_2048",
    **kwargs: Any,
) -> dict[str, Any]:
    params = c.get_parameters_for_import(KeyId=key, WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    kwargs.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    return dict(
        c.import_key_material(
            KeyId=key,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrap(params, algorithm, material),
            **kwargs,
        )
    )


@pytest.mark.parametrize(
    ("algorithm", "spec"),
    [
        ("RSAES_OAEP_SHA_1", "RSA_2048"),
        ("RSAES_OAEP_SHA_256", "RSA_3072"),
        ("RSA_AES_KEY_WRAP_SHA_1", "RSA_2048"),
        ("RSA_AES_KEY_WRAP_SHA_256", "RSA_2048"),
    ],
)
def test_each_wrapping_algorithm_imports_material_that_encrypts(
    running: Kms, algorithm: str, spec: str
) -> None:
    c = running.strict_client()
    meta = c.create_key(Origin="EXTERNAL", Description="imported")["KeyMetadata"]
    assert (meta["Origin"], meta["KeyState"], meta["Enabled"]) == ("EXTERNAL", "PendingImport", False)
    with pytest.raises(ClientError) as err:
        c.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")
    assert _code(err) == "KMSInvalidStateException"
    params = c.get_parameters_for_import(
        KeyId=meta["KeyId"], WrappingAlgorithm=algorithm, WrappingKeySpec=spec
    )
    assert params["ParametersValidTo"] > datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=23)
    assert serialization.load_der_public_key(params["PublicKey"]).key_size == int(spec[4:])  # type: ignore[union-attr]
    material = os.urandom(32)
    got = c.import_key_material(
        KeyId=meta["KeyId"],
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params, algorithm, material),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    assert len(got["KeyMaterialId"]) == 64
    after = c.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    assert (after["KeyState"], after["ExpirationModel"], after["CurrentKeyMaterialId"]) == (
        "Enabled",
        "KEY_MATERIAL_DOES_NOT_EXPIRE",
        got["KeyMaterialId"],
    )
    blob = c.encrypt(KeyId=meta["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    assert c.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"


def test_imported_hmac_material_is_the_material_used(running: Kms) -> None:
    c = running.strict_client()
    key = c.create_key(Origin="EXTERNAL", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"][
        "KeyId"
    ]
    material = os.urandom(32)
    _import(c, key, material)
    mac = c.generate_mac(KeyId=key, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac == hmac.new(material, b"m", hashlib.sha256).digest()  # the imported bytes, nothing else


def test_expiry_deletion_and_reimport_of_the_same_material(running: Kms) -> None:
    c = running.strict_client()
    key = c.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    material = os.urandom(32)
    valid_to = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)
    first = _import(c, key, material, ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    blob = c.encrypt(KeyId=key, Plaintext=b"kept")["CiphertextBlob"]
    meta = c.describe_key(KeyId=key)["KeyMetadata"]
    assert (
        meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
        and abs(meta["ValidTo"].timestamp() - valid_to.timestamp()) < 1
    )
    running.clock.offset = 3 * 86400  # past ValidTo: the material is gone
    assert c.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as err:
        c.decrypt(CiphertextBlob=blob)
    assert _code(err) == "KMSInvalidStateException"
    with pytest.raises(ClientError) as err:
        _import(c, key, os.urandom(32))
    assert _code(err) == "IncorrectKeyMaterialException"
    assert _import(c, key, material)["KeyMaterialId"] == first["KeyMaterialId"]
    assert c.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"  # the same material opens old blobs
    deleted = c.delete_imported_key_material(KeyId=key)
    assert deleted["KeyMaterialId"] == first["KeyMaterialId"]
    assert c.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingImport"
    for call, code in (
        (lambda: c.delete_imported_key_material(KeyId=key), "KMSInvalidStateException"),
        (lambda: c.enable_key(KeyId=key), "KMSInvalidStateException"),
        (lambda: c.enable_key_rotation(KeyId=key), "UnsupportedOperationException"),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert _code(err) == code


def test_parameters_and_tokens_checked(running: Kms) -> None:
    c = running.strict_client()
    key = c.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    other = c.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    plain = c.create_key()["KeyMetadata"]["KeyId"]
    for kwargs, code in (
        ({"KeyId": plain}, "UnsupportedOperationException"),
        ({"KeyId": key, "WrappingAlgorithm": "RSAES_PKCS1_V1_5"}, "UnsupportedOperationException"),
        ({"KeyId": key, "WrappingKeySpec": "SM2"}, "UnsupportedOperationException"),
    ):
        with pytest.raises(ClientError) as err:
            c.get_parameters_for_import(
                **{"WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048", **kwargs}
            )
        assert _code(err) == code
    params = c.get_parameters_for_import(
        KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    wrapped = wrap(params, "RSAES_OAEP_SHA_256", os.urandom(32))
    cases = [
        ({"KeyId": other}, "InvalidImportTokenException"),  # a token opens for its own key only
        (
            {"ImportToken": params["ImportToken"][:-1] + bytes([params["ImportToken"][-1] ^ 1])},
            "InvalidImportTokenException",
        ),
        ({"EncryptedKeyMaterial": b"\1" * 256}, "InvalidCiphertextException"),
        (
            {"EncryptedKeyMaterial": wrap(params, "RSAES_OAEP_SHA_256", os.urandom(16))},
            "IncorrectKeyMaterialException",
        ),
        ({"ExpirationModel": "KEY_MATERIAL_EXPIRES"}, "ValidationException"),  # no ValidTo
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as err:
            c.import_key_material(
                **{
                    "KeyId": key,
                    "ImportToken": params["ImportToken"],
                    "EncryptedKeyMaterial": wrapped,
                    "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
                    **kwargs,
                }
            )
        assert _code(err) == code
    running.clock.offset = 25 * 3600
    with pytest.raises(ClientError) as err:
        c.import_key_material(
            KeyId=key,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrapped,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )
    assert _code(err) == "ExpiredImportTokenException"
    assert c.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingImport"  # refusals changed nothing


def test_restart_keeps_imported_material_and_tokens(tmp_path: Path) -> None:
    kms, stop = start_kms(tmp_path / "kms")
    try:
        c = kms.strict_client()
        key = c.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        waiting = c.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        params = c.get_parameters_for_import(
            KeyId=waiting, WrappingAlgorithm="RSA_AES_KEY_WRAP_SHA_256", WrappingKeySpec="RSA_2048"
        )
        material = os.urandom(32)
        imported = _import(c, key, material)
        blob = c.encrypt(KeyId=key, Plaintext=b"durable")["CiphertextBlob"]
    finally:
        stop()
    kms, stop = start_kms(tmp_path / "kms")
    try:
        c = kms.strict_client()
        meta = c.describe_key(KeyId=key)["KeyMetadata"]
        assert (meta["KeyState"], meta["CurrentKeyMaterialId"]) == ("Enabled", imported["KeyMaterialId"])
        assert c.decrypt(CiphertextBlob=blob)["Plaintext"] == b"durable"
        c.import_key_material(
            KeyId=waiting,
            ImportToken=params["ImportToken"],  # a token survives a restart
            EncryptedKeyMaterial=wrap(params, "RSA_AES_KEY_WRAP_SHA_256", os.urandom(32)),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )
        assert c.describe_key(KeyId=waiting)["KeyMetadata"]["KeyState"] == "Enabled"
    finally:
        stop()
