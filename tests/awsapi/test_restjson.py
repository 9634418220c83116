"""The rest-json dispatcher, driven by boto3's GuardDuty client (a real rest-json service model)."""

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
from wafproxy.awsapi.jsonproto import CallContext, CallRecord
from wafproxy.awsapi.params import Params
from wafproxy.awsapi.restjson import RestJsonService, routes_from

STORE = CredentialStore.parse("[alice]\naws_access_key_id = AKIAALICE\naws_secret_access_key = s3cr3t\n")
DETECTORS: dict[str, dict[str, Any]] = {}


def _create(ctx: CallContext, p: Params) -> Mapping[str, Any]:
    detector_id = f"d{len(DETECTORS) + 1:031d}"
    DETECTORS[detector_id] = {
        "Status": "ENABLED" if p.bool("enable") else "DISABLED",
        "FindingPublishingFrequency": p.str(
            "findingPublishingFrequency", required=False, default="SIX_HOURS"
        ),
    }
    return {"detectorId": detector_id}


async def _list(ctx: CallContext, p: Params) -> Mapping[str, Any]:
    limit = p.int("maxResults", required=False, default=50)  # typed from the query by the model
    return {"detectorIds": sorted(DETECTORS)[:limit]}


def _get(ctx: CallContext, p: Params) -> Mapping[str, Any]:
    detector_id = p.str("DetectorId")
    if detector_id not in DETECTORS:
        raise AwsError(
            "BadRequestException", f"The request is rejected because detector {detector_id} is unknown"
        )
    d = DETECTORS[detector_id]
    return {
        "status": d["Status"],
        "findingPublishingFrequency": d["FindingPublishingFrequency"],
        "serviceRole": "arn:aws:iam::123456789012:role/x",
    }


def _delete(ctx: CallContext, p: Params) -> Mapping[str, Any]:
    DETECTORS.pop(p.str("DetectorId"), None)
    return {}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, list[CallRecord]]]:
    records: list[CallRecord] = []
    app = RestJsonService(
        signing_name="guardduty",
        credentials=STORE,
        routes=routes_from(
            {
                "CreateDetector": ("POST", "/detector", _create),
                "ListDetectors": ("GET", "/detector", _list),
                "GetDetector": ("GET", "/detector/{DetectorId}", _get),
                "DeleteDetector": ("DELETE", "/detector/{DetectorId}", _delete),
            }
        ),
        on_call=records.append,
    )
    with uvicorn_in_thread(app) as server:
        yield server.url, records


def _client(url: str, secret: str = "s3cr3t") -> Any:
    return boto3.client(
        "guardduty",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIAALICE",
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def test_crud_through_boto3(served: tuple[str, list[CallRecord]]) -> None:
    url, records = served
    gd = _client(url)
    detector_id = gd.create_detector(Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES")["DetectorId"]
    assert records[-1].operation == "CreateDetector"
    assert detector_id in gd.list_detectors(MaxResults=10)["DetectorIds"]
    got = gd.get_detector(DetectorId=detector_id)
    assert got["Status"] == "ENABLED" and got["FindingPublishingFrequency"] == "FIFTEEN_MINUTES"
    gd.delete_detector(DetectorId=detector_id)
    with pytest.raises(ClientError) as err:
        gd.get_detector(DetectorId=detector_id)
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_signature_checked(served: tuple[str, list[CallRecord]]) -> None:
    url, records = served
    with pytest.raises(ClientError) as err:
        _client(url, secret="wrong").list_detectors()
    assert err.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert records[-1].operation == "ListDetectors" and records[-1].principal_arn is None


def test_unknown_route(served: tuple[str, list[CallRecord]]) -> None:
    url, _ = served
    with pytest.raises(ClientError) as err:
        _client(url).list_filters(DetectorId="d1")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_body_nested_past_the_decoder_limit(served: tuple[str, list[CallRecord]]) -> None:
    """Found by fuzzing: json.loads raised RecursionError (an answer 500), not AWS's 400."""
    import json
    import urllib.error
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url, _ = served
    body = b'{"Enable": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    request = AWSRequest(method="POST", url=url + "/detector", data=body,
                         headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("AKIAALICE", "s3cr3t"), "guardduty", "us-east-1").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers), method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(raw, timeout=30)
    assert err.value.code == 400
    assert json.loads(err.value.read())["__type"].endswith("SerializationException")
