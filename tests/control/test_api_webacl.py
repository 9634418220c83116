"""WebACL operations through boto3 against the full stack: shapes, lock tokens, live effect, errors."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.control.stack import running_stack
from wafproxy.control.reloader import Reloader


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_get_web_acl_has_aws_shape_and_update_swaps_live(tmp_path: Path) -> None:
    with running_stack(tmp_path) as s:
        c = s.client()
        summary = c.list_web_acls(Scope="REGIONAL")["WebACLs"][0]
        assert (
            summary["ARN"] == f"arn:aws:wafv2:us-east-1:123456789012:regional/webacl/test-acl/{summary['Id']}"
        )
        got = c.get_web_acl(Name="test-acl", Scope="REGIONAL", Id=summary["Id"])
        acl = got["WebACL"]
        assert got["LockToken"] == summary["LockToken"]
        assert c.get_web_acl(ARN=summary["ARN"])["WebACL"]["Id"] == summary["Id"]  # by ARN as well
        assert acl["Capacity"] > 0 and acl["LabelNamespace"] == "awswaf:123456789012:webacl:test-acl:"
        admin_rule = next(r for r in acl["Rules"] if r["Name"] == "Admin")
        assert admin_rule["Statement"]["ByteMatchStatement"]["SearchString"] == b"/admin"  # blob round trip

        assert httpx.get(s.data_url + "/admin/x").status_code == 403
        assert httpx.get(s.data_url + "/private/x").status_code == 200
        admin_rule["Statement"]["ByteMatchStatement"]["SearchString"] = b"/private"
        update = {k: acl[k] for k in ("Name", "Id", "DefaultAction", "Rules", "VisibilityConfig")}
        token = c.update_web_acl(Scope="REGIONAL", LockToken=got["LockToken"], **update)["NextLockToken"]
        assert token != got["LockToken"]
        assert httpx.get(s.data_url + "/admin/x").status_code == 200
        assert httpx.get(s.data_url + "/private/x").status_code == 403

        # The stale token loses: optimistic concurrency.
        with pytest.raises(ClientError) as exc:
            c.update_web_acl(Scope="REGIONAL", LockToken=got["LockToken"], **update)
        assert _code(exc) == "WAFOptimisticLockException"

        # Persisted atomically in the ACL's own file, in the wrapped get-web-acl form.
        on_disk = json.loads(s.acl_path.read_text())
        assert on_disk["LockToken"] == token
        stored = on_disk["WebACL"]["Rules"][2]["Statement"]["ByteMatchStatement"]
        assert base64.b64decode(stored["SearchStringBase64"]) == b"/private"
        assert not list(s.acl_path.parent.glob(".*.tmp"))

    # A restart serves exactly what the API acknowledged, with the same Id and lock token.
    again = Reloader(s.acl_path)
    assert again.store.web_acl.lock_token == token and again.store.web_acl.id == summary["Id"]
    assert [r.name for r in again.current.rules] == ["BlockedIPs", "BadWords", "Admin", "RateLimit"]


def test_bad_update_names_the_field_and_keeps_the_old_acl(tmp_path: Path) -> None:
    with running_stack(tmp_path) as s:
        c = s.client()
        summary = c.list_web_acls(Scope="REGIONAL")["WebACLs"][0]
        acl = c.get_web_acl(Name="test-acl", Scope="REGIONAL", Id=summary["Id"])["WebACL"]
        acl["Rules"][2]["Statement"]["ByteMatchStatement"]["PositionalConstraint"] = "SOMEWHERE"
        update = {k: acl[k] for k in ("Name", "Id", "DefaultAction", "Rules", "VisibilityConfig")}
        with pytest.raises(ClientError) as exc:
            c.update_web_acl(Scope="REGIONAL", LockToken=summary["LockToken"], **update)
        err = exc.value.response
        assert err["Error"]["Code"] == "WAFInvalidParameterException"
        assert err["Field"] == "WEB_ACL"
        assert err["Parameter"] == "$.Rules[2].Statement.ByteMatchStatement.PositionalConstraint"
        # Nothing changed: the old ACL serves, the token and the file are untouched, the failure counted.
        assert httpx.get(s.data_url + "/admin/x").status_code == 403
        assert c.list_web_acls(Scope="REGIONAL")["WebACLs"][0]["LockToken"] == summary["LockToken"]
        assert "SOMEWHERE" not in s.acl_path.read_text()
        metrics = httpx.get(s.admin_url + "/metrics").text
        assert 'wafproxy_config_reloads_total{result="failure"} 1.0' in metrics

        with pytest.raises(ClientError) as exc:
            c.get_web_acl(Name="test-acl", Scope="REGIONAL", Id="00000000-0000-0000-0000-000000000000")
        assert _code(exc) == "WAFNonexistentItemException"
        with pytest.raises(ClientError) as exc:
            c.list_web_acls(Scope="CLOUDFRONT")
        assert _code(exc) == "WAFInvalidParameterException"
        assert exc.value.response["Field"] == "SCOPE_VALUE"


def test_check_capacity_prices_rules_without_changing_anything(tmp_path: Path) -> None:
    with running_stack(tmp_path) as s:
        c = s.client()
        vis = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
        one = [
            {
                "Name": "a",
                "Priority": 0,
                "Action": {"Block": {}},
                "VisibilityConfig": vis,
                "Statement": {
                    "ByteMatchStatement": {
                        "SearchString": b"x",
                        "FieldToMatch": {"UriPath": {}},
                        "PositionalConstraint": "CONTAINS",
                        "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                    }
                },
            }
        ]
        two = one + [
            {
                **one[0],
                "Name": "b",
                "Priority": 1,
                "Statement": {"IPSetReferenceStatement": {"ARN": s.plane.arn_of("ipset", "blocked")}},
            }
        ]
        cap1 = c.check_capacity(Scope="REGIONAL", Rules=one)["Capacity"]
        cap2 = c.check_capacity(Scope="REGIONAL", Rules=two)["Capacity"]
        assert 0 < cap1 < cap2
        bad = [
            {
                **one[0],
                "Statement": {
                    "IPSetReferenceStatement": {
                        "ARN": "arn:aws:wafv2:us-east-1:123456789012:regional/ipset/nope/x"
                    }
                },
            }
        ]
        with pytest.raises(ClientError) as exc:
            c.check_capacity(Scope="REGIONAL", Rules=bad)
        assert _code(exc) == "WAFInvalidParameterException"
        assert "Rules[0]" in exc.value.response["Parameter"]
