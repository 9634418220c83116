"""The KMS API against botocore's model, as boto3 users call it: the common operations' responses
fit the documented shapes (strict client: timestamps as datetimes, blobs as bytes), every paginator
we serve runs end to end, a marker that could not have been issued is InvalidMarkerException, and
an operation that does not apply to a key is AWS's UnsupportedOperationException (every operation of
the model is served: tests/test_api_sweep.py)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sidecars.kms.conftest import Kms

BOB = "arn:aws:iam::123456789012:user/bob"


@pytest.fixture(scope="module")
def client(kms: Kms) -> Any:
    return kms.strict_client()


def test_common_operations_fit_documented_shapes(client: Any) -> None:
    meta = client.create_key(Description="conformance", Tags=[{"TagKey": "team", "TagValue": "sec"}])[
        "KeyMetadata"]
    key = meta["KeyId"]
    assert isinstance(meta["CreationDate"], datetime.datetime) and meta["KeyState"] == "Enabled"
    client.create_alias(AliasName="alias/conformance", TargetKeyId=key)
    sealed = client.encrypt(KeyId="alias/conformance", Plaintext=b"secret", EncryptionContext={"app": "t"})
    opened = client.decrypt(CiphertextBlob=sealed["CiphertextBlob"], EncryptionContext={"app": "t"})
    assert opened["Plaintext"] == b"secret" and opened["KeyId"] == meta["Arn"]
    data_key = client.generate_data_key(KeyId=key, KeySpec="AES_256")
    assert len(data_key["Plaintext"]) == 32 and isinstance(data_key["CiphertextBlob"], bytes)
    assert client.re_encrypt(CiphertextBlob=sealed["CiphertextBlob"], SourceEncryptionContext={"app": "t"},
                             DestinationKeyId=key)["SourceKeyId"] == meta["Arn"]
    assert client.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False
    client.enable_key_rotation(KeyId=key)
    assert client.list_key_policies(KeyId=key)["PolicyNames"] == ["default"]
    assert '"Statement"' in client.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    assert client.list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "team", "TagValue": "sec"}]
    grant = client.create_grant(KeyId=key, GranteePrincipal=BOB, Operations=["Decrypt"])
    (listed,) = client.list_grants(KeyId=key)["Grants"]
    assert listed["GrantId"] == grant["GrantId"] and isinstance(listed["CreationDate"], datetime.datetime)
    deletion = client.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert isinstance(deletion["DeletionDate"], datetime.datetime)
    client.cancel_key_deletion(KeyId=key)
    signer = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = client.sign(KeyId=signer, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    assert client.verify(KeyId=signer, Message=b"m", Signature=signature,
                         SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
    assert isinstance(client.get_public_key(KeyId=signer)["PublicKey"], bytes)


@pytest.mark.parametrize("operation", ["list_keys", "list_aliases", "list_grants", "list_key_policies",
                                       "list_resource_tags", "list_retirable_grants", "list_key_rotations"])
def test_paginators_run_end_to_end(client: Any, operation: str) -> None:
    key = client.create_key()["KeyMetadata"]["KeyId"]
    client.create_grant(KeyId=key, GranteePrincipal=BOB, RetiringPrincipal=BOB, Operations=["Encrypt"])
    client.create_grant(KeyId=key, GranteePrincipal=BOB, Operations=["Decrypt"])
    kwargs = {"list_retirable_grants": {"RetiringPrincipal": BOB}}.get(operation, {})
    if operation in ("list_grants", "list_key_policies", "list_resource_tags", "list_key_rotations"):
        kwargs = {"KeyId": key}
    pages = list(client.get_paginator(operation).paginate(**kwargs, PaginationConfig={"PageSize": 1}))
    assert pages
    if operation == "list_grants":
        assert len(pages) == 2 and all(len(p["Grants"]) == 1 for p in pages)


def test_markers_and_unknown_operations(client: Any) -> None:
    for call in (lambda: client.list_keys(Marker="not-a-marker"),
                 lambda: client.list_aliases(Marker="elsewhere"),
                 lambda: client.list_grants(KeyId=client.create_key()["KeyMetadata"]["KeyId"], Marker="zz")):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "InvalidMarkerException"
    with pytest.raises(ClientError) as err:
        client.get_parameters_for_import(KeyId=client.create_key()["KeyMetadata"]["KeyId"],
                                         WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    assert err.value.response["Error"]["Code"] == "UnsupportedOperationException"  # not an EXTERNAL key
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_custom_key_stores_none_exist_and_none_can_be_made(client: Any) -> None:
    """Every key lives in this KMS's own keystore: the answers AWS KMS gives when no custom key store
    exists and the cluster or proxy named cannot be used."""
    listed = client.describe_custom_key_stores()
    assert listed["CustomKeyStores"] == [] and listed["Truncated"] is False
    store = {"CustomKeyStoreId": "cks-1234567890abcdef0"}
    xks = {"CustomKeyStoreType": "EXTERNAL_KEY_STORE", "XksProxyUriEndpoint": "https://xks.example.com",
           "XksProxyUriPath": "/kms/xks/v1", "XksProxyConnectivity": "PUBLIC_ENDPOINT",
           "XksProxyAuthenticationCredential": {"AccessKeyId": "A" * 20, "RawSecretAccessKey": "s" * 43}}
    hsm = {"CloudHsmClusterId": "cluster-1a23b4cdefg", "TrustAnchorCertificate": "cert",
           "KeyStorePassword": "secret1"}
    missing = "CustomKeyStoreNotFoundException"
    cases: list[tuple[Any, str]] = [
        (lambda: client.describe_custom_key_stores(**store), missing),
        (lambda: client.describe_custom_key_stores(CustomKeyStoreName="mine"), missing),
        (lambda: client.create_custom_key_store(CustomKeyStoreName="hsm", **hsm),
         "CloudHsmClusterNotFoundException"),
        (lambda: client.create_custom_key_store(CustomKeyStoreName="xks", **xks),
         "XksProxyUriUnreachableException"),
        (lambda: client.connect_custom_key_store(**store), missing),
        (lambda: client.disconnect_custom_key_store(**store), missing),
        (lambda: client.update_custom_key_store(**store, NewCustomKeyStoreName="x"), missing),
        (lambda: client.delete_custom_key_store(**store), missing),
    ]
    for call, code in cases:
        with pytest.raises(ClientError) as err:
            call()
        response = err.value.response
        assert (response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]) == (400, code)
    assert client.describe_custom_key_stores()["CustomKeyStores"] == []
