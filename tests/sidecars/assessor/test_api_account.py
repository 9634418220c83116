"""Inspector2's account operations through boto3 (strict shapes): Enable/Disable of resource kinds
kept and reported by BatchGetAccountStatus, GetConfiguration/UpdateConfiguration kept, both across
a restart (a new API over the same SQLite store), other accounts refused, every call authorized as
``inspector2:<Operation>``."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.sidecars.assessor.test_api import CREDENTIALS, KEYS, POLICIES
from tests.support.awsshapes import strict
from tests.support.servers import uvicorn_in_thread
from wafproxy.awsapi.authz import IdentityAuthorizer
from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.sidecars.assessor.api import InspectorApi
from wafproxy.sidecars.assessor.store import FindingStore

ACCOUNT = "000000000000"


@contextlib.contextmanager
def _served(tmp: Path) -> Iterator[tuple[Any, Any]]:
    creds, policy = tmp / "credentials", tmp / "policy.json"
    creds.write_text(CREDENTIALS, encoding="utf-8")
    policy.write_text(json.dumps(POLICIES), encoding="utf-8")
    store = FindingStore(tmp / "assessor.sqlite3")
    api = InspectorApi(store, credentials=CredentialStore.load(creds),
                       authorizer=IdentityAuthorizer.from_file(policy), clock=lambda: 1_700_000_000.0)
    try:
        with uvicorn_in_thread(api.app) as server:
            def client(who: str) -> Any:
                key, secret = KEYS[who]
                return strict(boto3.client("inspector2", endpoint_url=server.url, region_name="us-east-1",
                                           aws_access_key_id=key, aws_secret_access_key=secret,
                                           config=Config(retries={"max_attempts": 1})))
            yield client("alice"), client("bob")
    finally:
        store.close()


def _refused(call: Any) -> tuple[int, str, str | None]:
    with pytest.raises(ClientError) as err:
        call()
    r = err.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r.get("reason")


def _kinds(c: Any) -> dict[str, str]:
    (account,) = c.batch_get_account_status()["accounts"]
    assert account["accountId"] == ACCOUNT and account["state"]["status"] == "ENABLED"
    return {k: v["status"] for k, v in account["resourceState"].items()}


def test_enable_and_disable_kinds_are_kept_and_reported(tmp_path: Path) -> None:
    with _served(tmp_path) as (alice, bob):
        assert set(_kinds(alice).values()) == {"DISABLED"}
        got = alice.enable(resourceTypes=["EC2", "LAMBDA"], clientToken="t-1")
        assert got["accounts"][0]["resourceStatus"]["ec2"] == "ENABLED" and got["failedAccounts"] == []
        assert alice.enable(resourceTypes=["EC2"])["accounts"][0]["resourceStatus"]["lambda"] == "ENABLED"
        off = alice.disable(resourceTypes=["LAMBDA"])["accounts"][0]["resourceStatus"]
        assert off["ec2"] == "ENABLED" and off["lambda"] == "DISABLED"
        other = alice.enable(accountIds=["111122223333"], resourceTypes=["ECR"])
        assert other["accounts"] == [] and other["failedAccounts"][0]["errorCode"] == "ACCESS_DENIED"
        assert _refused(lambda: alice.enable(resourceTypes=["MAINFRAME"]))[:2] == (400, "ValidationException")
        assert _refused(lambda: bob.enable(resourceTypes=["ECR"]))[:2] == (403, "AccessDeniedException")
        assert _kinds(alice)["ecr"] == "DISABLED"
    with _served(tmp_path) as (alice, _):
        kinds = _kinds(alice)
        assert kinds["ec2"] == "ENABLED" and kinds["lambda"] == kinds["ecr"] == "DISABLED"
        alice.disable()  # every kind
        assert set(_kinds(alice).values()) == {"DISABLED"}


def test_configuration_is_kept_returned_and_validated(tmp_path: Path) -> None:
    with _served(tmp_path) as (alice, bob):
        first = alice.get_configuration()
        assert first["ecrConfiguration"]["rescanDurationState"]["rescanDuration"] == "LIFETIME"
        assert first["ec2Configuration"]["scanModeState"]["scanMode"] == "EC2_SSM_AGENT_BASED"
        alice.update_configuration(ecrConfiguration={"rescanDuration": "DAYS_30",
                                                     "pullDateRescanDuration": "DAYS_14"},
                                   ec2Configuration={"scanMode": "EC2_HYBRID"})
        for bad in ({"ecrConfiguration": {"rescanDuration": "DAYS_1000"}},
                    {"ec2Configuration": {"scanMode": "MAGIC"}},
                    {"amiConfiguration": {"scanModeConfiguration": {"scanMode": "ALL"}}},
                    {}):
            refused = _refused(lambda bad=bad: alice.update_configuration(**bad))
            assert refused[:2] == (400, "ValidationException")
        assert _refused(lambda: alice.get_configuration(accountId="111122223333"))[:2] == (
            400, "ValidationException")
        assert _refused(lambda: bob.get_configuration())[:2] == (403, "AccessDeniedException")
    with _served(tmp_path) as (alice, _):
        got = alice.get_configuration()
    ecr = got["ecrConfiguration"]["rescanDurationState"]
    assert ecr["rescanDuration"] == "DAYS_30" and ecr["pullDateRescanDuration"] == "DAYS_14"
    assert ecr["updatedAt"].timestamp() == 1_700_000_000.0 and ecr["status"] == "SUCCESS"
    assert got["ec2Configuration"]["scanModeState"] == {"scanMode": "EC2_HYBRID", "scanModeStatus": "SUCCESS"}


def test_a_standalone_account_has_no_members(tmp_path: Path) -> None:
    with _served(tmp_path) as (alice, bob):
        assert alice.list_members()["members"] == [] and bob.list_members(maxResults=5)["members"] == []
        assert _refused(lambda: alice.list_members(nextToken="elsewhere"))[:2] == (400, "ValidationException")
