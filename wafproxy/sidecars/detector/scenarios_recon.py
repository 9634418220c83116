"""Reconnaissance scenarios: path probing, scanner user agents, attack probing, distributed scans.

Each scenario is a class with ``observe(actor, obs) -> Hit | None`` keeping its buckets in
``actor.state[name]`` (created on first need, so a benign actor costs no bucket at all). The hit is
returned on the request that crosses the threshold — the last one the actor is served when the
action is ``block`` — and on every later request while the bucket stays over (the finding's Count).
"""

from __future__ import annotations

from collections import OrderedDict

from wafproxy.sidecars.detector.actors import Actor
from wafproxy.sidecars.detector.buckets import DistinctBucket, LeakyBucket
from wafproxy.sidecars.detector.literals import LiteralSet
from wafproxy.sidecars.detector.observation import Hit, Observation, normalized_path
from wafproxy.sidecars.detector.policy import (
    DistributedPolicy,
    PathProbePolicy,
    ScannerPolicy,
    ScenarioBase,
    WebAttackPolicy,
)

_UA_MEMO_MAX = 4096
_PATH_MEMO_MAX = 8192


def make_hit(name: str, kind: str, policy: ScenarioBase, actor: Actor, obs: Observation, resource: str,
             evidence: dict[str, object], action: str | None = None) -> Hit:
    return Hit(name, kind, policy.severity, actor.key, obs.ip, resource, action or policy.action,
               policy.dry_run, obs.ts, evidence)


class PathProbe:
    """Sensitive files (``.env``, ``.git/``, backups, admin consoles) over distinct paths, or a
    burst of 403/404 answers over distinct non-asset paths. A distinct-count bucket each: asking
    for the same missing path again and again (a broken link, a retrying client) never counts."""

    name = "path_probe"
    type = "Recon:Proxy/PathProbe"

    def __init__(self, policy: PathProbePolicy) -> None:
        self.policy = policy
        self.contains = LiteralSet(policy.sensitive_contains)
        self.suffixes = tuple(policy.sensitive_suffixes)
        self.ignore = tuple(policy.ignore_extensions)
        self.errors = frozenset(policy.error_statuses)
        self._paths: dict[str, tuple[str, bool, bool]] = {}

    def classify(self, obs: Observation) -> bool:
        """Whether ``obs`` asks for a sensitive path (memoized on the observation, and per raw path
        in a bounded table: most traffic asks for the same few hundred paths again and again)."""
        if obs.sensitive is None:
            known = self._paths.get(obs.path)
            if known is None:
                lp = normalized_path(obs.path)
                known = (lp, self.contains.search(lp), lp.endswith(self.suffixes))
                if len(self._paths) >= _PATH_MEMO_MAX:
                    self._paths.clear()
                self._paths[obs.path] = known
            obs.npath = known[0]
            obs.sensitive = known[1] or (known[2] and obs.status in self.errors)
        return obs.sensitive

    def feeds(self, obs: Observation) -> bool:
        """Whether ``observe`` would add ``obs`` to one of its buckets (else it does nothing)."""
        if self.classify(obs):
            return True
        return obs.status in self.errors and not (obs.npath or "").endswith(self.ignore)

    def observe(self, actor: Actor, obs: Observation) -> Hit | None:
        p = self.policy
        error = obs.status in self.errors
        sensitive = self.classify(obs)
        lp = obs.npath or ""
        if sensitive:
            bucket = actor.state.get("pp.s")
            if bucket is None:
                bucket = actor.state["pp.s"] = DistinctBucket()
            if bucket.add(lp, obs.ts, p.sensitive_window, p.sensitive_threshold):
                return make_hit(self.name, self.type, p, actor, obs, "web-acl",
                                {"reason": "sensitive paths", "paths": bucket.values()[-10:]})
        if error and not lp.endswith(self.ignore):
            bucket = actor.state.get("pp.e")
            if bucket is None:
                bucket = actor.state["pp.e"] = DistinctBucket()
            if bucket.add(lp, obs.ts, p.error_window, p.error_threshold):
                return make_hit(self.name, self.type, p, actor, obs, "web-acl",
                                {"reason": f"{len(bucket)} distinct paths answered {sorted(self.errors)}",
                                 "paths": bucket.values()[-10:]})
        return None


class ScannerUserAgent:
    """A user agent naming a scanning tool: one request is enough (a trigger bucket)."""

    name = "scanner_user_agent"
    type = "PenTest:Proxy/ScannerUserAgent"

    def __init__(self, policy: ScannerPolicy) -> None:
        self.policy = policy
        self.tokens = LiteralSet(policy.tokens)
        self._memo: dict[str, bool] = {}

    def flags(self, ua: str) -> bool:
        """Whether the (lowercased) user agent names a scanning tool; memoized, bounded."""
        found = self._memo.get(ua)
        if found is None:
            found = self.tokens.search(ua)
            if len(self._memo) >= _UA_MEMO_MAX:
                self._memo.clear()
            self._memo[ua] = found
        return found

    def observe(self, actor: Actor, obs: Observation) -> Hit | None:
        ua = obs.ua
        if not self.flags(ua):
            return None
        return make_hit(self.name, self.type, self.policy, actor, obs, "web-acl",
                        {"userAgent": ua[:256], "tool": self.tokens.first(ua) or ""})


def attack_class(label: str) -> str:
    name = label.rsplit(":", 1)[-1].lower()
    for token, cls in (("sqli", "SQLI"), ("sql", "SQLI"), ("crosssite", "XSS"), ("xss", "XSS"),
                       ("traversal", "TRAVERSAL"), ("lfi", "TRAVERSAL"), ("rfi", "RFI"),
                       ("shell", "RCE"), ("rce", "RCE"), ("unix", "RCE"), ("windows", "RCE"), ("php", "RCE"),
                       ("log4j", "RCE"), ("ssrf", "SSRF"), ("xxe", "XXE"), ("nosql", "NOSQLI")):
        if token in name:
            return cls
    return "OTHER"


class WebAttackProbe:
    """Repeated managed-rule matches (SQLi, XSS, traversal, RCE…) from one actor, read from the WAF
    decision's labels: a leaky bucket, so one false positive of a real user never bans."""

    name = "web_attack_probe"
    type = "InitialAccess:Proxy/WebAttackProbe"

    def __init__(self, policy: WebAttackPolicy) -> None:
        self.policy = policy
        self.prefixes = tuple(policy.label_prefixes)
        self.ignore = tuple(policy.ignore_labels_containing)

    def _attack_labels(self, labels: tuple[str, ...]) -> list[str]:
        return [lb for lb in labels if lb.startswith(self.prefixes) and not any(i in lb for i in self.ignore)]

    def observe(self, actor: Actor, obs: Observation) -> Hit | None:
        if not obs.labels:
            return None
        attacks = self._attack_labels(obs.labels)
        if not attacks:
            return None
        p = self.policy
        bucket = actor.state.get("wa")
        if bucket is None:
            bucket = actor.state["wa"] = LeakyBucket()
        classes: set[str] = actor.state.setdefault("wa.c", set())
        if len(classes) < 16:
            classes.update(attack_class(a) for a in attacks)
        if bucket.add(obs.ts, p.capacity, p.leak_per_second):
            return make_hit(self.name, self.type, p, actor, obs, "web-acl",
                            {"classes": sorted(classes), "labels": attacks[:5]})
        return None


class DistributedScan:
    """The same sensitive path probed by many actors (a slow scan spread over addresses, each
    under the per-actor thresholds). Bounded table of paths, each a distinct-actors bucket; once a
    path crosses, every actor that asked for it in the window is hit (all of them are the scan)."""

    name = "distributed_scan"
    type = "Recon:Proxy/PathProbe.Distributed"

    def __init__(self, policy: DistributedPolicy, probe: PathProbe) -> None:
        self.policy = policy
        self.probe = probe
        self._paths: OrderedDict[str, DistinctBucket] = OrderedDict()

    def observe_many(self, actor: Actor, obs: Observation) -> list[Hit]:
        if not self.probe.classify(obs):
            return []
        lp = obs.npath or ""
        p = self.policy
        bucket = self._paths.get(lp)
        if bucket is None:
            if len(self._paths) >= p.max_paths:
                self._paths.popitem(last=False)
            bucket = self._paths[lp] = DistinctBucket()
        else:
            self._paths.move_to_end(lp)
        was_over = len(bucket) >= p.actors_threshold
        key = f"{actor.key}|{obs.ip}"
        if not bucket.add(key, obs.ts, p.window, p.actors_threshold):
            return []
        evidence: dict[str, object] = {"path": lp, "actors": len(bucket)}
        if was_over:
            return [make_hit(self.name, self.type, p, actor, obs, lp, evidence)]
        hits = []
        for member in bucket.values():
            actor_key, _, ip = member.partition("|")
            hits.append(Hit(self.name, self.type, p.severity, actor_key, ip, lp, p.action, p.dry_run,
                            obs.ts, evidence))
        return hits
