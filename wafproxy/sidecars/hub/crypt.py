"""Findings encrypted at rest under our KMS: one data key per store, one AES-GCM seal per row.

A KMS call per finding would put the KMS on every import; one data key per database costs one
``GenerateDataKey`` when the store is created and one ``Decrypt`` per start. The wrapped key lives in
the store's ``meta`` table; only the KMS can unwrap it, and only with the same encryption context.
Each row's AAD is its finding ``Id``, so sealed bodies cannot be swapped between rows.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wafproxy.ports import KeyProvider

CONTEXT = {"wafproxy:purpose": "findings-hub"}
_AAD_PREFIX = b"wafproxy-hub-finding|"


class HubCryptError(Exception):
    """A sealed row does not open: wrong key, or the row was altered or moved."""


class RowCipher:
    """Seal/open finding bodies with the store's data key (synchronous: pure CPU)."""

    def __init__(self, data_key: bytes, key_id: str) -> None:
        self._aead = AESGCM(data_key)
        self.key_id = key_id

    def seal(self, finding_id: str, plaintext: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, plaintext, _AAD_PREFIX + finding_id.encode())

    def open(self, finding_id: str, sealed: bytes) -> bytes:
        try:
            return self._aead.decrypt(sealed[:12], sealed[12:], _AAD_PREFIX + finding_id.encode())
        except InvalidTag:
            raise HubCryptError(f"finding {finding_id[:128]!r} does not decrypt") from None


async def unlock(provider: KeyProvider, key_id: str, wrapped_b64: str | None) -> tuple[RowCipher, str]:
    """The store's cipher, and the wrapped key to keep (new on first use, else the stored one)."""
    if wrapped_b64 is None:
        data_key, wrapped = await provider.generate_data_key(key_id, dict(CONTEXT))
        return RowCipher(data_key, key_id), base64.b64encode(wrapped).decode()
    data_key = await provider.decrypt_data_key(base64.b64decode(wrapped_b64), dict(CONTEXT))
    return RowCipher(data_key, key_id), wrapped_b64
