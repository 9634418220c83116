"""The control plane under ``wafproxy serve`` (a real process): boto3 ``wafv2`` against the admin
listener changes what the data listener blocks; SIGHUP after editing the ACL file swaps it."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.control.stack import KEYS, POLICIES, write_acl_dir, write_credentials
from tests.support.servers import RunningServer, free_port, uvicorn_in_thread, wafproxy_process

ATTACKER = "127.0.0.2"  # loopback has all of 127/8: a second client address, no mocks


async def upstream_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"upstream ok"})


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningServer]:
    with uvicorn_in_thread(upstream_app) as server:
        yield server


# Deadlines for 2 shared cores: each is a bound on waiting for a condition, never a measured time.
DEADLINE = 60.0


def get(url: str, source: str = "127.0.0.1") -> int:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=DEADLINE) as client:
        return client.get(url).status_code


def wafv2(admin: str, who: str = "admin") -> Any:
    key, secret = KEYS[who]
    return boto3.client("wafv2", endpoint_url=admin, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))


def test_update_ip_set_blocks_and_sighup_swaps(tmp_path: Path, upstream: RunningServer) -> None:
    acl = write_acl_dir(tmp_path / "acl")
    creds = write_credentials(tmp_path / "credentials")
    policies = tmp_path / "policies.json"
    policies.write_text(json.dumps(POLICIES))
    port, admin_port = free_port(), free_port()
    data, admin = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin_port}"
    args = ("serve", "--upstream", upstream.url, "--acl", str(acl), "--credentials", str(creds),
            "--policy-file", str(policies), "--listen", f"127.0.0.1:{port}",
            "--admin-listen", f"127.0.0.1:{admin_port}")
    with wafproxy_process(*args, wait_ports=(port, admin_port)) as proc:
        assert get(f"{data}/page", ATTACKER) == 200

        client = wafv2(admin)
        (summary,) = [s for s in client.list_ip_sets(Scope="REGIONAL")["IPSets"] if s["Name"] == "blocked"]
        got = client.get_ip_set(Name="blocked", Scope="REGIONAL", Id=summary["Id"])
        client.update_ip_set(Name="blocked", Scope="REGIONAL", Id=summary["Id"],
                             Addresses=[*got["IPSet"]["Addresses"], f"{ATTACKER}/32"],
                             LockToken=got["LockToken"])
        # The API answers after the new ACL is swapped in: the very next request is blocked.
        assert get(f"{data}/page", ATTACKER) == 403
        assert get(f"{data}/page") == 200  # others are not
        with pytest.raises(ClientError) as denied:  # the policy file is enforced
            wafv2(admin, "reader").update_ip_set(Name="blocked", Scope="REGIONAL", Id=summary["Id"],
                                                 Addresses=[], LockToken=got["LockToken"])
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        # Persisted in the ACL's own files (no --state-dir).
        assert f"{ATTACKER}/32" in (acl.parent / "ipsets" / "blocked.json").read_text()

        # Edit the ACL file (drop the IP-set rule) and SIGHUP: the edited ACL serves.
        doc = json.loads(acl.read_text())
        doc["Rules"] = [r for r in doc["Rules"] if r["Name"] != "BlockedIPs"]
        acl.write_text(json.dumps(doc))
        os.kill(proc.pid, signal.SIGHUP)
        audit = acl.parent / ".wafproxy" / "audit.log"
        deadline = time.monotonic() + DEADLINE
        while get(f"{data}/page", ATTACKER) != 200:  # waiting for the reload, not timing it
            assert time.monotonic() < deadline
            time.sleep(0.05)
        while "sighup" not in (audit.read_text() if audit.exists() else ""):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert httpx.get(f"{admin}/readyz").json()["acl"] == "test-acl"
        metrics = httpx.get(f"{admin}/metrics").text
        assert 'wafproxy_config_reloads_total{result="success"}' in metrics
        assert 'wafproxy_ip_set_entries{ip_set="blocked"}' in metrics


def test_admin_without_credentials_has_no_api(tmp_path: Path, upstream: RunningServer) -> None:
    acl = write_acl_dir(tmp_path / "acl")
    port, admin_port = free_port(), free_port()
    args = ("serve", "--upstream", upstream.url, "--acl", str(acl), "--listen", f"127.0.0.1:{port}",
            "--admin-listen", f"127.0.0.1:{admin_port}")
    with wafproxy_process(*args, wait_ports=(port, admin_port)):
        response = httpx.post(f"http://127.0.0.1:{admin_port}/", content=b"{}",
                              headers={"x-amz-target": "AWSWAF_20190729.ListIPSets"})
        assert response.status_code in (404, 405)
        assert get(f"http://127.0.0.1:{port}/page") == 200


def test_workers_follow_api_changes(tmp_path: Path, upstream: RunningServer) -> None:
    """--workers 2: the admin process owns the API and writes; each worker's follower reloader
    sees the change in the files and swaps it in."""
    acl = write_acl_dir(tmp_path / "acl")
    creds = write_credentials(tmp_path / "credentials")
    port, admin_port = free_port(), free_port()
    data, admin = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin_port}"
    args = ("serve", "--upstream", upstream.url, "--acl", str(acl), "--credentials", str(creds),
            "--state-dir", str(tmp_path / "state"), "--workers", "2", "--listen", f"127.0.0.1:{port}",
            "--admin-listen", f"127.0.0.1:{admin_port}")
    with wafproxy_process(*args, wait_ports=(port, admin_port)):
        assert get(f"{data}/page", ATTACKER) == 200
        client = wafv2(admin)
        (summary,) = [s for s in client.list_ip_sets(Scope="REGIONAL")["IPSets"] if s["Name"] == "blocked"]
        got = client.get_ip_set(Name="blocked", Scope="REGIONAL", Id=summary["Id"])
        client.update_ip_set(Name="blocked", Scope="REGIONAL", Id=summary["Id"],
                             Addresses=[f"{ATTACKER}/32"], LockToken=got["LockToken"])
        deadline = time.monotonic() + DEADLINE
        streak = 0
        while streak < 20:  # 20 blocked in a row: both workers have it (new connection each time)
            assert time.monotonic() < deadline
            streak = streak + 1 if get(f"{data}/page", ATTACKER) == 403 else 0
        assert get(f"{data}/page") == 200
        assert (tmp_path / "state").is_dir()
        # --state-dir: the shipped files are left as they were.
        assert ATTACKER not in (acl.parent / "ipsets" / "blocked.json").read_text()


def test_without_control_plane_only_referenced_files_are_read(
    tmp_path: Path, upstream: RunningServer
) -> None:
    """No --credentials / --state-dir: the engine's lazy resolver serves the ACL, so unrelated
    documents beside it (here: one IP set defined twice) cannot stop startup, as before."""
    from tests.test_serve import acl_document

    acl = tmp_path / "acl.json"
    acl.write_text(json.dumps(acl_document()))
    dup = {"Name": "dup", "IPAddressVersion": "IPV4", "Addresses": []}
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps(dup))
    port, admin_port = free_port(), free_port()
    args = ("serve", "--upstream", upstream.url, "--acl", str(acl), "--listen", f"127.0.0.1:{port}",
            "--admin-listen", f"127.0.0.1:{admin_port}")
    with wafproxy_process(*args, wait_ports=(port, admin_port)):
        assert get(f"http://127.0.0.1:{port}/page") == 200
        assert get(f"http://127.0.0.1:{port}/?q=%3Cscript%3E") == 403
