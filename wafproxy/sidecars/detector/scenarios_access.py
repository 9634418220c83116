"""Access and volume scenarios: login brute force, credential stuffing, threat intel, floods.

Same contract as ``scenarios_recon``: ``observe(actor, obs)`` returns the hit(s) of the request
that crosses a threshold. Per-username and per-route tables are module-level state of the
scenario object, each an LRU bounded by the policy.
"""

from __future__ import annotations

from collections import OrderedDict

from wafproxy.sidecars.detector.actors import Actor
from wafproxy.sidecars.detector.buckets import DistinctBucket, LeakyBucket, RateWindow
from wafproxy.sidecars.detector.intel import IntelLists
from wafproxy.sidecars.detector.observation import Hit, Observation, username_of
from wafproxy.sidecars.detector.policy import (
    FloodPolicy,
    IntelPolicy,
    LoginPolicy,
    StuffingPolicy,
    VolumePolicy,
)
from wafproxy.sidecars.detector.scenarios_recon import make_hit


class LoginFailures:
    """Which requests are failed logins: a POST to a configured login path answered 401/403."""

    def __init__(self, policy: LoginPolicy) -> None:
        self.paths = frozenset(p.lower().rstrip("/") or "/" for p in policy.paths)
        self.statuses = frozenset(policy.failure_statuses)

    def is_login(self, obs: Observation) -> bool:
        if obs.method != "POST":
            return False
        path = obs.path.partition("?")[0].lower().rstrip("/") or "/"
        return path in self.paths

    def failed(self, obs: Observation) -> bool:
        return obs.status in self.statuses and self.is_login(obs)

    @staticmethod
    def succeeded(obs: Observation) -> bool:
        return 200 <= obs.status < 400


class LoginBruteForce:
    name = "login_brute_force"
    type = "CredentialAccess:Proxy/LoginBruteForce"

    def __init__(self, policy: LoginPolicy, failures: LoginFailures) -> None:
        self.policy = policy
        self.failures = failures

    def observe(self, actor: Actor, obs: Observation) -> Hit | None:
        if not self.failures.failed(obs):
            return None
        p = self.policy
        bucket = actor.state.get("lb")
        if bucket is None:
            bucket = actor.state["lb"] = LeakyBucket()
        if bucket.add(obs.ts, p.capacity, p.leak_per_second):
            path = obs.path.partition("?")[0]
            return make_hit(self.name, self.type, p, actor, obs, path[:256],
                            {"failedLogins": round(bucket.level), "path": path[:256]})
        return None


class CredentialStuffing:
    """Many distinct usernames failing from one actor, or one username failing from many actors.

    A username that then logs in successfully from the same actor was a typo, not a guess: it
    leaves the actor's bucket (200 colleagues behind one NAT address, each mistyping once, are not
    stuffing). The per-username table is an LRU of ``max_usernames``; once a username is over,
    every further actor failing on it is hit on its first failure (it joins an attack already
    identified)."""

    name = "credential_stuffing"
    type = "CredentialAccess:Proxy/CredentialStuffing"

    def __init__(self, policy: StuffingPolicy, failures: LoginFailures) -> None:
        self.policy = policy
        self.failures = failures
        self.fields = tuple(policy.username_fields)
        self._users: OrderedDict[str, DistinctBucket] = OrderedDict()

    def observe(self, actor: Actor, obs: Observation) -> Hit | None:
        failures = self.failures
        if obs.method != "POST" or not failures.is_login(obs):
            return None
        if failures.succeeded(obs):
            mine = actor.state.get("cs")
            if mine is not None:
                user = username_of(obs, self.fields)
                if user is not None:
                    mine.seen.pop(user, None)
            return None
        if obs.status not in failures.statuses:
            return None
        user = username_of(obs, self.fields)
        if user is None:
            return None
        p = self.policy
        mine = actor.state.get("cs")
        if mine is None:
            mine = actor.state["cs"] = DistinctBucket()
        path = obs.path.partition("?")[0][:256]
        if mine.add(user, obs.ts, p.per_actor_window, p.per_actor_usernames):
            return make_hit(self.name, self.type, p, actor, obs, path,
                            {"reason": "distinct usernames from one actor", "usernames": len(mine)})
        users = self._users
        bucket = users.get(user)
        if bucket is None:
            if len(users) >= p.max_usernames:
                users.popitem(last=False)
            bucket = users[user] = DistinctBucket()
        else:
            users.move_to_end(user)
        if bucket.add(actor.key, obs.ts, p.per_username_window, p.per_username_actors):
            # The username itself stays out of the finding: it may be a real customer's.
            return make_hit(self.name, self.type, p, actor, obs, path,
                            {"reason": "one username from many actors", "actors": len(bucket)})
        return None


class ThreatIntel:
    """An address on a threat list (``MaliciousIPCaller.Custom``) or the Tor exit list."""

    name = "threat_intel"
    type = "UnauthorizedAccess:Proxy/MaliciousIPCaller.Custom"
    tor_type = "UnauthorizedAccess:Proxy/TorIPCaller"

    def __init__(self, policy: IntelPolicy, lists: IntelLists) -> None:
        self.policy = policy
        self.lists = lists

    def observe(self, actor: Actor, obs: Observation) -> Hit | None:
        lists = self.lists
        if not lists.threat and lists.tor is None:
            return None
        found = lists.threat_match(obs.ip)
        if found is not None:
            hit = make_hit(self.name, self.type, self.policy, actor, obs, "web-acl", {"list": found.name})
            hit.threat_list = (found.name, found.sha256)
            return hit
        if lists.is_tor(obs.ip):
            assert lists.tor is not None
            hit = make_hit(self.name, self.tor_type, self.policy, actor, obs, "web-acl",
                           {"list": lists.tor.name}, action=self.policy.tor_action)
            hit.threat_list = (lists.tor.name, lists.tor.sha256)
            return hit
        return None


class HttpFlood:
    """One actor's request rate: a leaky bucket of every request it sends."""

    name = "http_flood"
    type = "Impact:Proxy/HTTPFlood"

    def __init__(self, policy: FloodPolicy) -> None:
        self.policy = policy

    def observe(self, actor: Actor, obs: Observation) -> Hit | None:
        return self.hit(actor, obs) if self.counts(actor, obs.ts, obs.path) else None

    def counts(self, actor: Actor, ts: float, path: str) -> bool:
        """Count one request (all ``observe`` changes); True when ``observe`` would return a hit,
        then made by ``hit``. Apart so the detector's quiet lane builds no ``Observation``."""
        p = self.policy
        bucket = actor.state.get("fl")
        if bucket is None:
            bucket = actor.state["fl"] = LeakyBucket()
        return bucket.add(ts, p.capacity, p.leak_per_second)

    def hit(self, actor: Actor, obs: Observation) -> Hit:
        p = self.policy
        return make_hit(self.name, self.type, p, actor, obs, "web-acl",
                        {"requests": round(actor.state["fl"].level), "leakPerSecond": p.leak_per_second})


class TrafficVolume:
    """Requests per route (first path segment) per period against the route's EWMA baseline.

    A route-level anomaly, finding only by default (``action: none``); the finding names the actor
    whose request closed the unusual period, the route is its resource."""

    name = "traffic_volume"
    type = "Behavior:Proxy/TrafficVolumeUnusual"

    def __init__(self, policy: VolumePolicy) -> None:
        self.policy = policy
        self._routes: dict[str, RateWindow] = {}  # insertion-ordered; the oldest route goes first
        self._route_memo: dict[str, str] = {}  # raw path → route, bounded
        self._unusual: tuple[str, int, float] = ("/", 0, 0.0)  # (route, count, baseline) for ``hit``

    @staticmethod
    def route_of(path: str) -> str:
        end = path.find("/", 1)
        head = path if end < 0 else path[:end]
        return head.partition("?")[0][:64] or "/"

    def observe(self, actor: Actor, obs: Observation) -> Hit | None:
        return self.hit(actor, obs) if self.counts(actor, obs.ts, obs.path) else None

    def counts(self, actor: Actor, ts: float, path: str) -> bool:
        """Count one request (all ``observe`` changes); True when ``observe`` would return a hit,
        then made by ``hit`` (from ``_unusual``, the period just closed)."""
        p = self.policy
        route = self._route_memo.get(path)
        if route is None:
            route = self.route_of(path)
            if len(self._route_memo) >= 8192:
                self._route_memo.clear()
            self._route_memo[path] = route
        window = self._routes.get(route)
        if window is None:
            if len(self._routes) >= p.max_routes:
                del self._routes[next(iter(self._routes))]
            window = self._routes[route] = RateWindow()
        closed = window.add(ts, p.period, p.alpha)
        if closed is None:
            return False
        count, baseline = closed
        if window.periods <= p.warmup_periods or count < p.min_requests or count <= p.factor * baseline:
            return False
        self._unusual = (route, count, baseline)
        return True

    def hit(self, actor: Actor, obs: Observation) -> Hit:
        p = self.policy
        route, count, baseline = self._unusual
        return make_hit(self.name, self.type, p, actor, obs, f"route:{route}",
                        {"route": route, "requests": count, "baseline": round(baseline, 1),
                         "periodSeconds": p.period})
