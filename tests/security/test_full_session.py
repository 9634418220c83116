"""One full ``wafproxy serve`` session with every secret it can hold — API credentials, the KMS root
key, plaintexts and data keys through the KMS, a client's bearer token and session cookie on the
data path, a wrong secret on the admin API — then every log it wrote (process output at debug
level, the WAF log, the control-plane audit, the KMS audit) is searched for each secret, and every
file of its state (``--state-dir``, ``--kms-data-dir``, the root key) is checked private."""

from __future__ import annotations

import base64
import json
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from tests.control.stack import KEYS, write_acl_dir, write_credentials
from tests.support.servers import free_port, uvicorn_in_thread, wafproxy_process
from tests.test_integration_control import upstream_app


@dataclass
class Session:
    tmp: Path
    output: bytes  # the process's stdout + stderr
    secrets: dict[str, bytes]  # what must appear in no log, by what it is
    private: list[Path]  # trees that hold state: dirs 0700, files 0600


def _client(service: str, url: str, key: str, secret: str) -> object:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    tmp = tmp_path_factory.mktemp("session")
    acl = write_acl_dir(tmp / "acl")
    creds = write_credentials(tmp / "credentials")
    root_key = tmp / "root.key"
    port, admin, kms_port = free_port(), free_port(), free_port()
    found: dict[str, bytes] = {f"secret key of {who}": s.encode() for who, (_, s) in KEYS.items()}
    bearer, cookie, wrong = secrets.token_hex(16), secrets.token_hex(16), "wrong-" + secrets.token_hex(16)
    plaintext = b"plaintext-" + secrets.token_hex(16).encode()
    found |= {"bearer token": bearer.encode(), "session cookie": cookie.encode(),
              "a wrong secret": wrong.encode(), "encrypted plaintext": plaintext}
    with uvicorn_in_thread(upstream_app) as upstream:
        args = ("serve", "--upstream", upstream.url, "--acl", str(acl), "--credentials", str(creds),
                "--state-dir", str(tmp / "state"), "--waf-log", str(tmp / "waf.log"),
                "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                "--kms-listen", f"127.0.0.1:{kms_port}", "--kms-data-dir", str(tmp / "kms"),
                "--kms-root-key-file", str(root_key))
        with wafproxy_process(*args, env={"WAFPROXY_LOG_LEVEL": "debug"},
                              wait_ports=(port, admin, kms_port)) as proc:
            key, secret = KEYS["admin"]
            kms = _client("kms", f"http://127.0.0.1:{kms_port}", key, secret)
            key_id = kms.create_key()["KeyMetadata"]["KeyId"]  # type: ignore[attr-defined]
            blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]  # type: ignore[attr-defined]
            assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext  # type: ignore[attr-defined]
            data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")["Plaintext"]  # type: ignore[attr-defined]
            found["generated data key"] = data_key
            found |= _kms_secrets(kms)
            waf = _client("wafv2", f"http://127.0.0.1:{admin}", key, secret)
            waf.create_api_key(Scope="REGIONAL", TokenDomains=["example.com"])  # type: ignore[attr-defined]
            (summary,) = [s for s in waf.list_ip_sets(Scope="REGIONAL")["IPSets"]  # type: ignore[attr-defined]
                          if s["Name"] == "blocked"]
            waf.update_ip_set(Name="blocked", Scope="REGIONAL", Id=summary["Id"],  # type: ignore[attr-defined]
                              Addresses=["198.51.100.7/32"], LockToken=summary["LockToken"])
            with pytest.raises(ClientError):  # a failed authentication is logged: not its secret
                _client("wafv2", f"http://127.0.0.1:{admin}", key, wrong).list_ip_sets(  # type: ignore[attr-defined]
                    Scope="REGIONAL")
            with pytest.raises(ClientError):
                _client("kms", f"http://127.0.0.1:{kms_port}", key, wrong).list_keys()  # type: ignore[attr-defined]
            headers = {"Authorization": f"Bearer {bearer}", "Cookie": f"session={cookie}"}
            assert httpx.get(f"http://127.0.0.1:{port}/page", headers=headers).status_code == 200
            blocked = httpx.get(f"http://127.0.0.1:{port}/admin", headers=headers)  # the ACL blocks /admin
            assert blocked.status_code == 403
            proc.terminate()
            output = proc.communicate(timeout=60)[0]
    found["KMS root key"] = root_key.read_text().strip().encode()
    found["API key secret"] = (tmp / "state" / ".wafproxy" / "api-key-secret").read_bytes()
    yield Session(tmp, output, found, [tmp / "state", tmp / "kms", root_key])


def _kms_secrets(kms: Any) -> dict[str, bytes]:
    """Key import, key agreement: what AWS returns once and must never reach a log."""
    external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = kms.get_parameters_for_import(KeyId=external, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    material = secrets.token_bytes(32)
    wrapping = serialization.load_der_public_key(params["PublicKey"])
    oaep = padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)
    wrapped = wrapping.encrypt(material, oaep)  # type: ignore[union-attr]
    kms.import_key_material(KeyId=external, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    agreeing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
    peer = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    shared = kms.derive_shared_secret(KeyId=agreeing, KeyAgreementAlgorithm="ECDH", PublicKey=peer)
    return {"import token": params["ImportToken"], "imported key material": material,
            "derived shared secret": shared["SharedSecret"]}


def _forms(value: bytes) -> list[bytes]:
    """The ways a secret could be written: raw, hex, base64."""
    forms = [value, base64.b64encode(value)]
    if len(value) < 64:
        forms.append(value.hex().encode())
    return [f for f in forms if len(f) >= 8]


def _logs(session: Session) -> dict[str, bytes]:
    logs = {"process output": session.output}
    for path in sorted(session.tmp.rglob("*")):
        is_log = path.suffix in (".log", ".jsonl") or ".log." in path.name or "audit" in path.name
        if path.is_file() and is_log:
            logs[str(path.relative_to(session.tmp))] = path.read_bytes()
    return logs


def test_the_session_wrote_the_logs_searched(session: Session) -> None:
    logs = _logs(session)
    assert {"waf.log", "state/.wafproxy/audit.log", "kms/audit.jsonl"} <= set(logs)
    assert b"UpdateIPSet" in logs["state/.wafproxy/audit.log"]
    assert b"GenerateDataKey" in logs["kms/audit.jsonl"]
    assert len(logs["waf.log"].splitlines()) >= 2 and b'"BLOCK"' in logs["waf.log"]
    assert b"reloaded (UpdateIPSet)" in session.output


def test_no_log_holds_a_secret(session: Session) -> None:
    leaks = [
        f"{what} in {where}"
        for where, text in _logs(session).items()
        for what, value in session.secrets.items()
        if any(form in text for form in _forms(value))
    ]
    assert leaks == []


def test_state_is_private(session: Session) -> None:
    loose = []
    for root in session.private:
        for path in [root, *root.rglob("*")] if root.is_dir() else [root]:
            mode = stat.S_IMODE(path.stat().st_mode)
            want = 0o700 if path.is_dir() else 0o600
            if mode != want:
                loose.append(f"{path.relative_to(session.tmp)} {oct(mode)} (want {oct(want)})")
    assert loose == []


def test_waf_log_is_private(session: Session) -> None:
    assert stat.S_IMODE((session.tmp / "waf.log").stat().st_mode) == 0o600
    records = [json.loads(line) for line in (session.tmp / "waf.log").read_text().splitlines()]
    assert any(r["action"] == "BLOCK" for r in records)
