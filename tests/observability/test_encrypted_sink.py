"""The encrypted WAF log: WafLogWriter → EncryptedFileSink → logcrypt, with a real KMS (uvicorn,
in this process). Same records as the plaintext log; every file its own data key; tampering,
truncation and reordering fail; an unreachable KMS drops and counts, never writes plaintext."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.observability import factories as f
from tests.sidecars.kms.conftest import ACCOUNT, Kms, start_kms
from tests.support.servers import free_port
from wafproxy.awsapi.credentials import Principal
from wafproxy.observability.metrics import WafMetrics
from wafproxy.observability.waflog_writer import WafLogWriter
from wafproxy.sidecars.kms.envelope import BotoKeyProvider, LocalKeyProvider
from wafproxy.sidecars.kms.logcrypt import KmsFraming, LogCryptError, TruncatedLogError
from wafproxy.sidecars.kms.logs_cli import decrypt_file

CONTEXT = {"wafproxy:purpose": "waf-log"}


@pytest.fixture(scope="module")
def kms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kms]:
    running, stop = start_kms(tmp_path_factory.mktemp("kms"))
    try:
        yield running
    finally:
        stop()


@pytest.fixture(scope="module")
def provider(kms: Kms) -> LocalKeyProvider:
    return LocalKeyProvider(kms.service, Principal("wafproxy-waf-log", "(in-process)", ACCOUNT))


@pytest.fixture(scope="module")
def key(kms: Kms) -> str:
    alice = kms.client("alice")
    key_id = alice.create_key()["KeyMetadata"]["KeyId"]
    alice.create_alias(AliasName="alias/waf-log", TargetKeyId=key_id)
    return "alias/waf-log"


def _events(n: int) -> list[Any]:
    return [f.event(request=f.request(request_id=f"r{i}", uri_path=f"/secret-path-{i}")) for i in range(n)]


def _write(path: Path, events: list[Any], framing: Any = None, **kw: Any) -> WafLogWriter:
    with WafLogWriter(str(path), framing=framing, web_acl_id="arn:acl", **kw) as w:
        for e in events:
            w.emit(e)
    return w


def _decrypt(provider: Any, path: Path, **kw: Any) -> list[str]:
    return asyncio.run(decrypt_file(provider, path, **kw))


def test_same_records_as_the_plaintext_log_and_no_plaintext(tmp_path: Path, provider: Any, key: str) -> None:
    events = _events(40)
    _write(tmp_path / "plain.log", events)
    w = _write(tmp_path / "enc.log", events, KmsFraming(provider, key, CONTEXT))
    assert w.written == 40 and w.dropped == 0
    enc = (tmp_path / "enc.log").read_text()
    assert "secret-path" not in enc and "203.0.113.7" not in enc
    assert _decrypt(provider, tmp_path / "enc.log") == (tmp_path / "plain.log").read_text().splitlines()
    assert oct((tmp_path / "enc.log").stat().st_mode & 0o777) == "0o600"


def test_rotation_gives_each_file_its_own_data_key(tmp_path: Path, provider: Any, key: str) -> None:
    path = tmp_path / "enc.log"
    events = _events(60)
    _write(path, events, KmsFraming(provider, key, CONTEXT), max_bytes=8 * 1024, backups=20)
    files = sorted(tmp_path.glob("enc.log*"), key=lambda p: -int(p.suffix[1:]) if p.suffix != ".log" else 0)
    assert len(files) >= 3
    wrapped = {json.loads(p.read_text().splitlines()[0])["wrappedKey"] for p in files}
    assert len(wrapped) == len(files)
    records = [json.loads(r) for p in files for r in _decrypt(provider, p)]
    assert [r["httpRequest"]["requestId"] for r in records] == [f"r{i}" for i in range(60)]
    assert all(p.stat().st_size <= 8 * 1024 for p in files)


def test_a_restart_appends_a_segment(tmp_path: Path, provider: Any, key: str) -> None:
    path = tmp_path / "enc.log"
    events = _events(6)
    _write(path, events[:3], KmsFraming(provider, key, CONTEXT))
    _write(path, events[3:], KmsFraming(provider, key, CONTEXT))
    ids = [json.loads(r)["httpRequest"]["requestId"] for r in _decrypt(provider, path)]
    assert ids == [f"r{i}" for i in range(6)]


def _flip(line: str, i: int) -> str:
    return line[:i] + ("B" if line[i] == "A" else "A") + line[i + 1 :]


@pytest.mark.parametrize(
    ("name", "edit", "error"),
    [
        ("flipped", lambda ls: ls[:3] + [_flip(ls[3], 30)] + ls[4:], LogCryptError),
        ("reordered", lambda ls: ls[:2] + [ls[3], ls[2]] + ls[4:], LogCryptError),
        ("removed", lambda ls: ls[:2] + ls[3:], LogCryptError),
        ("truncated tail", lambda ls: ls[:-2], TruncatedLogError),
        ("end moved up", lambda ls: ls[:3] + [ls[-1]], LogCryptError),
        ("cut mid-line", lambda ls: ls[:-2] + [ls[-2][:20]], LogCryptError),
    ],
)
def test_tampering_fails(tmp_path: Path, provider: Any, key: str, name: str, edit: Any, error: type) -> None:
    path = tmp_path / "enc.log"
    _write(path, _events(5), KmsFraming(provider, key, CONTEXT))
    lines = path.read_text().splitlines()
    path.write_text("\n".join(edit(lines)) + "\n")
    with pytest.raises(error):
        _decrypt(provider, path)


def test_allow_open_reads_a_file_without_its_end_record(tmp_path: Path, provider: Any, key: str) -> None:
    path = tmp_path / "enc.log"
    _write(path, _events(4), KmsFraming(provider, key, CONTEXT))
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")
    assert len(_decrypt(provider, path, allow_open=True)) == 4
    with pytest.raises(TruncatedLogError):
        _decrypt(provider, path)


def test_unreachable_kms_drops_and_counts_never_plaintext(tmp_path: Path) -> None:
    client = boto3.client("kms", endpoint_url=f"http://127.0.0.1:{free_port()}", region_name="us-east-1",
                          aws_access_key_id="AKIAX", aws_secret_access_key="x",
                          config=Config(retries={"max_attempts": 1}, connect_timeout=1))
    metrics = WafMetrics()
    path = tmp_path / "enc.log"
    w = _write(path, _events(5), KmsFraming(BotoKeyProvider(client), "alias/waf-log", CONTEXT),
               on_drop=metrics.waf_log_dropped)
    assert w.dropped == 5 and w.written == 0
    assert path.read_bytes() == b""
    text = metrics.render()[0].decode()
    assert 'wafproxy_waf_log_records_dropped_total{reason="kms_unavailable"} 5.0' in text


def test_unknown_key_drops_too(tmp_path: Path, provider: Any) -> None:
    w = _write(tmp_path / "enc.log", _events(3), KmsFraming(provider, "alias/missing", CONTEXT))
    assert w.dropped == 3 and (tmp_path / "enc.log").read_bytes() == b""


def test_header_edits_fail(tmp_path: Path, provider: Any, key: str) -> None:
    """Downgrading to format 1 (no end record required) or editing the context both fail."""
    from wafproxy.awsapi.errors import AwsError

    path = tmp_path / "enc.log"
    _write(path, _events(3), KmsFraming(provider, key, CONTEXT))
    text = path.read_text()
    path.write_text(text.replace('"wafproxyEncryptedLog":2', '"wafproxyEncryptedLog":1', 1))
    with pytest.raises(LogCryptError):
        _decrypt(provider, path)
    path.write_text(text.replace('"wafproxy:purpose":"waf-log"', '"wafproxy:purpose":"other"', 1))
    with pytest.raises(AwsError):
        _decrypt(provider, path)
