"""The hub mounted on a real admin listener (uvicorn, ephemeral port), boto3 as the client."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.control.stack import KEYS, write_credentials
from tests.support.servers import uvicorn_in_thread
from wafproxy.asgi.admin import Readiness, create_admin_app
from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.awsapi.policy import load_principal_policies
from wafproxy.sidecars.hub.service import HubService, mount

POLICIES = {
    "admin": {"Statement": [{"Effect": "Allow", "Action": "securityhub:*", "Resource": "*"}]},
    "reader": {
        "Statement": [
            {"Effect": "Allow", "Action": ["securityhub:Get*", "securityhub:Describe*"], "Resource": "*"}
        ]
    },
}


@dataclass
class HubStack:
    url: str
    service: HubService

    def client(self, who: str = "admin") -> Any:
        key, secret = KEYS[who]
        return boto3.client(
            "securityhub",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}),
        )


@contextlib.contextmanager
def running_hub(tmp: Path, **open_kw: Any) -> Iterator[HubStack]:
    creds = CredentialStore.load(write_credentials(tmp / "credentials"))
    policies = load_principal_policies(json.dumps(POLICIES))
    service = HubService.open(
        db_path=tmp / "hub.sqlite3",
        credentials=creds,
        account="123456789012",
        region="us-east-1",
        policies=policies,
        **open_kw,
    )
    app = mount(service, create_admin_app(Readiness(acl_name="test")))
    with uvicorn_in_thread(app, lifespan="on") as srv:
        yield HubStack(srv.url, service)
