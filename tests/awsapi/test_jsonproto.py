"""The JSON 1.1 dispatcher served by uvicorn, driven by boto3 (a KMS client against toy handlers)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.servers import uvicorn_in_thread
from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.awsapi.errors import AwsError
from wafproxy.awsapi.jsonproto import CallContext, CallRecord, JsonService
from wafproxy.awsapi.params import Params

STORE = CredentialStore.parse("[alice]\naws_access_key_id = AKIAALICE\naws_secret_access_key = s3cr3t\n")


def _random(ctx: CallContext, p: Params) -> Mapping[str, Any]:
    n = p.int("NumberOfBytes", lo=1, hi=1024)
    ctx.resources.append("arn:test")
    return {"Plaintext": bytes(range(n % 256))[:n] or b"\0"}


def _describe(ctx: CallContext, p: Params) -> Mapping[str, Any]:
    raise AwsError("NotFoundException", f"Key '{p.str('KeyId')}' does not exist")


async def _list_keys(ctx: CallContext, p: Params) -> Mapping[str, Any]:
    # An async handler (the control plane's are), with a validation error mapped by the service.
    p.int("Limit", required=False, lo=1, hi=10)
    return {"Keys": [{"KeyId": "k1", "KeyArn": "arn:k1"}], "Truncated": False}


def _map(exc: AwsError) -> AwsError:
    if exc.code == "ValidationException":
        return AwsError("InvalidArnException", "mapped: " + exc.message, path=exc.path, status=exc.status)
    return exc


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, list[CallRecord]]]:
    records: list[CallRecord] = []
    app = JsonService(
        target_prefix="TrentService",
        signing_name="kms",
        credentials=STORE,
        operations={"GenerateRandom": _random, "DescribeKey": _describe, "ListKeys": _list_keys},
        on_call=records.append,
        map_error=_map,
    )
    with uvicorn_in_thread(app) as server:
        yield server.url, records


def _client(url: str, key: str = "AKIAALICE", secret: str = "s3cr3t") -> Any:
    return boto3.client(
        "kms",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def test_dispatch_and_blob_encoding(served: tuple[str, list[CallRecord]]) -> None:
    url, records = served
    out = _client(url).generate_random(NumberOfBytes=5)
    assert out["Plaintext"] == b"\x00\x01\x02\x03\x04"
    assert out["ResponseMetadata"]["RequestId"]
    assert records[-1].operation == "GenerateRandom" and records[-1].error_code is None
    assert records[-1].principal_arn == "arn:aws:iam::123456789012:user/alice"
    assert records[-1].resources == ("arn:test",)


def test_aws_error_shape_reaches_boto3(served: tuple[str, list[CallRecord]]) -> None:
    url, records = served
    with pytest.raises(ClientError) as err:
        _client(url).describe_key(KeyId="nope")
    assert err.value.response["Error"]["Code"] == "NotFoundException"
    assert "nope" in err.value.response["Error"]["Message"]
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert records[-1].error_code == "NotFoundException"


def test_validation_names_the_field_and_errors_can_be_mapped(served: tuple[str, list[CallRecord]]) -> None:
    url, records = served
    with pytest.raises(ClientError) as err:
        _client(url).generate_random(NumberOfBytes=5000)
    assert err.value.response["Error"]["Code"] == "InvalidArnException"  # via map_error
    assert "numberOfBytes" in err.value.response["Error"]["Message"]
    assert records[-1].error_code == "InvalidArnException"


def test_async_handler(served: tuple[str, list[CallRecord]]) -> None:
    url, _ = served
    assert _client(url).list_keys(Limit=5)["Keys"] == [{"KeyId": "k1", "KeyArn": "arn:k1"}]


def test_unknown_operation(served: tuple[str, list[CallRecord]]) -> None:
    url, _ = served
    with pytest.raises(ClientError) as err:
        _client(url).list_aliases()
    assert err.value.response["Error"]["Code"] == "UnknownOperationException"


def test_bad_credentials_are_refused_and_recorded(served: tuple[str, list[CallRecord]]) -> None:
    url, records = served
    with pytest.raises(ClientError) as err:
        _client(url, secret="wrong").generate_random(NumberOfBytes=5)
    assert err.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert records[-1].error_code == "InvalidSignatureException"
    assert records[-1].principal_arn is None and records[-1].access_key_id == "AKIAALICE"
    assert records[-1].resources == ()  # the handler never ran
    with pytest.raises(ClientError) as err:
        _client(url, key="AKIAWHO").generate_random(NumberOfBytes=5)
    assert err.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_raw_http_unsigned_and_oversized(served: tuple[str, list[CallRecord]]) -> None:
    import httpx

    url, records = served
    headers = {"X-Amz-Target": "TrentService.GenerateRandom", "Content-Type": "application/x-amz-json-1.1"}
    r = httpx.post(url + "/", content=b'{"NumberOfBytes": 4}', headers=headers)
    assert r.status_code == 400
    assert r.json()["__type"] == "MissingAuthenticationTokenException"
    assert r.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert (
        records[-1].error_code == "MissingAuthenticationTokenException" and records[-1].principal_arn is None
    )
    r = httpx.post(url + "/", content=b"x" * (1 << 20 | 1), headers=headers)
    assert r.status_code == 413
    forged = {
        **headers,
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAALICE/20260101/us-east-1/kms/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        "X-Amz-Date": "20260101T000000Z",
    }
    r = httpx.post(url + "/", content=b"{}", headers=forged)
    assert r.json()["__type"] == "InvalidSignatureException"
