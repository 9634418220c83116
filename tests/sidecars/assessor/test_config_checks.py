"""wafproxy's own configuration, as ConfigFacts; and a settings file that does not parse."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from wafproxy.settings import DEFAULT_ACL
from wafproxy.sidecars.assessor.apply import changed_acl
from wafproxy.sidecars.assessor.context import AssessContext, ConfigFacts, KmsKeyFacts
from wafproxy.sidecars.assessor.facts import from_config_file
from wafproxy.sidecars.assessor.probe import Prober
from wafproxy.sidecars.assessor.runner import Report, assess

OPEN_ACL: dict[str, Any] = {
    "Name": "open",
    "DefaultAction": {"Allow": {}},
    "Rules": [],
    "VisibilityConfig": {
        "SampledRequestsEnabled": True,
        "CloudWatchMetricsEnabled": True,
        "MetricName": "open",
    },
}


def run(config: ConfigFacts) -> Report:
    async def go() -> Report:
        prober = Prober()
        try:
            return await assess(AssessContext([], prober, config))
        finally:
            await prober.close()

    return asyncio.run(go())


def ids(report: Report) -> set[str]:
    return {a.check_id for a in report.assessed if a.check_id.startswith("WAFP-CFG-")}


def test_everything_wrong() -> None:
    counted = json.loads(DEFAULT_ACL.read_text())
    counted["Rules"][3]["OverrideAction"] = {"Count": {}}
    facts = ConfigFacts(
        source="t",
        web_acl=OPEN_ACL,
        waf_log="/var/log/waf.log",
        upstream_insecure_skip_verify=True,
        admin_host="0.0.0.0",
        api_credentials=False,
        kms_keys=(KmsKeyFacts("k1", "--waf-log-kms-key", "PendingDeletion", False),),
    )
    assert ids(run(facts)) == {
        "WAFP-CFG-DEFAULT-ALLOW",
        "WAFP-CFG-NO-RATE",
        "WAFP-CFG-LOGGING-UNREDACTED",
        "WAFP-CFG-LOG-UNENCRYPTED",
        "WAFP-CFG-UPSTREAM-NO-VERIFY",
        "WAFP-CFG-ADMIN-EXPOSED",
        "WAFP-CFG-KMS-PENDING-DELETION",
        "WAFP-CFG-KMS-ROTATION",
    }
    report = run(
        ConfigFacts(
            source="t", web_acl=counted, waf_log="-", logging={"RedactedFields": [{"QueryString": {}}]}
        )
    )
    assert ids(report) == {"WAFP-CFG-NO-RATE", "WAFP-CFG-MANAGED-COUNT"}


def test_fixes_change_the_acl_so_the_finding_goes_away() -> None:
    report = run(
        ConfigFacts(
            source="t", web_acl=OPEN_ACL, waf_log="-", logging={"RedactedFields": [{"QueryString": {}}]}
        )
    )
    acl: dict[str, Any] = OPEN_ACL
    for a in report.assessed:
        assert a.fix is not None and a.fix.kind == "webacl" and a.fix.appliable
        acl = changed_acl(acl, a.fix.change)
    again = run(
        ConfigFacts(source="t", web_acl=acl, waf_log="-", logging={"RedactedFields": [{"QueryString": {}}]})
    )
    assert ids(again) == set()
    assert [r["Priority"] for r in acl["Rules"]] == list(range(len(acl["Rules"])))


def test_settings_file_that_does_not_parse_is_a_finding(tmp_path: Path) -> None:
    bad = tmp_path / "wafproxy.yaml"
    bad.write_text("listen: [unclosed\n", encoding="utf-8")
    facts, settings = from_config_file(bad)
    assert settings is None and facts.error
    report = run(facts)
    assert ids(report) == {"WAFP-CFG-UNREADABLE"}
    assert any(e.family == "config" for e in report.errors)


def test_settings_file_is_read(tmp_path: Path) -> None:
    good = tmp_path / "wafproxy.yaml"
    good.write_text("upstream: https://127.0.0.1:9\nupstream_insecure_skip_verify: true\n", encoding="utf-8")
    facts, settings = from_config_file(good)
    assert settings is not None and facts.error is None
    assert {"WAFP-CFG-UPSTREAM-NO-VERIFY", "WAFP-CFG-LOGGING-OFF", "WAFP-CFG-NO-RATE"} <= ids(run(facts))
