"""Three wafproxy hosts, one Redis host, one upstream host and one client host in the namespace
lab (``lab.py``), each wafproxy with its own ACL directory, credentials and state, as separate
machines would have: what ``test_multihost.py`` and ``load_tests/bench_scaleout.py`` run on."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.control.stack import KEYS, VIS, rule, write_credentials
from tests.deploy.lab import CLIENT_SCRIPT, Host, Lab, LabClient
from tests.support.redis import REDIS_SERVER

LIMIT = 60  # requests per window per client address, across every host
WINDOW = 60  # seconds; longer than any burst below, so one burst is one window
PROXIES = ("p1", "p2", "p3")
SHARED_RULES = 5  # /shared0/ … /shared4/: one fresh window each (bench_scaleout.py uses them all)
REPO = Path(__file__).resolve().parents[2]


def rate_rule(name: str, priority: int, prefix: str) -> dict[str, Any]:
    scope = {"ByteMatchStatement": {"SearchString": prefix, "FieldToMatch": {"UriPath": {}},
                                    "PositionalConstraint": "STARTS_WITH",
                                    "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}
    statement = {"RateBasedStatement": {"Limit": LIMIT, "EvaluationWindowSec": WINDOW,
                                        "AggregateKeyType": "IP", "ScopeDownStatement": scope}}
    return rule(name, priority, statement)


def write_host_acl(root: Path) -> Path:
    (root / "ipsets").mkdir(parents=True)
    (root / "ipsets" / "blocked.json").write_text(
        json.dumps({"Name": "blocked", "IPAddressVersion": "IPV4", "Addresses": ["192.0.2.0/24"]}))
    acl = {"Name": "lab-acl", "DefaultAction": {"Allow": {}},
           "VisibilityConfig": {**VIS, "MetricName": "lab"},
           "Rules": [rule("BlockedIPs", 0, {"IPSetReferenceStatement": {"ARN": "blocked"}}),
                     rate_rule("Fallback", 1, "/fallback/"),
                     *(rate_rule(f"Shared{i}", 2 + i, f"/shared{i}/") for i in range(SHARED_RULES))]}
    path = root / "web-acl.json"
    path.write_text(json.dumps(acl))
    return path


@dataclass
class Cluster:
    lab: Lab
    client: LabClient
    redis: Host
    proxies: dict[str, Host]
    procs: dict[str, Any]
    tmp: Path

    def url(self, name: str, path: str = "/") -> str:
        return f"http://{self.proxies[name].address}:8080{path}"

    def urls(self, path: str = "/", names: tuple[str, ...] = PROXIES) -> list[str]:
        return [self.url(n, path) for n in names]

    def admin(self, name: str) -> str:
        return f"http://{self.proxies[name].address}:9090"

    def start_redis(self) -> None:
        self.procs["redis"] = self.redis.spawn(
            [REDIS_SERVER, "--bind", self.redis.address, "--port", "6379", "--save", "", "--appendonly", "no",
             "--protected-mode", "no", "--dir", str(self.tmp)], log_name="redis")
        self.redis.reachable(6379, proc=self.procs["redis"])

    def start_proxy(self, name: str, upstream: str) -> None:
        host = self.proxies[name]
        root = self.tmp / name
        acl = root / "acl" / "web-acl.json" if (root / "acl").exists() else write_host_acl(root / "acl")
        creds = root / "credentials"
        if not creds.exists():
            write_credentials(creds)
        argv = [sys.executable, "-m", "wafproxy", "serve", "--upstream", upstream, "--acl", str(acl),
                "--listen", f"{host.address}:8080", "--admin-listen", f"{host.address}:9090",
                "--redis", f"redis://{self.redis.address}:6379/0", "--hosts", str(len(PROXIES)),
                # A loaded CI machine can take longer than the 50 ms default to answer: that would
                # be "Redis down" (local shares) and blur what the shared count does.
                "--redis-timeout", "1",
                "--credentials", str(creds), "--state-dir", str(root / "state")]
        self.procs[name] = host.spawn(argv, log_name="wafproxy",
                                      env={"PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"})
        host.reachable(8080, timeout=120, proc=self.procs[name])
        host.reachable(9090, timeout=30, proc=self.procs[name])

    def block_addresses(self, on: str, addresses: list[str], *, expect: int,
                        timeout: float = 10.0) -> dict[str, float | None]:
        """UpdateIPSet of 'blocked' through the WAFv2 API of host ``on`` (with its current lock
        token), then the seconds until each host answers the client ``expect`` (None: not in time)."""
        keys = list(KEYS["admin"])
        sets = self.client.call("wafv2", endpoint=self.admin(on), keys=keys, method="list_ip_sets",
                                kwargs={"Scope": "REGIONAL"})["IPSets"]
        (blocked,) = [s for s in sets if s["Name"] == "blocked"]
        update = {"Name": "blocked", "Scope": "REGIONAL", "Id": blocked["Id"],
                  "LockToken": blocked["LockToken"], "Addresses": addresses}
        watched = self.client.call("change_and_watch", endpoint=self.admin(on), keys=keys,
                                   method="update_ip_set", kwargs=update, urls=self.urls("/"), headers={},
                                   status=expect, timeout=timeout)
        return watched["delays"]  # type: ignore[no-any-return]

    @property
    def client_address(self) -> str:
        return self.lab.hosts["client"].address


@contextlib.contextmanager
def running_cluster(tmp: Path) -> Iterator[Cluster]:
    """The whole lab, started; everything stopped and every namespace deleted on exit."""
    os.chmod(tmp, 0o755)
    with Lab(tmp) as lab:
        redis, upstream, client_host = lab.add("redis", 2), lab.add("up", 3), lab.add("client", 4)
        proxies = {name: lab.add(name, 11 + i) for i, name in enumerate(PROXIES)}
        cluster = Cluster(lab, LabClient(client_host), redis, proxies, {}, tmp)
        cluster.start_redis()
        cluster.procs["upstream"] = upstream.spawn(
            [sys.executable, str(CLIENT_SCRIPT), "--upstream", upstream.address, "8000"], log_name="upstream")
        upstream.reachable(8000, proc=cluster.procs["upstream"])
        for name in PROXIES:
            cluster.start_proxy(name, f"http://{upstream.address}:8000")
        yield cluster
