"""The KMS mounted inside another ASGI app (as ``wafproxy serve`` can), signed paths included."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.sidecars.kms.conftest import CREDENTIALS, KEYS, ROOT_KEY
from tests.support.servers import uvicorn_in_thread
from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.sidecars.kms.service import KmsService


def test_mounted_under_a_prefix(tmp_path: Path) -> None:
    import boto3

    service = KmsService.open(
        data_dir=tmp_path, root_key=ROOT_KEY, credentials=CredentialStore.parse(CREDENTIALS)
    )
    # botocore POSTs to the endpoint path itself ("/kms"), so route that exact path to the ASGI app
    # (a Mount would answer "/kms" with a 307 to "/kms/").
    app = Starlette(routes=[Route("/healthz", lambda r: PlainTextResponse("ok")), Route("/kms", service.app)])
    try:
        with uvicorn_in_thread(app) as server:
            key, secret = KEYS["alice"]
            kms = boto3.client(
                "kms",
                endpoint_url=f"{server.url}/kms",
                region_name="us-east-1",
                aws_access_key_id=key,
                aws_secret_access_key=secret,
            )
            key_id = kms.create_key()["KeyMetadata"]["KeyId"]
            blob = kms.encrypt(KeyId=key_id, Plaintext=b"mounted")["CiphertextBlob"]
            assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"mounted"
    finally:
        service.close()
