"""The detector's quiet path (``QuietRequests``) decides exactly what running every scenario does.

One detector takes the shortcut, the other is forced to run every scenario on every request (what
the detector did before the shortcut existed); both see the same mixed traffic, and every hit,
finding, ban and per-actor bucket must come out the same.
"""

from __future__ import annotations

import random

import pytest

from wafproxy.engine.decision import Action, Decision
from wafproxy.engine.request import WafRequest
from wafproxy.events import RequestEvent
from wafproxy.sidecars.detector.detector import Detector
from wafproxy.sidecars.detector.findings import DetectorInfo
from wafproxy.sidecars.detector.observation import Observation
from wafproxy.sidecars.detector.policy import load_policy
from wafproxy.sidecars.detector.quiet import QuietRequests

BROWSER = "mozilla/5.0 (x11; linux x86_64) firefox/120.0"
PATHS = ["/", "/search?q=shoes", "/products/1", "/static/app.js", "/static/app.css", "/.env", "/.git/config",
         "/backup.zip", "/login", "/api/login", "/admin/config.php", "/page1", "/page2", "/page3",
         "/wp-login.php", "/%2Eenv", "/images/logo.png", "/db.sql"]
UAS = [BROWSER, BROWSER, BROWSER, "sqlmap/1.7", "curl/8.0", "nuclei - open-source project", ""]
STATUSES = [200, 200, 200, 404, 403, 401, 301, 503]
LABELS = [(), (), (), ("awswaf:managed:aws:sql-database:SQLi_QueryArguments",),
          ("awswaf:managed:aws:core-rule-set:NoUserAgent_Header",)]


class _NeverQuiet(QuietRequests):
    def quiet(self, obs: Observation) -> bool:
        return False


def _traffic(seed: int, n: int) -> list[Observation]:
    rnd = random.Random(seed)
    ips = [f"198.51.100.{i}" for i in range(1, 8)] + ["127.0.0.1", "2001:db8::1", "2001:db8::2"]
    out = []
    ts = 1000.0
    for _ in range(n):
        ts += rnd.choice((0.0005, 0.001, 0.01, 0.5, 3.0))
        method = rnd.choice(("GET", "GET", "GET", "POST", "HEAD"))
        body = b"username=alice%d&password=x" % rnd.randrange(30) if method == "POST" else b""
        out.append(Observation(ts, rnd.choice(ips), method, rnd.choice(PATHS), rnd.choice(STATUSES),
                               rnd.choice(UAS), rnd.choice(LABELS), body,
                               "application/x-www-form-urlencoded" if body else ""))
    return out


def _copy(obs: Observation) -> Observation:
    return Observation(obs.ts, obs.ip, obs.method, obs.path, obs.status, obs.ua, obs.labels, obs.body,
                       obs.content_type, obs.credential, obs.host)


def _state(det: Detector) -> object:
    findings = sorted((f.id, f.type, f.count, f.ip, f.blocked, f.last_seen, repr(f.evidence))
                      for f in det.store.all())
    actors = {key: (a.ip, a.requests, a.last_seen, sorted(a.state)) for key, a in det.actors._actors.items()}
    return findings, actors, det.remediator.bans, det.remediator.spared


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("overrides", [
    None,
    {"scenarios": {"http_flood": {"capacity": 40, "leak_per_second": 5}}},
    {"scenarios": {"scanner_user_agent": {"enabled": False}, "distributed_scan": {"enabled": False}}},
])
def test_quiet_path_gives_the_same_hits_findings_and_bans(seed: int, overrides: dict[str, object] | None,
                                                          ) -> None:
    fast = Detector(load_policy(overrides=overrides), DetectorInfo("d" * 32))
    exact = Detector(load_policy(overrides=overrides), DetectorInfo("d" * 32))
    exact._quiet = _NeverQuiet(scanner=None, probe=None, logins=None)  # every scenario, every time
    took_shortcut = 0
    for obs in _traffic(seed, 3000):
        took_shortcut += fast._quiet.quiet(_copy(obs)) and not obs.labels
        assert fast.observe(_copy(obs)) == exact.observe(_copy(obs))
        assert fast.gate.verdict(obs.ip, obs.ts) == exact.gate.verdict(obs.ip, obs.ts)
    assert _state(fast) == _state(exact)
    assert fast.store.all(), "the mix must raise findings, or the comparison shows nothing"
    assert took_shortcut > 300, "the mix must also hold quiet requests"


def test_a_sensitive_path_or_a_scanner_is_never_quiet() -> None:
    det = Detector(load_policy(), DetectorInfo("d" * 32))
    quiet = det._quiet.quiet
    assert quiet(Observation(1, "198.51.100.1", "GET", "/search", 200, BROWSER))
    assert quiet(Observation(1, "198.51.100.1", "GET", "/static/app.js", 404, BROWSER))  # an asset's 404
    assert not quiet(Observation(1, "198.51.100.1", "GET", "/page9", 404, BROWSER))  # counts toward a probe
    assert not quiet(Observation(1, "198.51.100.1", "GET", "/.env", 200, BROWSER))
    assert not quiet(Observation(1, "198.51.100.1", "GET", "/search", 200, "sqlmap/1.7"))
    assert not quiet(Observation(1, "198.51.100.1", "POST", "/login", 200, BROWSER))
    assert quiet(Observation(1, "198.51.100.1", "POST", "/comments", 200, BROWSER))


def _event(obs: Observation, rnd: random.Random) -> RequestEvent:
    """``obs`` as the proxy reports it; the user agent in the case a client sends it."""
    ua = obs.ua.upper() if rnd.random() < 0.3 else obs.ua
    headers = ((("user-agent", ua),) if ua else ()) + (
        (("content-type", obs.content_type.upper()),) if obs.content_type else ())
    request = WafRequest(obs.ip, obs.method, obs.path, headers=headers, body=obs.body)
    return RequestEvent(obs.ts, "acl", request, Decision(Action.ALLOW, labels=obs.labels), obs.status, 1e-5)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(("overrides", "kind"), [
    ({"scenarios": {"http_flood": {"capacity": 20, "leak_per_second": 0.01}}}, "Impact:Proxy/HTTPFlood"),
    ({"scenarios": {"traffic_volume": {"period": 30, "warmup_periods": 1, "min_requests": 5, "factor": 1.2}}},
     "Behavior:Proxy/TrafficVolumeUnusual"),
])
def test_the_quiet_lane_of_emit_gives_the_same_findings_and_bans(seed: int, overrides: dict[str, object],
                                                               kind: str) -> None:
    """``emit`` counts a known-quiet request without an ``Observation`` (``_count_quiet``): the
    same findings, bans and buckets as a detector that runs every scenario on every request."""
    fast = Detector(load_policy(overrides=overrides), DetectorInfo("d" * 32))
    exact = Detector(load_policy(overrides=overrides), DetectorInfo("d" * 32))
    exact._quiet = _NeverQuiet(scanner=None, probe=None, logins=None)
    lane = 0
    known = fast._quiet.known

    def counted(key: tuple[str, int, str, str]) -> bool | None:
        # ``emit`` asks the memo only for a request the quiet lane may take, and takes it when the
        # memo knows it (counted here, not on ``_count_quiet``: a compiled Detector's methods
        # cannot be replaced).
        nonlocal lane
        found = known(key)
        lane += bool(found)
        return found

    fast._quiet.known = counted
    rnd = random.Random(seed)
    for obs in _traffic(seed, 3000):
        event = _event(obs, rnd)
        fast.emit(event)
        exact.emit(event)
        assert fast.gate.verdict(obs.ip, obs.ts) == exact.gate.verdict(obs.ip, obs.ts)
    assert _state(fast) == _state(exact)
    assert fast.observed == exact.observed
    assert kind in {f.type for f in fast.store.all()}, "the counting scenario must raise findings"
    assert lane > 300, "the mix must also hold requests the quiet lane counts"
