"""Hot reload from the files: the file watch, a broken file keeps the old ACL, SIGHUP, --state-dir."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.control.stack import running_stack, web_acl_doc, write_acl_dir
from tests.support.wait import eventually
from wafproxy.control.reloader import Reloader
from wafproxy.control.store import STATE_ACL_NAME


def test_file_watch_reloads_and_a_broken_file_keeps_the_old_acl(tmp_path: Path) -> None:
    with running_stack(tmp_path) as s:
        xff = {"X-Forwarded-For": "203.0.113.60"}
        assert httpx.get(s.data_url + "/", headers=xff).status_code == 200
        ipset = s.acl_path.parent / "ipsets" / "blocked.json"
        ipset.write_text(
            json.dumps(
                {
                    "Name": "blocked",
                    "IPAddressVersion": "IPV4",
                    "Addresses": ["192.0.2.0/24", "203.0.113.60/32"],
                }
            )
        )
        assert eventually(lambda: httpx.get(s.data_url + "/", headers=xff).status_code == 403)

        before = s.reloader.failures
        s.acl_path.write_text('{"Name": "test-acl", "DefaultAction": ')  # a half-written edit
        assert eventually(lambda: s.reloader.failures > before)
        assert s.reloader.last_error is not None and "web-acl.json" in s.reloader.last_error
        assert httpx.get(s.data_url + "/", headers=xff).status_code == 403  # the old ACL still serves
        assert httpx.get(s.data_url + "/admin").status_code == 403
        metrics = httpx.get(s.admin_url + "/metrics").text
        assert 'wafproxy_config_reloads_total{result="failure"}' in metrics

        fixed = web_acl_doc()
        fixed["Rules"] = [r for r in fixed["Rules"] if r["Name"] != "Admin"]
        s.acl_path.write_text(json.dumps(fixed))
        assert eventually(lambda: httpx.get(s.data_url + "/admin").status_code == 200)
        assert s.reloader.last_error is None
        audit = [
            json.loads(x) for x in (s.acl_path.parent / ".wafproxy" / "audit.log").read_text().splitlines()
        ]
        assert [(a["who"], a["operation"], a["outcome"]) for a in audit] == [
            ("file", "Reload", "ok"),
            ("file", "Reload", "ReloadFailed"),
            ("file", "Reload", "ok"),
        ]
        # The API sees what the file says.
        names = [
            r["Name"]
            for r in s.client().get_web_acl(
                Name="test-acl", Scope="REGIONAL", Id=s.reloader.store.web_acl.id
            )["WebACL"]["Rules"]
        ]
        assert names == ["BlockedIPs", "BadWords", "RateLimit"]


def test_state_dir_is_seeded_once_and_survives_restart(tmp_path: Path) -> None:
    acl = write_acl_dir(tmp_path / "acl")
    state = tmp_path / "state"
    with running_stack(tmp_path, acl_path=acl, state_dir=state) as s:
        c = s.client()
        ip = {i["Name"]: i for i in c.list_ip_sets(Scope="REGIONAL")["IPSets"]}["blocked"]
        c.update_ip_set(
            Name="blocked",
            Scope="REGIONAL",
            Id=ip["Id"],
            LockToken=ip["LockToken"],
            Addresses=["10.9.9.9/32"],
        )
    assert json.loads((acl.parent / "ipsets" / "blocked.json").read_text())["Addresses"] == ["192.0.2.0/24"]
    assert (state / STATE_ACL_NAME).exists()
    again = Reloader(acl, state_dir=state)
    assert again.store.get("ipset", "blocked").document["Addresses"] == ["10.9.9.9/32"]
    assert again.current.ip_set_sizes()  # compiled from the state dir


_SIGHUP_SCRIPT = r"""
import asyncio, sys
from wafproxy.control.reloader import Reloader

async def main():
    r = Reloader(sys.argv[1], poll_interval=3600)
    assert r.install_sighup()
    print("ready", [x.name for x in r.current.rules], flush=True)
    while r.reloads == 0 and r.failures == 0:
        await asyncio.sleep(0.02)
    print("reloaded", [x.name for x in r.current.rules], r.failures, flush=True)

asyncio.run(main())
"""


def test_sighup_rereads_the_files(tmp_path: Path) -> None:
    acl = write_acl_dir(tmp_path / "acl")
    proc = subprocess.Popen(
        [sys.executable, "-c", _SIGHUP_SCRIPT, str(acl)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("ready"), proc.stderr.read() if proc.stderr else ""
        doc = web_acl_doc()
        doc["Rules"] = doc["Rules"][:1]
        acl.write_text(json.dumps(doc))
        os.kill(proc.pid, signal.SIGHUP)
        out, _ = proc.communicate(timeout=30)
        assert out.strip() == "reloaded ['BlockedIPs'] 0"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def _lifespan_ok(scope: dict[str, object], receive: object, send: object) -> None:
    """An ASGI app that answers lifespan and 200 (what a worker's data path wraps)."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()  # type: ignore[operator]
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})  # type: ignore[operator]
            else:
                await send({"type": "lifespan.shutdown.complete"})  # type: ignore[operator]
                return
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"ok"})  # type: ignore[operator]


def test_a_worker_follows_the_control_planes_writes_through_the_files(tmp_path: Path) -> None:
    from tests.support.servers import uvicorn_in_thread
    from wafproxy.asgi.middleware import WafMiddleware
    from wafproxy.control.plane import with_reloader

    with running_stack(tmp_path) as s:
        # A second process's view (--workers N without Redis): a read-only follower of the same files.
        follower = Reloader(s.acl_path, persist=False, poll_interval=0.1)
        worker_mw = WafMiddleware(_lifespan_ok, acl=follower.current, trusted_proxies=["127.0.0.1/32"])
        follower.add_swap(worker_mw.swap_acl)
        with uvicorn_in_thread(with_reloader(follower, worker_mw, sighup=False), lifespan="on") as worker:
            xff = {"X-Forwarded-For": "203.0.113.80"}
            assert httpx.get(worker.url + "/", headers=xff).status_code == 200
            c = s.client()
            ip = {i["Name"]: i for i in c.list_ip_sets(Scope="REGIONAL")["IPSets"]}["blocked"]
            c.update_ip_set(
                Name="blocked",
                Scope="REGIONAL",
                Id=ip["Id"],
                LockToken=ip["LockToken"],
                Addresses=["203.0.113.80/32"],
            )
            assert eventually(lambda: httpx.get(worker.url + "/", headers=xff).status_code == 403)
            assert (
                follower.store.get("ipset", "blocked").lock_token
                == s.reloader.store.get("ipset", "blocked").lock_token
            )
