"""Every producer's findings are valid input to AWS's own ``BatchImportFindings`` model (botocore's
securityhub service model, the parameter validator boto3 runs before sending)."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from tests.sidecars.hub.test_producers import GUARDDUTY, INSPECTOR, event
from tests.sidecars.hub.test_store import NOW, make_hub
from wafproxy.sidecars.hub import controls, convert_guardduty, convert_inspector
from wafproxy.sidecars.hub.correlate import Correlator
from wafproxy.sidecars.hub.filters import compile_filters
from wafproxy.sidecars.hub.waf_findings import WafFindingProducer

_MODEL = botocore.session.get_session().get_service_model("securityhub")
_INPUT = _MODEL.operation_model("BatchImportFindings").input_shape


def assert_valid(findings: list[dict[str, Any]]) -> None:
    report = ParamValidator().validate({"Findings": findings}, _INPUT)
    assert not report.has_errors(), report.generate_report()


def _control_inputs() -> controls.ControlInputs:
    return controls.ControlInputs(
        web_acl={"Rules": []}, web_acl_arn="arn:aws:wafv2:us-east-1:1:regional/webacl/a/1", waf_log=None,
        waf_log_kms_key=None, logging_config=None, admin_authenticated=True, admin_host="0.0.0.0",
        data_tls=False, data_host="0.0.0.0", upstreams=("http://10.0.0.5:80",), upstream_verify=True,
        kms_keys=None, hub_encrypted=False, hub_db="/var/lib/wafproxy/hub.sqlite3")


def test_waf_findings_match_the_model() -> None:
    producer = WafFindingProducer(account="123456789012", region="us-east-1")
    for i in range(20):
        producer.emit(event(NOW + i, "203.0.113.9"))
    assert_valid(producer.drain(NOW + 30))


def test_converted_findings_match_the_model() -> None:
    assert_valid([convert_guardduty.convert(GUARDDUTY), convert_inspector.convert(INSPECTOR)])


def test_control_findings_match_the_model_and_fail_what_they_should() -> None:
    results = controls.evaluate(_control_inputs())
    status = {r.control_id: r.status for r in results}
    assert status == {"WAF.1": "FAILED", "WAF.2": "FAILED", "WAF.3": "FAILED", "LOG.1": "FAILED",
                      "KMS.1": "NOT_AVAILABLE", "ADMIN.1": "PASSED", "ADMIN.2": "FAILED", "TLS.1": "FAILED",
                      "TLS.2": "FAILED"}
    assert controls.score(results) == (1, 8)
    failing = {r.control_id: r.resources for r in results}
    assert failing["TLS.1"] == ("http://10.0.0.5:80",)
    assert failing["LOG.1"] == ("/var/lib/wafproxy/hub.sqlite3",)
    assert_valid(controls.to_findings(results, account="123456789012", region="us-east-1", now=NOW))


@pytest.mark.parametrize("order", ["assessor first", "detector first"])
def test_correlated_finding_matches_the_model(order: str) -> None:
    hub = make_hub()
    hub.on_import.append(Correlator(hub))
    pair = [convert_inspector.convert(INSPECTOR), convert_guardduty.convert(GUARDDUTY)]
    for f in pair if order == "assessor first" else pair[::-1]:
        hub.import_findings([f])
    (critical,) = hub.store.query(compile_filters({"ProductName": [{"Value": "Hub"}]}, NOW))
    assert_valid([critical])
