"""SigV4 authentication, policy authorization (explicit deny wins) and the audit log."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.control.stack import KEYS, running_stack


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_signatures_policies_and_audit(tmp_path: Path) -> None:
    with running_stack(tmp_path) as s:
        wrong = boto3.client(
            "wafv2",
            endpoint_url=s.admin_url,
            region_name="us-east-1",
            aws_access_key_id=KEYS["admin"][0],
            aws_secret_access_key="not-the-secret",
            config=Config(retries={"max_attempts": 1}),
        )
        with pytest.raises(ClientError) as exc:
            wrong.list_web_acls(Scope="REGIONAL")
        assert _code(exc) == "InvalidSignatureException"
        with pytest.raises(ClientError) as exc:  # a refused anonymous change is counted, not audited
            wrong.create_ip_set(Name="anon", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[])
        assert _code(exc) == "InvalidSignatureException" and s.plane.unauthenticated == 1
        unknown = boto3.client(
            "wafv2",
            endpoint_url=s.admin_url,
            region_name="us-east-1",
            aws_access_key_id="AKIAUNKNOWN00000000",
            aws_secret_access_key="x",
            config=Config(retries={"max_attempts": 1}),
        )
        with pytest.raises(ClientError) as exc:
            unknown.list_web_acls(Scope="REGIONAL")
        assert _code(exc) == "UnrecognizedClientException"

        reader = s.client("reader")
        blocked = {i["Name"]: i for i in reader.list_ip_sets(Scope="REGIONAL")["IPSets"]}["blocked"]
        got = reader.get_ip_set(Name="blocked", Scope="REGIONAL", Id=blocked["Id"])
        with pytest.raises(ClientError) as exc:
            reader.update_ip_set(
                Name="blocked", Scope="REGIONAL", Id=blocked["Id"], LockToken=got["LockToken"], Addresses=[]
            )
        assert _code(exc) == "AccessDeniedException"
        with pytest.raises(ClientError) as exc:  # a principal without a policy may do nothing
            s.client("nobody").list_web_acls(Scope="REGIONAL")
        assert _code(exc) == "AccessDeniedException"

        ops = s.client("ops")
        made = ops.create_ip_set(Name="tmp", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[])[
            "Summary"
        ]
        with pytest.raises(ClientError) as exc:  # Allow wafv2:* but Deny Delete* on IP sets: deny wins
            ops.delete_ip_set(Name="tmp", Scope="REGIONAL", Id=made["Id"], LockToken=made["LockToken"])
        assert _code(exc) == "AccessDeniedException"
        s.client("admin").delete_ip_set(
            Name="tmp", Scope="REGIONAL", Id=made["Id"], LockToken=made["LockToken"]
        )

        audit = [
            json.loads(line)
            for line in (s.acl_path.parent / ".wafproxy" / "audit.log").read_text().splitlines()
        ]
        ops_rows = [(a["who"], a["operation"], a["outcome"]) for a in audit]
        assert ("arn:aws:iam::123456789012:user/reader", "UpdateIPSet", "AccessDeniedException") in ops_rows
        assert ("arn:aws:iam::123456789012:user/ops", "CreateIPSet", "ok") in ops_rows
        assert ("arn:aws:iam::123456789012:user/ops", "DeleteIPSet", "AccessDeniedException") in ops_rows
        assert ("arn:aws:iam::123456789012:user/admin", "DeleteIPSet", "ok") in ops_rows
        assert all(a["time"] > 0 for a in audit)
        assert not any(op.startswith(("Get", "List")) for _, op, _ in ops_rows)  # changes only
        text = (s.acl_path.parent / ".wafproxy" / "audit.log").read_text()
        for _, secret in KEYS.values():
            assert secret not in text
        assert "not-the-secret" not in text


def test_without_a_policy_file_every_authenticated_principal_may_change(tmp_path: Path) -> None:
    with running_stack(tmp_path, policies=False) as s:
        c = s.client("nobody")
        made = c.create_ip_set(Name="x", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=["10.0.0.1/32"])
        assert made["Summary"]["Name"] == "x"
