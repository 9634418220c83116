"""``Detector``: the event sink that runs every scenario on every request and acts on the hits.

``emit(event)`` is called by the ``EventDispatcher`` after the response went out, on the request's
own thread: the scenarios run synchronously and a ban is in the gate before this process reads the
actor's next request. A request the gate refused (``GATE_RULE_ID``) is only counted. Trusted
addresses (trusted lists win, as in GuardDuty) skip everything. The same ``observe`` runs for log
replay (``replay.py``) with observations parsed from log lines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from wafproxy.events import RequestEvent
from wafproxy.sidecars.detector.actors import ActorKeys, ActorTable, credential_actor
from wafproxy.sidecars.detector.findings import DetectorInfo, Finding, FindingStore
from wafproxy.sidecars.detector.gate import BanGate
from wafproxy.sidecars.detector.intel import IntelLists
from wafproxy.sidecars.detector.observation import GATE_RULE_ID, Hit, Observation
from wafproxy.sidecars.detector.policy import DetectorPolicy
from wafproxy.sidecars.detector.quiet import QuietRequests
from wafproxy.sidecars.detector.remediation import Remediator
from wafproxy.sidecars.detector.scenarios_access import (
    CredentialStuffing,
    HttpFlood,
    LoginBruteForce,
    LoginFailures,
    ThreatIntel,
    TrafficVolume,
)
from wafproxy.sidecars.detector.scenarios_recon import (
    DistributedScan,
    PathProbe,
    ScannerUserAgent,
    WebAttackProbe,
)

log = logging.getLogger("wafproxy.detector")
_UA_MEMO_MAX = 4096
PUBLISH_UPDATES_EVERY = 60.0  # seconds between two publications of one finding's updates


class Detector:
    def __init__(self, policy: DetectorPolicy, info: DetectorInfo, *, gate: BanGate | None = None,
                 remediator: Remediator | None = None, intel: IntelLists | None = None,
                 store: FindingStore | None = None) -> None:
        self.policy = policy
        self.info = info
        self.keys = ActorKeys()
        self.gate = gate or BanGate(policy.remediation.max_bans, self.keys)
        self.remediator = remediator or Remediator(policy.remediation, self.gate)
        self.intel = intel or IntelLists()
        self.store = store or FindingStore(info)
        self.actors = ActorTable(policy.actors.max_actors)
        self.publishers: list[Callable[[Finding, bool], None]] = []  # (finding, new)
        self.refused = 0
        self.observed = 0
        self.enabled = True  # GuardDuty's UpdateDetector(Enable=False) / DeleteDetector: observe nothing
        self.publish_updates_every = PUBLISH_UPDATES_EVERY  # FindingPublishingFrequency, once set
        s = policy.scenarios
        failures = LoginFailures(s.login_brute_force)
        probe = PathProbe(s.path_probe)
        scanner = ScannerUserAgent(s.scanner_user_agent)
        candidates: list[tuple[Any, Any]] = [
            (ThreatIntel(s.threat_intel, self.intel), s.threat_intel),
            (scanner, s.scanner_user_agent),
            (probe, s.path_probe),
            (WebAttackProbe(s.web_attack_probe), s.web_attack_probe),
        ]
        # The scenarios that count every request: all a quiet request runs (``QuietRequests``).
        counting: list[tuple[Any, Any]] = [
            (HttpFlood(s.http_flood), s.http_flood),
            (TrafficVolume(s.traffic_volume), s.traffic_volume),
        ]
        self._observers = tuple(sc.observe for sc, p in candidates + counting if p.enabled)
        # Login scenarios only look at POSTs: kept apart so a GET pays nothing for them.
        post_only: list[tuple[Any, Any]] = [
            (LoginBruteForce(s.login_brute_force, failures), s.login_brute_force),
            (CredentialStuffing(s.credential_stuffing, failures), s.credential_stuffing),
        ]
        self._post_observers = self._observers + tuple(sc.observe for sc, p in post_only if p.enabled)
        self._distributed = DistributedScan(s.distributed_scan, probe) if s.distributed_scan.enabled else None
        self._counters = tuple(sc for sc, p in counting if p.enabled)  # the quiet lane's (``emit``)
        quiet_observers = tuple(sc.observe for sc in self._counters)
        self._by_quiet = {False: self._observers, True: quiet_observers}  # indexed by ``quiet``
        self._post_by_quiet = {False: self._post_observers, True: quiet_observers}
        self._quiet = QuietRequests(
            scanner=scanner if s.scanner_user_agent.enabled else None,
            probe=probe if s.path_probe.enabled or s.distributed_scan.enabled else None,
            logins=failures if s.login_brute_force.enabled or s.credential_stuffing.enabled else None,
        )
        self._ua_lower: dict[str, str] = {}  # user agent as sent -> lowercased, bounded
        self._cookie = policy.actors.session_cookie
        self._api_header = policy.actors.api_key_header

    # ---- in-band ----------------------------------------------------------------------------------

    def emit(self, event: RequestEvent) -> None:
        if not self.enabled:
            return
        decision = event.decision
        if decision.terminating_rule_id == GATE_RULE_ID:
            self.refused += 1
            return
        req = event.request
        values = req.header_values("user-agent")
        ua = ""
        if values:
            raw = values[0]
            known = self._ua_lower.get(raw)  # the same few agents over and over: lowered once
            if known is None:
                known = raw.lower()
                if len(self._ua_lower) >= _UA_MEMO_MAX:
                    self._ua_lower.clear()
                self._ua_lower[raw] = known
            ua = known
        # The quiet lane: what ``observe`` does for a request its memo already knows is quiet (no
        # label, no threat list, no credential actor), without building an ``Observation``.
        if not (decision.labels or self._cookie or self._api_header):
            intel = self.intel
            if not (intel.trusted or intel.threat or intel.tor is not None) and self._quiet.known(
                    (req.uri_path, event.response_status, ua, req.method)):
                self._count_quiet(event, ua)
                return
        self.observe(self._observation(event, ua))

    def _observation(self, event: RequestEvent, ua: str) -> Observation:
        req = event.request
        ct = req.header_values("content-type") if req.method == "POST" else ()
        return Observation(event.timestamp, req.client_ip, req.method, req.uri_path, event.response_status,
                           ua, event.decision.labels, req.body, ct[0].lower() if ct else "",
                           self._credential(req) if self._cookie or self._api_header else None)

    def _count_quiet(self, event: RequestEvent, ua: str) -> None:
        """``observe`` of a quiet request: only the counting scenarios run (as there), and the
        ``Observation`` is built only for a scenario that hits."""
        self.observed += 1
        req = event.request
        ip, ts, path = req.client_ip, event.timestamp, req.uri_path
        actor = self.actors.touch(ip if ":" not in ip else self.keys.of_ip(ip), ip, ts)  # as ``of_ip``
        hits: list[Hit] | None = None
        obs: Observation | None = None
        for scenario in self._counters:
            if scenario.counts(actor, ts, path):
                if obs is None:
                    obs = self._observation(event, ua)
                if hits is None:
                    hits = []
                hits.append(scenario.hit(actor, obs))
        if hits is not None:
            for hit in hits:
                self._act(hit)

    def _credential(self, req: Any) -> str | None:
        if self._api_header:
            values = req.header_values(self._api_header)
            if values and values[0]:
                return credential_actor("apikey", values[0])
        if self._cookie:
            for header in req.header_values("cookie"):
                for part in header.split(";"):
                    name, _, value = part.strip().partition("=")
                    if name == self._cookie and value:
                        return credential_actor("session", value)
        return None

    # ---- shared with replay -----------------------------------------------------------------------

    def observe(self, obs: Observation) -> list[Hit]:
        self.observed += 1
        intel = self.intel
        if intel.trusted and intel.is_trusted(obs.ip):
            return []
        key = obs.credential or self.keys.of_ip(obs.ip)
        actor = self.actors.touch(key, obs.ip, obs.ts)
        hits: list[Hit] | None = None
        # Quiet: no scenario but the counting ones can act on it (see ``QuietRequests``); labels
        # (attack probes) and threat lists (per address) are never part of that verdict.
        quiet = not (obs.labels or intel.threat or intel.tor is not None) and self._quiet.quiet(obs)
        for observe in (self._post_by_quiet if obs.method == "POST" else self._by_quiet)[quiet]:
            hit = observe(actor, obs)
            if hit is not None:
                if hits is None:
                    hits = []
                hits.append(hit)
        if self._distributed is not None and not quiet:
            more = self._distributed.observe_many(actor, obs)
            if more:
                hits = (hits or []) + more
        if hits is None:
            return []
        for hit in hits:
            self._act(hit)
        return hits

    def _act(self, hit: Hit) -> None:
        finding, new = self.store.record(hit)
        if not finding.archived and self.remediator.apply(hit) is not None:
            finding.blocked = True
        if new or hit.ts - finding.published_at >= self.publish_updates_every:
            self._publish(finding, new, hit.ts)

    def _publish(self, finding: Finding, new: bool, ts: float) -> None:
        finding.published_at = ts
        for publish in self.publishers:
            try:
                publish(finding, new)
            except Exception:  # noqa: BLE001 — an output failing must not fail the request
                log.warning("detector output %r failed", publish, exc_info=True)

    def record_sample(self, hit: Hit) -> Finding:
        """GuardDuty's CreateSampleFindings: recorded and published like a finding (the hub gets it
        too), never acted on (no ban: a sample names no real attacker)."""
        finding, new = self.store.record(hit)
        self._publish(finding, new, hit.ts)
        return finding
