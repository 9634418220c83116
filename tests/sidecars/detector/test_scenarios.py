"""Scenarios, table-driven: each attacker crosses its threshold on the request the policy says;
the benign look-alikes (NAT office, SPA 404 bursts, crawlers, API retries on 503) never do."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from wafproxy.sidecars.detector.detector import Detector
from wafproxy.sidecars.detector.findings import DetectorInfo
from wafproxy.sidecars.detector.observation import Observation
from wafproxy.sidecars.detector.policy import load_policy

UA = "mozilla/5.0 (x11; linux x86_64) firefox/120.0"


def _detector(**overrides: object) -> Detector:
    return Detector(load_policy(overrides=overrides or None), DetectorInfo("d" * 32))


def _first_ban(det: Detector, requests: Iterable[Observation]) -> int | None:
    """1-based index of the request after which the actor is refused (None: never)."""
    for n, obs in enumerate(requests, 1):
        assert det.gate.verdict(obs.ip, obs.ts) is None, f"request {n} reached a banned actor"
        det.observe(obs)
        if det.gate.verdict(obs.ip, obs.ts + 0.001) is not None:
            return n
    return None


def test_sensitive_paths_ban_on_the_third_distinct_one() -> None:
    det = _detector()
    paths = [("/", 200), ("/.env", 404), ("/.env", 404), ("/.git/config", 404), ("/server-status", 403)]
    reqs = [Observation(100 + i, "198.51.100.7", "GET", p, s, UA) for i, (p, s) in enumerate(paths)]
    assert _first_ban(det, reqs) == 5
    (finding,) = det.store.all()
    assert finding.type == "Recon:Proxy/PathProbe" and finding.blocked


def test_percent_encoded_sensitive_path_is_the_same_path() -> None:
    det = _detector()
    reqs = [Observation(100, "198.51.100.7", "GET", "/%2Eenv", 404, UA),
            Observation(101, "198.51.100.7", "GET", "/.env", 404, UA),
            Observation(102, "198.51.100.7", "GET", "/.git/HEAD", 404, UA),
            Observation(103, "198.51.100.7", "GET", "/Web.Config", 404, UA)]
    assert _first_ban(det, reqs) == 4


def test_404_burst_over_distinct_paths_but_not_assets() -> None:
    det = _detector()
    assets = [Observation(100 + i * 0.1, "198.51.100.8", "GET", f"/static/js/main.{i:04x}.js", 404, UA)
              for i in range(200)]
    assert _first_ban(det, assets) is None  # a SPA after a deploy: stale hashed assets
    probes = [Observation(200 + i * 0.1, "198.51.100.9", "GET", f"/page{i}", 404, UA) for i in range(40)]
    assert _first_ban(det, probes) == 25


def test_same_missing_path_again_and_again_is_not_probing() -> None:
    det = _detector()
    retries = [Observation(100 + i, "198.51.100.10", "GET", "/api/v1/orders", 404 if i % 2 else 503, UA)
               for i in range(500)]
    assert _first_ban(det, retries) is None


@pytest.mark.parametrize("ua", ["sqlmap/1.7.2#stable (https://sqlmap.org)", "Mozilla/5.00 (Nikto/2.1.6)",
                                "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
                                "gobuster/3.6", "Fuzz Faster U Fool v2.1.0"])
def test_scanner_user_agent_is_a_trigger(ua: str) -> None:
    det = _detector()
    assert _first_ban(det, [Observation(100, "203.0.113.5", "GET", "/", 200, ua.lower())]) == 1
    assert det.store.all()[0].type == "PenTest:Proxy/ScannerUserAgent"


@pytest.mark.parametrize("ua", [UA, "googlebot/2.1 (+http://www.google.com/bot.html)", "curl/8.5.0",
                                "python-httpx/0.27.0", "okhttp/4.12.0"])
def test_ordinary_user_agents_are_not_scanners(ua: str) -> None:
    det = _detector()
    reqs = [Observation(100 + i, "203.0.113.6", "GET", "/", 200, ua) for i in range(5)]
    assert _first_ban(det, reqs) is None


def test_web_attack_probe_needs_repeated_matches() -> None:
    det = _detector()
    label = ("wafproxy:managed:sql-database:SQLi_QUERYARGUMENTS",)
    reqs = [Observation(100 + i, "192.0.2.44", "GET", "/search", 403, UA, label) for i in range(10)]
    assert _first_ban(det, reqs) == 5
    finding = det.store.all()[0]
    assert finding.type == "InitialAccess:Proxy/WebAttackProbe" and finding.evidence["classes"] == ["SQLI"]
    # One false positive a day from a real user never bans.
    det2 = _detector()
    sparse = [Observation(100 + i * 3600, "192.0.2.45", "GET", "/search", 403, UA, label) for i in range(20)]
    assert _first_ban(det2, sparse) is None


def _login(ts: float, ip: str, user: str, status: int = 401) -> Observation:
    return Observation(ts, ip, "POST", "/login", status, UA, body=f"username={user}&password=x".encode(),
                       content_type="application/x-www-form-urlencoded")


def test_login_brute_force_on_one_username() -> None:
    det = _detector()
    assert _first_ban(det, [_login(100 + i * 0.1, "192.0.2.50", "admin") for i in range(30)]) == 21
    assert {f.type for f in det.store.all()} == {"CredentialAccess:Proxy/LoginBruteForce"}


def test_credential_stuffing_many_usernames_from_one_actor() -> None:
    det = _detector()
    assert _first_ban(det, [_login(100 + i, "192.0.2.51", f"user{i}") for i in range(30)]) == 10
    assert det.store.all()[0].type == "CredentialAccess:Proxy/CredentialStuffing"


def test_one_username_from_many_actors() -> None:
    det = _detector()
    bans = [_first_ban(det, [_login(100 + i, f"192.0.2.{60 + i}", "ceo@example.com")]) for i in range(25)]
    assert bans[:19] == [None] * 19 and bans[19] == 1


def test_successful_logins_and_an_office_of_mistypers_are_fine() -> None:
    det = _detector()
    office = "203.0.113.200"  # 200 users behind one NAT address, each mistyping once then succeeding
    reqs = []
    for i in range(200):
        reqs += [_login(100 + i * 20, office, f"user{i}"), _login(101 + i * 20, office, f"user{i}", 200)]
    assert _first_ban(det, reqs) is None


def test_http_flood_and_a_busy_nat_office() -> None:
    det = _detector()
    office = [Observation(100 + i * 0.025, "203.0.113.201", "GET", f"/api/items/{i % 50}", 200, UA)
              for i in range(20000)]  # 40 requests/s for over 8 minutes
    assert _first_ban(det, office) is None
    flood = [Observation(1000 + i * 0.001, "203.0.113.202", "GET", "/", 200, UA) for i in range(5000)]
    n = _first_ban(det, flood)
    assert n is not None and 3000 < n < 3500


def test_distributed_slow_scan() -> None:
    det = _detector()
    results = [_first_ban(det, [Observation(100 + i * 30, f"198.18.{i // 200}.{i % 200}", "GET", "/.env", 404,
                                            UA)]) for i in range(30)]
    assert results[:19] == [None] * 19 and results[19] == 1
    assert len({f.actor for f in det.store.all() if f.type.endswith("Distributed")}) >= 20


def test_ipv6_actors_aggregate_per_64() -> None:
    det = _detector()
    reqs = [Observation(100, "2001:db8:1:2::a", "GET", "/.env", 404, UA),
            Observation(101, "2001:db8:1:2:ffff::b", "GET", "/.git/config", 404, UA),
            Observation(102, "2001:db8:1:2:1::c", "GET", "/phpinfo.php", 404, UA)]
    assert _first_ban(det, reqs) == 3
    assert det.gate.verdict("2001:db8:1:2::77", 102) is not None
    assert det.gate.verdict("2001:db8:1:3::1", 102) is None


def test_dry_run_records_the_finding_without_a_ban() -> None:
    det = _detector(scenarios={"path_probe": {"dry_run": True}})
    paths = ["/.env", "/.git/x", "/.aws/credentials"]
    reqs = [Observation(100 + i, "198.51.100.7", "GET", p, 404, UA) for i, p in enumerate(paths)]
    assert _first_ban(det, reqs) is None
    assert det.store.all()[0].type == "Recon:Proxy/PathProbe" and not det.store.all()[0].blocked


def test_recidive_escalates_bans() -> None:
    det = _detector()
    durations = []
    t = 100.0
    for _ in range(3):
        for p in ("/.env", "/.git/config", "/backup.sql"):
            det.observe(Observation(t, "198.51.100.77", "GET", p, 404, UA))
            t += 1
        ban = det.gate.current("198.51.100.77", t)
        assert ban is not None
        durations.append(round(ban.until - (t - 1)))
        t = ban.until + 1 + 700  # after the ban, past the sensitive window
    assert durations == [600, 2400, 9600]


def test_finding_is_updated_in_place() -> None:
    det = _detector(scenarios={"scanner_user_agent": {"action": "none"}})
    for i in range(5):
        det.observe(Observation(100 + i, "203.0.113.9", "GET", f"/{i}", 200, "sqlmap/1.7"))
    (finding,) = det.store.all()
    assert finding.count == 5 and finding.first_seen == 100 and finding.last_seen == 104
    doc = finding.to_dict(det.info)
    assert doc["Service"]["Count"] == 5 and doc["Service"]["EventFirstSeen"].endswith("Z")
    assert doc["Type"] == "PenTest:Proxy/ScannerUserAgent"
    assert doc["Id"] == finding.id and len(doc["Id"]) == 32


def test_actor_table_is_bounded() -> None:
    det = _detector(actors={"max_actors": 1000})
    for i in range(5000):
        det.observe(Observation(100, f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", "GET", "/", 200, UA))
    assert len(det.actors) == 1000 and det.actors.evicted == 4000


def test_findings_are_kept_across_a_restart(tmp_path: Path) -> None:
    det = _detector(scenarios={"scanner_user_agent": {"action": "none"}})
    for i in range(3):
        det.observe(Observation(100 + i, "203.0.113.9", "GET", "/", 200, "sqlmap/1.7"))
    det.observe(Observation(200, "2001:db8::9", "GET", "/", 200, "nikto/2.5"))
    det.store.all()[1].archived = True
    det.store.save(tmp_path / "findings.json")
    again = _detector()
    assert again.store.load(tmp_path / "findings.json") == 2
    before = {f.id: (f.count, f.archived, f.ip, f.first_seen, f.last_seen) for f in det.store.all()}
    after = {f.id: (f.count, f.archived, f.ip, f.first_seen, f.last_seen) for f in again.store.all()}
    assert after == before
    assert again.store.load(tmp_path / "missing.json") == 0
