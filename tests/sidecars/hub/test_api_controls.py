"""Standards and security controls through boto3, over the hub's own controls: the nine controls
of "wafproxy Foundational" described both ways; disabling one (with a reason) stops its
evaluation and archives its finding, enabling it files the next evaluation ACTIVE; the status is
kept across a restart; controls take no parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sidecars.hub.stack import running_hub
from tests.support.awsshapes import strict
from wafproxy.sidecars.hub.controls import CATALOG, ControlInputs, ControlRunner, evaluate

STANDARD = "arn:aws:securityhub:us-east-1::standards/wafproxy-foundational/v/1.0.0"
SUBSCRIPTION = "arn:aws:securityhub:us-east-1:123456789012:subscription/wafproxy-foundational/v/1.0.0"
INPUTS = ControlInputs(
    web_acl={"Rules": []},
    web_acl_arn="arn:aws:wafv2:us-east-1:123456789012:regional/webacl/test/1",
    waf_log=None,
    waf_log_kms_key=None,
    logging_config=None,
    admin_authenticated=True,
    admin_host="127.0.0.1",
    data_tls=False,
    data_host="127.0.0.1",
    upstreams=(),
    upstream_verify=True,
    kms_keys=None,
    hub_encrypted=False,
    hub_db=":memory:",
)


def _state(client: Any, control: str) -> str:
    found = client.get_findings(
        Filters={"Id": [{"Value": f"wafproxy/controls/{control}", "Comparison": "EQUALS"}]}
    )["Findings"]
    return str(found[0]["RecordState"]) if found else "absent"


def _code(call: Any) -> str:
    with pytest.raises(ClientError) as err:
        call()
    return str(err.value.response["Error"]["Code"])


def test_the_catalog_is_what_the_controls_evaluate() -> None:
    assert [r.control_id for r in evaluate(INPUTS)] == list(CATALOG)
    assert all((r.title, r.severity) == CATALOG[r.control_id][:2] for r in evaluate(INPUTS))


def test_disabling_a_control_stops_it_and_archives_its_finding(tmp_path: Path) -> None:
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        runner = ControlRunner(stack.service.hub, lambda: INPUTS)
        runner.run()
        controls = c.describe_standards_controls(StandardsSubscriptionArn=SUBSCRIPTION)["Controls"]
        assert [x["ControlId"] for x in controls] == list(CATALOG)
        assert {x["ControlStatus"] for x in controls} == {"ENABLED"}
        waf1 = next(x for x in controls if x["ControlId"] == "WAF.1")
        assert waf1["SeverityRating"] == "HIGH" and _state(c, "WAF.1") == "ACTIVE"
        assert (
            _code(
                lambda: c.update_standards_control(
                    StandardsControlArn=waf1["StandardsControlArn"], ControlStatus="DISABLED"
                )
            )
            == "InvalidInputException"
        )
        c.update_standards_control(
            StandardsControlArn=waf1["StandardsControlArn"],
            ControlStatus="DISABLED",
            DisabledReason="managed rules are in the upstream WAF",
        )
        assert _state(c, "WAF.1") == "ARCHIVED"
        assert "WAF.1" not in [r.control_id for r in runner.run()]
        assert _state(c, "WAF.1") == "ARCHIVED" and _state(c, "WAF.2") == "ACTIVE"
        # The same status, seen as a security control and as its association with the standard.
        got = c.batch_get_security_controls(SecurityControlIds=["WAF.1", "WAF.2", "NOPE.1"])
        assert [(s["SecurityControlId"], s["SecurityControlStatus"]) for s in got["SecurityControls"]] == [
            ("WAF.1", "DISABLED"),
            ("WAF.2", "ENABLED"),
        ]
        assert [u["SecurityControlId"] for u in got["UnprocessedIds"]] == ["NOPE.1"]
        summary = c.list_standards_control_associations(SecurityControlId="WAF.1")
        association = summary["StandardsControlAssociationSummaries"][0]
        assert association["AssociationStatus"] == "DISABLED" and association["StandardsArn"] == STANDARD
        assert association["UpdatedReason"] == "managed rules are in the upstream WAF"
        # WAF.2 disabled through the associations API; a bad standard is unprocessed, not an error.
        done = c.batch_update_standards_control_associations(
            StandardsControlAssociationUpdates=[
                {
                    "StandardsArn": STANDARD,
                    "SecurityControlId": "WAF.2",
                    "AssociationStatus": "DISABLED",
                    "UpdatedReason": "rate limits upstream",
                },
                {"StandardsArn": STANDARD, "SecurityControlId": "TLS.1", "AssociationStatus": "DISABLED"},
                {
                    "StandardsArn": STANDARD + "x",
                    "SecurityControlId": "TLS.2",
                    "AssociationStatus": "DISABLED",
                    "UpdatedReason": "x",
                },
            ]
        )
        assert [
            (u["StandardsControlAssociationUpdate"]["SecurityControlId"], u["ErrorCode"])
            for u in done["UnprocessedAssociationUpdates"]
        ] == [("TLS.1", "INVALID_INPUT"), ("TLS.2", "NOT_FOUND")]
        assert _state(c, "WAF.2") == "ARCHIVED" and _state(c, "TLS.1") == "ACTIVE"
    with running_hub(tmp_path) as stack:  # the statuses are kept; enabling files ACTIVE again
        c = strict(stack.client())
        runner = ControlRunner(stack.service.hub, lambda: INPUTS)
        assert {r.control_id for r in runner.run()} == set(CATALOG) - {"WAF.1", "WAF.2"}
        details = c.batch_get_standards_control_associations(
            StandardsControlAssociationIds=[{"SecurityControlId": "WAF.1", "StandardsArn": STANDARD}]
        )["StandardsControlAssociationDetails"]
        assert details[0]["AssociationStatus"] == "DISABLED" and details[0]["UpdatedAt"]
        waf1_arn = details[0]["StandardsControlArns"][0]
        c.update_standards_control(StandardsControlArn=waf1_arn, ControlStatus="ENABLED")
        runner.run()
        assert _state(c, "WAF.1") == "ACTIVE" and _state(c, "WAF.2") == "ARCHIVED"
        assert (
            _code(
                lambda: c.update_standards_control(
                    StandardsControlArn=waf1_arn + "9", ControlStatus="ENABLED"
                )
            )
            == "ResourceNotFoundException"
        )


def test_definitions_and_parameters(tmp_path: Path) -> None:
    with running_hub(tmp_path) as stack:
        c = strict(stack.client())
        defs = c.list_security_control_definitions(StandardsArn=STANDARD)["SecurityControlDefinitions"]
        assert [d["SecurityControlId"] for d in defs] == list(CATALOG)
        one = c.get_security_control_definition(SecurityControlId="ADMIN.1")["SecurityControlDefinition"]
        assert one["SeverityRating"] == "CRITICAL" and one["Title"] == CATALOG["ADMIN.1"][0]
        assert (
            _code(lambda: c.get_security_control_definition(SecurityControlId="EC2.1"))
            == "ResourceNotFoundException"
        )
        assert (
            _code(
                lambda: c.update_security_control(
                    SecurityControlId="WAF.2",
                    Parameters={"limit": {"ValueType": "CUSTOM", "Value": {"Integer": 5}}},
                )
            )
            == "InvalidInputException"
        )
        c.batch_disable_standards(StandardsSubscriptionArns=[SUBSCRIPTION])
        assert (
            _code(lambda: c.describe_standards_controls(StandardsSubscriptionArn=SUBSCRIPTION))
            == "ResourceNotFoundException"
        )
