"""Every operation of the five services' botocore models (KMS, WAFv2, GuardDuty, Inspector2,
Security Hub), called through boto3 against a real ``wafproxy demo`` run with ``--policy-file``:
unsigned, each is refused with ``MissingAuthenticationTokenException``; signed by a principal whose
policy allows ``*`` but denies that operation's own IAM action (``<service>:<Operation>``, KMS's
ReEncrypt as ``kms:ReEncryptFrom``/``kms:ReEncryptTo``), each is refused with
``AccessDeniedException``: so every route is authenticated and authorized under the right action
name (a route checking a misspelt action would be let through by the ``*`` allow)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.opsweep import params_for
from tests.support.servers import free_port, wafproxy_process

SERVICES = ("kms", "wafv2", "guardduty", "inspector2", "securityhub")
# IAM actions that are not the operation's name (AWS's service authorization reference).
ACTIONS = {("kms", "ReEncrypt"): ("kms:ReEncryptFrom", "kms:ReEncryptTo")}
ACCOUNT = "000000000000"
# Parameters a call needs to reach authorization at all (a scope WAF accepts, ARNs of the service).
CTX: dict[str, dict[str, Any]] = {
    "kms": {"account": ACCOUNT},
    "wafv2": {"Scope": "REGIONAL", "arn": f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/ipset/x/x"},
    "guardduty": {"account": ACCOUNT, "arn": f"arn:aws:guardduty:us-east-1:{ACCOUNT}:detector/x"},
    "inspector2": {"account": ACCOUNT, "arn": f"arn:aws:inspector2:us-east-1:{ACCOUNT}:finding/x"},
    "securityhub": {"account": ACCOUNT, "arn": f"arn:aws:securityhub:us-east-1:{ACCOUNT}:hub/default"},
}


def _operations(service: str) -> list[str]:
    return sorted(botocore.session.get_session().get_service_model(service).operation_names)


def _actions() -> list[str]:
    out = []
    for service in SERVICES:
        for op in _operations(service):
            out.extend(ACTIONS.get((service, op), (f"{service}:{op}",)))
    return out


CASES = [(s, op) for s in SERVICES for op in _operations(s)]


class Running:
    def __init__(self, admin: str, kms: str, credentials: str) -> None:
        self.admin, self.kms, self.credentials = admin, kms, credentials
        self.clients: dict[tuple[str, bool], Any] = {}

    def client(self, service: str, unsigned: bool) -> Any:
        if (service, unsigned) not in self.clients:
            config = Config(retries={"max_attempts": 1})
            url = self.kms if service == "kms" else self.admin
            if unsigned:
                config = config.merge(Config(signature_version=UNSIGNED))
                made = boto3.client(service, endpoint_url=url, region_name="us-east-1", config=config)
            else:
                session = botocore.session.Session(profile="demo")
                session.set_config_variable("credentials_file", self.credentials)
                made = boto3.Session(botocore_session=session, region_name="us-east-1").client(
                    service, endpoint_url=url, config=config)
            self.clients[(service, unsigned)] = made
        return self.clients[(service, unsigned)]


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("authz")
    policies = tmp / "policies.json"
    policies.write_text(json.dumps({"demo": {"Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": _actions(), "Resource": "*"}]}}))
    creds = tmp / "credentials"
    creds.write_text("[demo]\naws_access_key_id = AKIAAUTHZ0000000001\n"
                     "aws_secret_access_key = authz-secret-000000000000000000000000001\n")
    acl = tmp / "acl" / "web-acl.json"
    acl.parent.mkdir()
    visibility = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "authz"}
    acl.write_text(json.dumps({"Name": "authz", "DefaultAction": {"Allow": {}}, "Rules": [],
                               "VisibilityConfig": visibility}))
    port, admin, kms = free_port(), free_port(), free_port()
    with wafproxy_process("serve", "--upstream", "http://127.0.0.1:9", "--acl", str(acl),
                          "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                          "--credentials", str(creds), "--policy-file", str(policies),
                          "--state-dir", str(tmp / "state"), "--kms-listen", f"127.0.0.1:{kms}",
                          "--kms-data-dir", str(tmp / "kms"), "--kms-root-key-file", str(tmp / "root.key"),
                          "--log-level", "warning", wait_ports=(port, admin, kms)):
        yield Running(f"http://127.0.0.1:{admin}", f"http://127.0.0.1:{kms}", str(creds))


def _refusal(client: Any, operation: str) -> tuple[int, str]:
    op = client.meta.service_model.operation_model(operation)
    method = {v: k for k, v in client.meta.method_to_api_mapping.items()}[operation]
    with pytest.raises(ClientError) as err:
        getattr(client, method)(**params_for(op, CTX[client.meta.service_model.endpoint_prefix]))
    response = err.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_unsigned_and_denied_calls_are_refused(running: Running, service: str, operation: str) -> None:
    status = 400 if service in ("kms", "wafv2") else 403
    unsigned = _refusal(running.client(service, True), operation)
    assert unsigned == (status, "MissingAuthenticationTokenException")
    assert _refusal(running.client(service, False), operation) == (status, "AccessDeniedException")
