"""``wafproxy demo`` as a real process: the banner's URLs do what it says."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import botocore.session
import httpx

from tests.support.servers import free_port, wafproxy_process


def test_demo_serves_the_shop_and_blocks_the_printed_attacks() -> None:
    port, admin, kms_port = free_port(), free_port(), free_port()
    with wafproxy_process(
        "demo",
        "--listen",
        f"127.0.0.1:{port}",
        "--admin-listen",
        f"127.0.0.1:{admin}",
        "--kms-listen",
        f"127.0.0.1:{kms_port}",
        "--log-level",
        "warning",
        wait_ports=(port, admin),
    ) as proc:
        assert proc.stdout is not None
        banner = []
        while not (line := proc.stdout.readline().decode()).lstrip().startswith("KMS"):
            assert line, "demo exited before printing its banner"
            banner.append(line)
        kms_line = line
        benign = [b for b in banner if b.lstrip().startswith("a benign request")]
        assert httpx.get(re.findall(r"'(http[^']+)'", benign[0])[0]).status_code == 200
        attack_lines = [b for b in banner if b.lstrip().startswith("an attack")]
        assert attack_lines, banner
        for line in attack_lines:
            url = re.findall(r"'(http[^']+)'", line)[0]
            assert httpx.get(url).status_code == 403, url
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base) as client:
            created = client.post("/api/items", json={"name": "mug", "price": 4})
            assert created.status_code == 201
            item = f"/api/items/{created.json()['id']}"
            assert client.patch(item, json={"price": 5}).json()["price"] == 5
            assert client.put(item, json={"name": "cup", "price": 6}).json()["name"] == "cup"
            assert client.delete(item).status_code == 204
            assert client.get(item).status_code == 404
            assert client.post("/login", data={"username": "demo", "password": "demo"}).json()["ok"] is True
            assert client.get("/static/style.css").headers["content-type"].startswith("text/css")
        assert httpx.get(f"http://127.0.0.1:{admin}/readyz").status_code == 200
        # The in-process KMS answers boto3 with the credentials file the banner names.
        creds_file = re.search(r"AWS_SHARED_CREDENTIALS_FILE=(\S+)", kms_line)
        endpoint = re.search(r"--endpoint-url (\S+)", kms_line)
        assert creds_file and endpoint, kms_line
        assert endpoint.group(1) == f"http://127.0.0.1:{kms_port}", kms_line  # --kms-listen is honoured
        kms = boto3.Session(
            botocore_session=_session_with(creds_file.group(1)), region_name="us-east-1"
        ).client("kms", endpoint_url=endpoint.group(1))
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"demo secret")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"demo secret"
        assert "AWS_PROFILE=demo" in kms_line
        # The same generated principal calls the WAFv2 API on the admin port, as the banner says.
        (waf_line,) = [b for b in banner if b.lstrip().startswith("WAFv2 API")]
        assert "AWS_PROFILE=demo" in waf_line and "list-web-acls --scope REGIONAL" in waf_line
        waf_endpoint = re.search(r"--endpoint-url (\S+)", waf_line)
        assert waf_endpoint and creds_file.group(1) in waf_line
        wafv2 = boto3.Session(
            botocore_session=_session_with(creds_file.group(1)), region_name="us-east-1"
        ).client("wafv2", endpoint_url=waf_endpoint.group(1))
        names = [acl["Name"] for acl in wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"]]
        assert len(names) == 1, names
        assert oct(Path(creds_file.group(1)).stat().st_mode & 0o777) == "0o600"


def _session_with(credentials_file: str) -> botocore.session.Session:
    session = botocore.session.Session(profile="demo")
    session.set_config_variable("credentials_file", credentials_file)
    return session


def test_demo_keeps_api_changes_in_the_state_dir_it_is_given(tmp_path: Path) -> None:
    """``--state-dir`` means for ``demo`` what it means for ``serve``: API changes land there and
    the next demo over the same directory serves them (the KMS and credentials stay temporary)."""
    from tests.sidecars.assessor.demo import running_demo

    state = tmp_path / "state"
    with running_demo("--state-dir", str(state)) as demo:
        waf = boto3.client("wafv2", endpoint_url=demo.admin, region_name="us-east-1", **demo.keys())
        waf.create_ip_set(Name="kept", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=["192.0.2.0/24"])
    assert any(state.rglob("*kept*")), sorted(p.name for p in state.rglob("*"))
    with running_demo("--state-dir", str(state)) as demo:
        waf = boto3.client("wafv2", endpoint_url=demo.admin, region_name="us-east-1", **demo.keys())
        assert "kept" in [s["Name"] for s in waf.list_ip_sets(Scope="REGIONAL")["IPSets"]]
