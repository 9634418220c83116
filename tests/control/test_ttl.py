"""IP-set entries with a TTL (our extension): through the API and through the ``IPSetWriter`` port."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from tests.control.stack import running_stack, signed_call, write_acl_dir, write_credentials
from tests.support.wait import eventually
from wafproxy.asgi.middleware import WafMiddleware
from wafproxy.control.ops_extra import ControlPlaneIPSetWriter
from wafproxy.control.plane import ControlPlane
from wafproxy.control.reloader import Reloader
from wafproxy.ports import IPSetWriter


def test_temporary_entry_blocks_then_expires(tmp_path: Path) -> None:
    with running_stack(tmp_path) as s:
        c = s.client()
        ip_set = {i["Name"]: i for i in c.list_ip_sets(Scope="REGIONAL")["IPSets"]}["blocked"]
        ref = {"Name": "blocked", "Scope": "REGIONAL", "Id": ip_set["Id"]}
        xff = {"X-Forwarded-For": "203.0.113.50"}
        assert httpx.get(s.data_url + "/", headers=xff).status_code == 200
        status, body = signed_call(
            s.admin_url, "AddIPSetAddresses", {**ref, "Addresses": ["203.0.113.50"], "TtlSeconds": 2}
        )
        assert status == 200, body
        assert httpx.get(s.data_url + "/", headers=xff).status_code == 403
        status, listed = signed_call(s.admin_url, "ListIPSetTemporaryAddresses", ref)
        assert [e["Address"] for e in listed["Entries"]] == ["203.0.113.50/32"]
        # The permanent addresses (and the lock token) are untouched by a temporary entry.
        got = c.get_ip_set(**ref)
        assert got["IPSet"]["Addresses"] == ["192.0.2.0/24"] and got["LockToken"] == ip_set["LockToken"]
        assert eventually(lambda: httpx.get(s.data_url + "/", headers=xff).status_code == 200)
        ttl_file = json.loads((s.acl_path.parent / ".wafproxy" / "ip-ttl.json").read_text())
        assert ttl_file == {}

        status, body = signed_call(s.admin_url, "AddIPSetAddresses", {**ref, "Addresses": ["2001:db8::1"]})
        assert status == 400 and body["__type"] == "WAFInvalidParameterException"
        assert body["Field"] == "IP_ADDRESS" and body["Parameter"] == "Addresses[0]"
        status, body = signed_call(
            s.admin_url, "AddIPSetAddresses", {**ref, "Addresses": ["198.51.100.9"]}, who="reader"
        )
        assert status == 400 and body["__type"] == "AccessDeniedException"

        # Without TtlSeconds the address joins Addresses for good; Remove takes it out again.
        status, body = signed_call(s.admin_url, "AddIPSetAddresses", {**ref, "Addresses": ["198.51.100.9"]})
        assert status == 200 and body["NextLockToken"] != ip_set["LockToken"]
        assert httpx.get(s.data_url + "/", headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 403
        assert "198.51.100.9/32" in c.get_ip_set(**ref)["IPSet"]["Addresses"]
        status, body = signed_call(
            s.admin_url, "RemoveIPSetAddresses", {**ref, "Addresses": ["198.51.100.9/32"]}
        )
        assert status == 200
        assert httpx.get(s.data_url + "/", headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 200


def test_ip_set_writer_port_in_process(tmp_path: Path) -> None:
    acl = write_acl_dir(tmp_path / "acl")
    reloader = Reloader(acl)

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"ok"})  # type: ignore[operator]

    async def scenario() -> list[int]:
        mw = WafMiddleware(app, acl=reloader.current, trusted_proxies=["127.0.0.1/32"])
        reloader.add_swap(mw.swap_acl)
        plane = ControlPlane.from_files(reloader, credentials=write_credentials(tmp_path / "creds"))
        writer: IPSetWriter = ControlPlaneIPSetWriter(plane, who="guardduty-sidecar")
        transport = httpx.ASGITransport(app=mw, client=("127.0.0.1", 1234))
        codes = []
        async with httpx.AsyncClient(transport=transport, base_url="http://waf") as client:

            async def status() -> int:
                return (await client.get("/", headers={"X-Forwarded-For": "203.0.113.99"})).status_code

            codes.append(await status())
            await writer.add_addresses("blocked", ["203.0.113.99"], 600)
            codes.append(await status())
            await writer.remove_addresses("blocked", ["203.0.113.99"])
            codes.append(await status())
        return codes

    assert asyncio.run(scenario()) == [200, 403, 200]
    audit = (acl.parent / ".wafproxy" / "audit.log").read_text()
    assert '"who":"guardduty-sidecar","operation":"AddIPSetAddresses"' in audit
    assert "203.0.113.99" not in audit  # counts, never the remediated addresses
