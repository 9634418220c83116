"""Findings sealed at rest under a data key from a real in-process KMS (``--hub-kms-key``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.control.stack import write_credentials
from tests.sidecars.hub.factory import finding
from tests.sidecars.kms.conftest import start_kms
from wafproxy.awsapi.credentials import CredentialStore, Principal
from wafproxy.sidecars.hub.service import HubService
from wafproxy.sidecars.kms.envelope import LocalKeyProvider


def test_findings_are_sealed_under_the_kms_key_and_need_it(tmp_path: Path) -> None:
    kms, stop = start_kms(tmp_path / "kms")
    try:
        key = kms.client("alice").create_key()["KeyMetadata"]["Arn"]
        provider = LocalKeyProvider(kms.service, Principal("wafproxy-hub", "(in-process)", "123456789012"))
        creds = CredentialStore.load(write_credentials(tmp_path / "credentials"))
        db = tmp_path / "hub.sqlite3"

        def open_hub(key_id: str | None) -> HubService:
            return HubService.open(db_path=db, credentials=creds, account="123456789012", region="us-east-1",
                                   key_provider=provider, kms_key_id=key_id)

        service = open_hub(key)
        asyncio.run(service.start())
        service.hub.import_findings([finding(1, Description="plaintext-that-must-not-hit-disk")])
        # The finding's history (old and new values) is sealed the same way.
        service.hub.import_findings([finding(1, Description="history-must-not-hit-disk",
                                             UpdatedAt="2026-12-01T11:00:00Z")])
        asyncio.run(service.stop())
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("hub.sqlite3*"))
        assert b"plaintext-that-must-not-hit-disk" not in raw and b"finding 1" not in raw
        assert b"history-must-not-hit-disk" not in raw
        # The KMS audit shows the hub's data key requests (one GenerateDataKey, then Decrypt per start).
        audit = (kms.data_dir / "audit.jsonl").read_text()
        assert '"eventName":"GenerateDataKey"' in audit and "wafproxy-hub" in audit

        again = open_hub(key)
        asyncio.run(again.start())
        assert again.hub.store.get_many(["test/finding/1"])["test/finding/1"]["Title"] == "finding 1"
        entry = again.hub.store.history("test/finding/1", None, None, 0, 10)[0]
        assert {"UpdatedField": "Description", "OldValue": "plaintext-that-must-not-hit-disk",
                "NewValue": "history-must-not-hit-disk"} in entry.updates
        asyncio.run(again.stop())
        assert '"eventName":"Decrypt"' in (kms.data_dir / "audit.jsonl").read_text()

        kms.client("alice").disable_key(KeyId=key)
        locked = open_hub(key)
        with pytest.raises(Exception, match="Disabled"):
            asyncio.run(locked.start())  # a disabled key: the hub does not start, nothing is read in clear
        locked.hub.store.close()
    finally:
        stop()
