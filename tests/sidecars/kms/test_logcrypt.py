"""Encrypted log files over our KMS: round trip, and every kind of tampering is caught."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.sidecars.kms.conftest import ACCOUNT, Kms
from wafproxy.awsapi.credentials import Principal
from wafproxy.awsapi.errors import AwsError
from wafproxy.sidecars.kms.envelope import LocalKeyProvider
from wafproxy.sidecars.kms.logcrypt import EncryptedLineWriter, LogCryptError, decrypt_lines


def _flip(text: str, i: int) -> str:
    return text[:i] + ("B" if text[i] == "A" else "A") + text[i + 1 :]


LINES = [f'{{"action":"BLOCK","clientIp":"198.51.100.{i}"}}' for i in range(5)]


async def _encrypted(kms: Kms, alice: Any) -> tuple[LocalKeyProvider, list[str]]:
    key = alice.create_key()["KeyMetadata"]["Arn"]
    provider = LocalKeyProvider(kms.service, Principal("wafproxy", "(in-process)", ACCOUNT))
    buf = io.StringIO()
    writer = await EncryptedLineWriter.open(buf, provider, key, {"purpose": "waf-log"})
    for line in LINES:
        writer.write_line(line)
    return provider, buf.getvalue().splitlines()


async def test_round_trip(kms: Kms, alice: Any) -> None:
    provider, lines = await _encrypted(kms, alice)
    assert len(lines) == 1 + len(LINES)
    assert not any("198.51.100" in x for x in lines)
    assert list(await decrypt_lines(provider, lines)) == LINES


@pytest.mark.parametrize(
    "edit",
    [
        lambda ls: ls[:2] + ls[3:],  # a record removed
        lambda ls: ls[:2] + [ls[3], ls[2]] + ls[4:],  # reordered
        lambda ls: ls[:3] + [ls[2]] + ls[3:],  # duplicated
        lambda ls: ls[:2] + [_flip(ls[2], 20)] + ls[3:],  # one character altered
    ],
)
async def test_tampering_is_detected(kms: Kms, alice: Any, edit: Any) -> None:
    provider, lines = await _encrypted(kms, alice)
    with pytest.raises(LogCryptError):
        list(await decrypt_lines(provider, edit(lines)))


async def test_header_context_is_bound_by_kms(kms: Kms, alice: Any) -> None:
    provider, lines = await _encrypted(kms, alice)
    forged = lines[0].replace('"purpose":"waf-log"', '"purpose":"other"')
    with pytest.raises(AwsError) as err:
        await decrypt_lines(provider, [forged, *lines[1:]])
    assert err.value.code == "InvalidCiphertextException"
    with pytest.raises(LogCryptError):
        await decrypt_lines(provider, ["not json", *lines[1:]])
