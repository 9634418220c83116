"""Changes reach every host through Redis pub/sub: two stacks with their own files, one redis-server."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.control.stack import running_stack, write_acl_dir
from tests.support.redis import RedisServer
from tests.support.wait import eventually


def test_change_on_one_host_is_applied_on_the_other(tmp_path: Path, redis_server: RedisServer) -> None:
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    acl_a = write_acl_dir(a_dir / "acl")
    acl_b = write_acl_dir(b_dir / "acl")
    # poll_interval: a long one, so only pub/sub can carry the change within the test.
    with (
        running_stack(a_dir, acl_path=acl_a, redis_url=redis_server.url, poll_interval=3600) as a,
        running_stack(b_dir, acl_path=acl_b, redis_url=redis_server.url, poll_interval=3600) as b,
    ):
        xff = {"X-Forwarded-For": "203.0.113.70"}
        assert httpx.get(b.data_url + "/", headers=xff).status_code == 200
        c = a.client()
        ip = {i["Name"]: i for i in c.list_ip_sets(Scope="REGIONAL")["IPSets"]}["blocked"]
        token = c.update_ip_set(
            Name="blocked",
            Scope="REGIONAL",
            Id=ip["Id"],
            LockToken=ip["LockToken"],
            Addresses=["203.0.113.70/32"],
        )["NextLockToken"]
        assert eventually(lambda: httpx.get(b.data_url + "/", headers=xff).status_code == 403)
        # Host B persisted it and serves the same lock token, so a client may switch hosts.
        on_b = json.loads((acl_b.parent / "ipsets" / "blocked.json").read_text())
        assert on_b["LockToken"] == token and on_b["IPSet"]["Addresses"] == ["203.0.113.70/32"]
        assert b.client().get_ip_set(Name="blocked", Scope="REGIONAL", Id=ip["Id"])["LockToken"] == token

        made = b.client().create_ip_set(
            Name="from-b", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[]
        )["Summary"]
        assert eventually(lambda: a.reloader.store.get("ipset", "from-b") is not None)
        assert a.reloader.store.get("ipset", "from-b").lock_token == made["LockToken"]
        assert (acl_a.parent / "ipsets" / "from-b.json").exists()

        # The logging configuration is replicated and applied (WafLogWriter.reconfigure) on every host.
        applied_on_b: list[object] = []
        b.plane.on_logging = applied_on_b.append
        arn = c.list_web_acls(Scope="REGIONAL")["WebACLs"][0]["ARN"]
        config = {
            "ResourceArn": arn,
            "LogDestinationConfigs": ["arn:aws:logs:us-east-1:123456789012:log-group:x"],
            "RedactedFields": [{"SingleHeader": {"Name": "x-api-key"}}],
        }
        c.put_logging_configuration(LoggingConfiguration=config)
        assert eventually(lambda: len(applied_on_b) == 1)
        got = b.client().get_logging_configuration(ResourceArn=arn)["LoggingConfiguration"]
        assert got["RedactedFields"] == config["RedactedFields"]
