"""Envelope encryption for wafproxy's own data, in-process and over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.sidecars.kms.conftest import ACCOUNT, Kms
from wafproxy.awsapi.credentials import Principal
from wafproxy.awsapi.errors import AwsError
from wafproxy.sidecars.kms.envelope import (
    BotoKeyProvider,
    EnvelopeError,
    LocalKeyProvider,
    envelope_decrypt,
    envelope_encrypt,
)

WAFPROXY = Principal("wafproxy", "(in-process)", ACCOUNT)


async def test_local_provider_round_trip(kms: Kms, alice: Any) -> None:
    key = alice.create_key()["KeyMetadata"]["Arn"]
    provider = LocalKeyProvider(kms.service, WAFPROXY)
    env = await envelope_encrypt(provider, key, b"log line with a client ip", {"file": "waf.log"})
    assert b"client ip" not in env
    assert await envelope_decrypt(provider, env, {"file": "waf.log"}) == b"log line with a client ip"
    with pytest.raises(AwsError) as err:  # the wrapped data key is bound to the context by the KMS
        await envelope_decrypt(provider, env, {"file": "other.log"})
    assert err.value.code == "InvalidCiphertextException"
    tampered = bytearray(env)
    tampered[-1] ^= 1
    with pytest.raises(EnvelopeError):
        await envelope_decrypt(provider, bytes(tampered), {"file": "waf.log"})
    audit = [json.loads(x) for x in (kms.data_dir / "audit.jsonl").read_text().splitlines()]
    mine = [r for r in audit if r["userIdentity"]["arn"] == WAFPROXY.arn]
    assert {r["eventName"] for r in mine} >= {"GenerateDataKey", "Decrypt"}


async def test_local_provider_obeys_key_state(kms: Kms, alice: Any) -> None:
    key = alice.create_key()["KeyMetadata"]["Arn"]
    provider = LocalKeyProvider(kms.service, WAFPROXY)
    env = await envelope_encrypt(provider, key, b"x", {})
    alice.disable_key(KeyId=key)
    with pytest.raises(AwsError) as err:
        await envelope_decrypt(provider, env, {})
    assert err.value.code == "DisabledException"


async def test_boto_provider_interoperates(kms: Kms, alice: Any) -> None:
    key = alice.create_key()["KeyMetadata"]["Arn"]
    over_http = BotoKeyProvider(kms.client("alice"))
    env = await envelope_encrypt(over_http, key, b"sampled request", {"kind": "sample"})
    local = LocalKeyProvider(kms.service, WAFPROXY)
    assert await envelope_decrypt(local, env, {"kind": "sample"}) == b"sampled request"


async def test_in_process_callers_on_threads_are_safe(kms: Kms, alice: Any) -> None:
    """Log-writer threads use the KMS in-process while HTTP clients change the same key."""
    import asyncio
    import threading

    key = alice.create_key()["KeyMetadata"]["Arn"]
    provider = LocalKeyProvider(kms.service, WAFPROXY)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for i in range(30):
                env = asyncio.run(envelope_encrypt(provider, key, b"%d" % i, {"t": "x"}))
                assert asyncio.run(envelope_decrypt(provider, env, {"t": "x"})) == b"%d" % i
        except BaseException as exc:  # noqa: BLE001 (collected and re-raised in the test thread)
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(10):
        alice.tag_resource(KeyId=key, Tags=[{"TagKey": f"k{i}", "TagValue": "v"}])
        alice.rotate_key_on_demand(KeyId=key)
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert kms.service.core.records[key.split("/")[-1]].current_version == 11
    assert len(alice.list_resource_tags(KeyId=key)["Tags"]) == 10
