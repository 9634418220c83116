"""The console over HTTP: sign-in, sessions, CSRF and origin checks, server-side form validation,
findings actions, IP set edits through the control plane (lock tokens), security headers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.control.stack import KEYS
from tests.sidecars.hub.console_stack import ConsoleStack, csrf_of, running_console
from tests.sidecars.hub.factory import finding
from wafproxy.awsapi.params import Params


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    with running_console(tmp_path_factory.mktemp("console")) as s:
        yield s


def wait_for(condition, what: str, deadline: float = 20.0):  # type: ignore[no-untyped-def]
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_pages_need_a_session_and_signin_checks_the_secret(stack: ConsoleStack) -> None:
    anon = httpx.Client(base_url=stack.admin_url)
    assert anon.get("/console/findings").headers["location"] == "/console/signin"
    assert anon.get("/console/api/traffic").status_code == 401
    key, secret = KEYS["admin"]
    bad = anon.post("/console/signin", data={"access_key_id": key, "secret_access_key": secret + "x"})
    assert bad.status_code == 401 and "set-cookie" not in bad.headers
    unknown = anon.post(
        "/console/signin", data={"access_key_id": "AKIANOSUCHKEY", "secret_access_key": secret}
    )
    assert unknown.status_code == 401
    client = stack.signed_in()
    cookie = client.cookies.jar
    (c,) = list(cookie)
    assert c.name == "wafproxy_console" and c.path == "/console"
    assert secret not in str(client.get("/console").url)  # no secret in any URL
    page = client.get("/console")
    assert page.status_code == 200 and "Traffic by action" in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "http" not in csp
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"


def test_set_cookie_is_httponly_and_samesite_strict(stack: ConsoleStack) -> None:
    key, secret = KEYS["admin"]
    r = httpx.post(
        stack.admin_url + "/console/signin", data={"access_key_id": key, "secret_access_key": secret}
    )
    header = r.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Secure" not in header  # plain HTTP here


def test_stolen_cookie_from_another_origin_is_refused(stack: ConsoleStack) -> None:
    stack.hub.hub.import_findings([finding(1)])
    victim = stack.signed_in()
    token = csrf_of(victim.get("/console/findings").text)
    sid = victim.cookies.get("wafproxy_console")
    form = {"id": "test/finding/1", "action": "resolve", "csrf": token}
    # A page on another origin, holding the cookie (and even the token): refused.
    evil = httpx.post(
        stack.admin_url + "/console/findings/update",
        data=form,
        cookies={"wafproxy_console": sid},
        headers={"origin": "http://evil.example", "sec-fetch-site": "cross-site"},
    )
    assert evil.status_code == 403
    # Same origin, but no token: refused too.
    no_token = victim.post("/console/findings/update", data={"id": "test/finding/1", "action": "resolve"})
    assert no_token.status_code == 403
    assert stack.hub.hub.store.get_many(["test/finding/1"])["test/finding/1"]["Workflow"]["Status"] == "NEW"
    ok = victim.post("/console/findings/update", data=form)
    assert ok.status_code == 303 and "updated=1" in ok.headers["location"]
    assert (
        stack.hub.hub.store.get_many(["test/finding/1"])["test/finding/1"]["Workflow"]["Status"] == "RESOLVED"
    )


def test_findings_filters_and_note_validation(stack: ConsoleStack) -> None:
    stack.hub.hub.import_findings([finding(n, Id=f"console/{n}") for n in range(10)])
    client = stack.signed_in()
    high = client.get("/console/findings", params={"severity": "HIGH", "product": ""})
    assert high.status_code == 200 and high.text.count('name="id"') >= 2
    assert "finding 2<" in high.text and "finding 3<" not in high.text
    bad = client.get("/console/findings", params={"severity": "SEVERE"})
    assert "severity: choose one of" in bad.text
    token = csrf_of(high.text)
    long_note = client.post(
        "/console/findings/update",
        data={"id": "console/2", "action": "note", "note": "x" * 600, "csrf": token},
    )
    assert long_note.status_code == 400 and "at most 512" in long_note.text
    noted = client.post(
        "/console/findings/update",
        data={"id": "console/2", "action": "suppress", "note": "known scanner", "csrf": token},
    )
    assert noted.status_code == 303
    stored = stack.hub.hub.store.get_many(["console/2"])["console/2"]
    assert stored["Workflow"]["Status"] == "SUPPRESSED" and stored["Note"]["Text"] == "known scanner"
    assert stored["Note"]["UpdatedBy"].endswith(":user/admin")


def test_live_traffic_reaches_the_dashboard_and_the_hub(stack: ConsoleStack) -> None:
    with httpx.Client(base_url=stack.data_url) as waf:
        for _ in range(12):
            assert waf.get("/admin/panel").status_code == 403
        assert waf.get("/hello").status_code == 200
    client = stack.signed_in()
    data = wait_for(lambda: (d := client.get("/console/api/traffic").json())["top"]["rules"] and d, "traffic")
    assert dict(map(tuple, data["top"]["rules"]))["Admin"] >= 12
    assert sum(data["counts"]["BLOCK"]) >= 12 and sum(data["counts"]["ALLOW"]) >= 1
    wait_for(
        lambda: stack.hub.hub.store.get_many(
            ["wafproxy/waf/blocked/Admin/127.0.0.1/" + str(int(time.time() // 300) * 300)]
        ),
        "the WAF block finding",
    )
    samples = client.get("/console/samples", params={"rule": "Admin"})
    assert "/admin/panel" in samples.text
    acl = client.get("/console/acl")
    assert "RateLimit" in acl.text and "Admin" in acl.text
    controls = wait_for(lambda: "WAF.2" in (t := client.get("/console/controls").text) and t, "controls")
    assert "security score" in controls


def test_ip_set_edit_goes_through_the_control_plane_with_lock_tokens(stack: ConsoleStack) -> None:
    client = stack.signed_in()
    page = client.get("/console/ipsets/blocked")
    assert page.status_code == 200 and "192.0.2.0/24" in page.text
    token = csrf_of(page.text)
    import re

    lock = re.search(r'name="lock_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    invalid = client.post(
        "/console/ipsets/blocked",
        data={"csrf": token, "lock_token": lock, "addresses": "192.0.2.0/24\nnot-an-ip"},
    )
    assert invalid.status_code == 400 and "line 2" in invalid.text
    saved = client.post(
        "/console/ipsets/blocked",
        data={"csrf": token, "lock_token": lock, "addresses": "192.0.2.0/24\n198.51.100.7"},
    )
    assert saved.status_code == 200 and "Saved 2 address(es)" in saved.text
    assert "198.51.100.7/32" in stack.plane.store.get("ipset", "blocked").document["Addresses"]
    stale = client.post("/console/ipsets/blocked", data={"csrf": token, "lock_token": lock, "addresses": ""})
    assert stale.status_code == 400 and "reload the page" in stale.text
    with httpx.Client(base_url=stack.data_url, headers={"x-forwarded-for": "198.51.100.7"}) as waf:
        wait_for(lambda: waf.get("/hello").status_code == 403, "the edited IP set to block")


def test_signout_ends_the_session_and_failed_signins_are_throttled(tmp_path: Path) -> None:
    with running_console(tmp_path) as stack:
        client = stack.signed_in()
        token = csrf_of(client.get("/console").text)
        out = client.post("/console/signout", data={"csrf": token})
        assert out.status_code == 303 and "Max-Age=0" in out.headers["set-cookie"]
        assert client.get("/console").headers["location"] == "/console/signin"
        key, _ = KEYS["admin"]
        anon = httpx.Client(base_url=stack.admin_url)
        wrong = {"access_key_id": key, "secret_access_key": "wrong"}
        codes = [anon.post("/console/signin", data=wrong).status_code for _ in range(11)]
        assert codes == [401] * 10 + [429]


def test_controls_page_lists_automation_rules_and_disabled_controls(stack: ConsoleStack) -> None:
    rules = stack.hub.api.automation
    api_params = {"RuleName": "<b>triage</b>", "Description": "d", "RuleOrder": 7, "IsTerminal": True,
                  "Criteria": {"SeverityLabel": [{"Value": "LOW", "Comparison": "EQUALS"}]},
                  "Actions": [{"Type": "FINDING_FIELDS_UPDATE", "FindingFieldsUpdate": {"Criticality": 5}}]}
    arn = rules.create(Params(api_params), "arn:aws:iam::123456789012:user/admin", {})
    stack.hub.api.account.set_control("TLS.2", False, "terminated upstream")
    try:
        page = stack.signed_in().get("/console/controls").text
        rules_table = page[page.index('id="rules"'):]
        assert "&lt;b&gt;triage&lt;/b&gt;" in rules_table and "<b>triage" not in page
        assert "SeverityLabel" in rules_table and "Criticality" in rules_table
        assert "stops later rules" in rules_table
        controls_table = page[page.index('id="controls"'):page.index('id="rules"')]
        assert "TLS.2" in controls_table and "disabled (UpdateStandardsControl)" in controls_table
    finally:
        rules.delete([arn])
        stack.hub.api.account.set_control("TLS.2", True, None)
