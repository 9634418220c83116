"""Loading from files: a verbatim get-web-acl export, references by ARN and name, JSON and YAML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.engine.aclkit import VIS, byte_match, req, rule, web_acl
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import Action, WebAclError, evaluate
from wafproxy.engine.decision import RuleType

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def export():
    return load_web_acl(DATA / "export" / "web-acl.json", managed_dir=DATA / "managed")


def test_export_compiles_with_its_settings(export):
    assert export.name == "prod-web-acl"
    assert export.rule_names == [
        "BlockListedIPs",
        "AWS-AWSManagedRulesKnownBadInputsRuleSet",
        "app-rules",
        "LoginRateLimit",
        "BadBots",
    ]
    assert export.body_inspection_limit == 32 * 1024
    assert export.ip_set_sizes() == {"blocklist": 2}
    assert export.token_domains == ("example.com",)


@pytest.mark.parametrize(
    ("request_", "action", "rule_id", "group_rule"),
    [
        (
            req(headers=(("X-Forwarded-For", "192.0.2.9"), ("Host", "shop"))),
            Action.BLOCK,
            "BlockListedIPs",
            None,
        ),
        (
            req(query="x=${jndi:ldap://e/a}", headers=(("Host", "shop"),)),
            Action.BLOCK,
            "AWS-AWSManagedRulesKnownBadInputsRuleSet",
            "Log4JRCE_QUERYSTRING",
        ),
        (req("/Admin/users", headers=(("Host", "shop"),)), Action.BLOCK, "app-rules", "NoAdminFromOutside"),
        (
            req(query="id=1%27%20or%20%271%27=%271", headers=(("Host", "shop"),)),
            Action.BLOCK,
            "app-rules",
            "SQLiQuery",
        ),
        (req(headers=(("Host", "shop"), ("User-Agent", "sqlmap/1.7"))), Action.BLOCK, "BadBots", None),
        (
            req(headers=(("Host", "localhost"), ("User-Agent", "Mozilla"))),
            Action.ALLOW,
            "Default_Action",
            None,
        ),
        (
            req("/shop", headers=(("Host", "shop"), ("User-Agent", "Mozilla"))),
            Action.ALLOW,
            "Default_Action",
            None,
        ),
    ],
)
def test_export_decisions(export, request_, action, rule_id, group_rule):
    d = evaluate(export, request_)
    assert (d.action, d.terminating_rule_id, d.terminating_group_rule_id) == (action, rule_id, group_rule)


def test_export_custom_response_and_override_to_count(export):
    d = evaluate(export, req(headers=(("X-Forwarded-For", "198.51.100.44"),)))
    assert d.custom_response is not None and d.custom_response.body.startswith(b"<html>")
    assert d.custom_response.headers == (("x-blocked-by", "prod-web-acl"),)
    d = evaluate(export, req(headers=(("Host", "localhost:8080"),)))
    assert d.action is Action.ALLOW
    assert d.labels == ("awswaf:managed:aws:known-bad-inputs:KnownBadInputs_Host_localhost_Header",)
    assert d.non_terminating[0].rule_group == "AWSManagedRulesKnownBadInputsRuleSet"
    assert d.non_terminating[0].rule_type is RuleType.REGULAR  # its own type; the group is named


def test_export_rate_rule_answers_captcha(export):
    class Over:
        def hit(self, check, now):
            return True

    d = evaluate(export, req("/login", headers=(("Host", "shop"),)), Over())
    assert d.action is Action.CAPTCHA and d.terminating_rule_id == "LoginRateLimit"
    assert evaluate(export, req("/shop", headers=(("Host", "shop"),)), Over()).action is Action.ALLOW


def test_yaml_web_acl_and_name_references(tmp_path):
    import yaml

    (tmp_path / "sets").mkdir()
    (tmp_path / "sets" / "ips.yaml").write_text(
        yaml.safe_dump({"Name": "office", "IPAddressVersion": "IPV6", "Addresses": ["2001:db8:aa::/48"]})
    )
    acl = web_acl(
        rule("office", 0, {"IPSetReferenceStatement": {"ARN": "office"}}, "Allow"),
        rule("rest", 1, byte_match("/")),
    )
    (tmp_path / "acl.yml").write_text(yaml.safe_dump(acl))
    compiled = load_web_acl(tmp_path / "acl.yml", managed_dir=None)
    assert evaluate(compiled, req(ip="2001:db8:aa::1")).action is Action.ALLOW
    assert evaluate(compiled, req(ip="2001:db8:bb::1")).action is Action.BLOCK


def _ip_ref_acl(name: str) -> dict:
    return web_acl(rule("ips", 0, {"IPSetReferenceStatement": {"ARN": name}}))


def test_non_waf_and_unrelated_broken_files_are_skipped(tmp_path, caplog):
    """An ACL in a shared directory (/tmp) must not fail on someone else's broken YAML."""
    (tmp_path / "acl.json").write_text(json.dumps(web_acl()))
    (tmp_path / "cases.yaml").write_text("- request: {path: /}\n  expect: ALLOW\n")
    assert load_web_acl(tmp_path / "acl.json", managed_dir=None).name == "test-acl"
    (tmp_path / "broken.json").write_text('{"Name": ')
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "bad.yaml").write_text("a: [unclosed\n")
    assert load_web_acl(tmp_path / "acl.json", managed_dir=None).name == "test-acl"
    # With a reference, the tree is read: the broken files are skipped with a warning.
    (tmp_path / "acl.json").write_text(json.dumps(_ip_ref_acl("s")))
    ips = {"Name": "s", "IPAddressVersion": "IPV4", "Addresses": ["10.0.0.0/8"]}
    (tmp_path / "s.json").write_text(json.dumps(ips))
    with caplog.at_level("WARNING", logger="wafproxy.aclfiles"):
        compiled = load_web_acl(tmp_path / "acl.json", managed_dir=None)
    assert evaluate(compiled, req(ip="10.1.2.3")).action is Action.BLOCK
    assert any("broken.json" in r.getMessage() for r in caplog.records)
    assert any("bad.yaml" in r.getMessage() for r in caplog.records)


def test_acl_without_references_reads_no_other_file(tmp_path, monkeypatch):
    import wafproxy.aclfiles as aclfiles

    (tmp_path / "acl.json").write_text(json.dumps(web_acl(rule("r", 0, byte_match("/admin")))))
    (tmp_path / "s.json").write_text(json.dumps({"Name": "s", "IPAddressVersion": "IPV4", "Addresses": []}))
    read: list[str] = []
    real = aclfiles.read_document
    monkeypatch.setattr(aclfiles, "read_document", lambda p: read.append(str(p)) or real(p))
    load_web_acl(tmp_path / "acl.json", managed_dir=None)
    assert read == [str(tmp_path / "acl.json")]


def test_broken_referenced_file_is_an_error_naming_it(tmp_path):
    (tmp_path / "acl.json").write_text(json.dumps(_ip_ref_acl("blocked")))
    (tmp_path / "blocked.json").write_text('{"Name": ')
    with pytest.raises(WebAclError) as err:
        load_web_acl(tmp_path / "acl.json", managed_dir=None)
    assert err.value.source.endswith("blocked.json") and "invalid JSON" in err.value.reason


def test_invalid_referenced_document_names_its_file(tmp_path):
    (tmp_path / "acl.json").write_text(json.dumps(_ip_ref_acl("s")))
    (tmp_path / "set.json").write_text(
        json.dumps(
            {"IPSet": {"Name": "s", "IPAddressVersion": "IPV4", "Addresses": ["10.0.0.0/8", "not-an-ip"]}}
        )
    )
    with pytest.raises(WebAclError) as err:
        load_web_acl(tmp_path / "acl.json", managed_dir=None)
    assert err.value.source.endswith("set.json")
    assert err.value.path == "$.IPSet.Addresses[1]"


def test_invalid_unreferenced_document_is_skipped(tmp_path):
    (tmp_path / "acl.json").write_text(json.dumps(_ip_ref_acl("good")))
    good = {"Name": "good", "IPAddressVersion": "IPV4", "Addresses": []}
    (tmp_path / "good.json").write_text(json.dumps(good))
    (tmp_path / "set.json").write_text(
        json.dumps({"IPSet": {"Name": "s", "IPAddressVersion": "IPV4", "Addresses": ["not-an-ip"]}})
    )
    assert load_web_acl(tmp_path / "acl.json", managed_dir=None).name == "test-acl"


def test_duplicate_names_across_files_are_refused(tmp_path):
    (tmp_path / "acl.json").write_text(json.dumps(_ip_ref_acl("s")))
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps({"Name": "s", "IPAddressVersion": "IPV4", "Addresses": []}))
    with pytest.raises(WebAclError, match="also defined in"):
        load_web_acl(tmp_path / "acl.json", managed_dir=None)


def test_unknown_field_in_referenced_group_file_is_an_error(tmp_path):
    group = {"Name": "g", "Capacity": 5, "VisibilityConfig": VIS, "Shiny": 1, "Rules": []}
    (tmp_path / "g.json").write_text(json.dumps(group))
    ref = {"RuleGroupReferenceStatement": {"ARN": "g"}}
    (tmp_path / "acl.json").write_text(json.dumps(web_acl(rule("g", 0, ref, OverrideAction={"None": {}}))))
    with pytest.raises(WebAclError) as err:
        load_web_acl(tmp_path / "acl.json", managed_dir=None)
    assert err.value.path == "$.Shiny" and err.value.source.endswith("g.json")


def test_check_file_reports_kind_capacity_and_errors(tmp_path):
    from wafproxy.aclfiles import check_file

    good = check_file(DATA / "export" / "web-acl.json", managed_dir=DATA / "managed")
    assert good.ok and good.kind == "WebACL" and good.capacity and good.capacity > 0
    ipset = check_file(DATA / "export" / "ipsets" / "blocklist.json")
    assert ipset.ok and ipset.kind == "IPSet" and ipset.capacity is None
    (tmp_path / "bad.json").write_text(json.dumps({"Name": "s", "IPAddressVersion": "IPV5", "Addresses": []}))
    bad = check_file(tmp_path / "bad.json")
    assert not bad.ok and bad.error is not None
    assert str(bad.error).startswith(f"{tmp_path / 'bad.json'}: $.IPAddressVersion: 'IPV5' is not one of")
    (tmp_path / "notes.yaml").write_text("just: text\n")
    assert not check_file(tmp_path / "notes.yaml").ok
