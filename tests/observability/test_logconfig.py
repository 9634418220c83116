"""A whole PutLoggingConfiguration shape, parsed and applied live to a running log writer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.observability import factories as f
from wafproxy.observability.errors import LoggingConfigError
from wafproxy.observability.logconfig import parse_logging_configuration
from wafproxy.observability.redaction import REDACTED
from wafproxy.observability.waflog_writer import WafLogWriter

ARN = "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/main/a1b2c3d4"
CONFIG = {
    "ResourceArn": ARN,
    "LogDestinationConfigs": ["arn:aws:logs:us-east-1:111122223333:log-group:aws-waf-logs-main"],
    "RedactedFields": [{"QueryString": {}}],
    "LoggingFilter": {
        "DefaultBehavior": "DROP",
        "Filters": [
            {
                "Behavior": "KEEP",
                "Requirement": "MEETS_ANY",
                "Conditions": [{"ActionCondition": {"Action": "BLOCK"}}],
            }
        ],
    },
}


def test_parse_keeps_identity_fields() -> None:
    s = parse_logging_configuration(CONFIG)
    assert s.resource_arn == ARN
    assert s.log_destination_configs == tuple(CONFIG["LogDestinationConfigs"])  # type: ignore[arg-type]
    assert s.redaction.query_string and "authorization" in s.redaction.headers
    assert not s.logging_filter.keep(f.allowed_decision())


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({**CONFIG, "LogType": "SECURITY_LAKE"}, "LoggingConfiguration.LogType"),
        ({**CONFIG, "LogScope": "SECURITY_LAKE"}, "LoggingConfiguration.LogScope"),
        ({**CONFIG, "Sampling": 1}, "LoggingConfiguration"),
        ({**CONFIG, "RedactedFields": [{"Body": {}}]}, "LoggingConfiguration.RedactedFields[0].Body"),
        ({**CONFIG, "LoggingFilter": {"DefaultBehavior": "KEEP"}}, "LoggingConfiguration.LoggingFilter"),
        ({**CONFIG, "LogDestinationConfigs": "x"}, "LoggingConfiguration.LogDestinationConfigs"),
    ],
)
def test_bad_configuration_names_the_path(raw: dict[str, object], path: str) -> None:
    with pytest.raises(LoggingConfigError) as err:
        parse_logging_configuration(raw)
    assert err.value.path == path


def test_reconfigure_a_running_writer(tmp_path: Path) -> None:
    path = tmp_path / "waf.log"
    w = WafLogWriter(str(path))
    w.emit(f.event(f.allowed_decision(), request=f.request(request_id="before")))
    w.close()  # drained: the first record was written under the first settings
    w2 = WafLogWriter(str(path))
    w2.reconfigure(parse_logging_configuration(CONFIG))
    w2.emit(f.event(f.allowed_decision(), request=f.request(request_id="dropped")))
    w2.emit(f.event(request=f.request(request_id="after")))
    w2.close()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["httpRequest"]["requestId"] for r in records] == ["before", "after"]
    assert records[0]["httpRequest"]["args"] != REDACTED and records[0]["webaclId"] == "main"
    assert records[1]["httpRequest"]["args"] == REDACTED and records[1]["webaclId"] == ARN
