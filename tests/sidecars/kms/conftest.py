"""A real KMS served by uvicorn on an ephemeral port, and boto3 clients for it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.support.awsshapes import strict
from tests.support.servers import uvicorn_in_thread
from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.awsapi.policy import Policy
from wafproxy.sidecars.kms.service import KmsService

CREDENTIALS = """
[alice]
aws_access_key_id = AKIAALICE0000000001
aws_secret_access_key = alice-secret-key-000000000000000000000

[bob]
aws_access_key_id = AKIABOB00000000000002
aws_secret_access_key = bob-secret-key-00000000000000000000000
"""
KEYS = {
    "alice": ("AKIAALICE0000000001", "alice-secret-key-000000000000000000000"),
    "bob": ("AKIABOB00000000000002", "bob-secret-key-00000000000000000000000"),
}
ACCOUNT = "123456789012"


class ManualClock:
    """Wall time plus an offset the test moves forward (deletion windows, rotation dates)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset


@dataclass
class Kms:
    url: str
    service: KmsService
    clock: ManualClock
    data_dir: Path

    def client(self, who: str = "alice", *, secret: str | None = None, key: str | None = None) -> Any:
        key_id, sec = KEYS.get(who, (who, "x"))
        return boto3.client(
            "kms",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=key or key_id,
            aws_secret_access_key=secret or sec,
            config=Config(retries={"max_attempts": 1}, parameter_validation=False),  # test OUR validation
        )

    def strict_client(self, who: str = "alice") -> Any:
        """A client as users have it (botocore validates what it sends) whose every response must fit
        botocore's documented shape (``tests.support.awsshapes.strict``)."""
        key_id, sec = KEYS[who]
        return strict(boto3.client("kms", endpoint_url=self.url, region_name="us-east-1",
                                   aws_access_key_id=key_id, aws_secret_access_key=sec,
                                   config=Config(retries={"max_attempts": 1}, parameter_validation=True)))


def start_kms(
    data_dir: Path,
    *,
    policies: dict[str, Policy] | None = None,
    auth_clock: Any | None = None,
    root_key: bytes | None = None,
) -> tuple[Kms, Callable[[], None]]:
    clock = ManualClock()
    service = KmsService.open(
        data_dir=data_dir,
        root_key=root_key or ROOT_KEY,
        credentials=CredentialStore.parse(CREDENTIALS),
        identity_policies=policies,
        clock=clock,
        auth_clock=auth_clock,
    )
    cm = uvicorn_in_thread(service.app)
    server = cm.__enter__()

    def stop() -> None:
        cm.__exit__(None, None, None)
        service.close()

    return Kms(server.url, service, clock, data_dir), stop


ROOT_KEY = os.urandom(32)


@pytest.fixture(scope="module")
def kms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kms]:
    running, stop = start_kms(tmp_path_factory.mktemp("kms"))
    try:
        yield running
    finally:
        stop()


@pytest.fixture(scope="module")
def alice(kms: Kms) -> Any:
    return kms.client("alice")


def error_code(excinfo: Any) -> str:
    return str(excinfo.value.response["Error"]["Code"])
