"""Envelope encryption for wafproxy's own data at rest, over data keys from our KMS.

``envelope_encrypt(provider, key_id, plaintext, context)`` asks the KMS for a fresh data key,
encrypts locally with AES-256-GCM, and stores the *wrapped* data key in the envelope; only the KMS
can unwrap it, and only with the same encryption context. The ``KeyProvider`` port (``ports.py``)
has two implementations here: ``LocalKeyProvider`` (the KMS in the same process, same policy and
audit path) and ``BotoKeyProvider`` (a KMS sidecar over HTTP, any boto3 KMS client).

Envelope layout: ``b"WPE1" | len(wrapped):u16 | wrapped | nonce(12) | ciphertext+tag``; the AAD is
the header plus the canonical (length-prefixed) encryption context.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wafproxy.awsapi.credentials import Principal
from wafproxy.ports import KeyProvider
from wafproxy.sidecars.kms.blob import canonical_context

MAGIC = b"WPE1"


class EnvelopeError(Exception):
    """Malformed or tampered envelope, or the wrong context."""


class LocalKeyProvider:
    """Data keys from a ``KmsService`` in this process, as ``principal`` (policies and audit apply)."""

    def __init__(self, service: Any, principal: Principal) -> None:
        self._service = service
        self._principal = principal

    async def _call(self, op: str, body: dict[str, Any]) -> Mapping[str, Any]:
        result: Mapping[str, Any] = await self._service.invoke(self._principal, op, body)
        return result

    async def generate_data_key(self, key_id: str, context: dict[str, str]) -> tuple[bytes, bytes]:
        body = {"KeyId": key_id, "KeySpec": "AES_256", "EncryptionContext": context}
        out = await self._call("GenerateDataKey", body)
        return bytes(out["Plaintext"]), bytes(out["CiphertextBlob"])

    async def decrypt_data_key(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        body = {"CiphertextBlob": base64.b64encode(wrapped).decode(), "EncryptionContext": context}
        return bytes((await self._call("Decrypt", body))["Plaintext"])


class BotoKeyProvider:
    """Data keys from a KMS over HTTP through a boto3 ``kms`` client (blocking calls off the loop)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    async def generate_data_key(self, key_id: str, context: dict[str, str]) -> tuple[bytes, bytes]:
        out = await asyncio.to_thread(
            self._client.generate_data_key, KeyId=key_id, KeySpec="AES_256", EncryptionContext=context
        )
        return bytes(out["Plaintext"]), bytes(out["CiphertextBlob"])

    async def decrypt_data_key(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        out = await asyncio.to_thread(self._client.decrypt, CiphertextBlob=wrapped, EncryptionContext=context)
        return bytes(out["Plaintext"])


async def envelope_encrypt(
    provider: KeyProvider, key_id: str, plaintext: bytes, context: dict[str, str]
) -> bytes:
    data_key, wrapped = await provider.generate_data_key(key_id, context)
    header = MAGIC + struct.pack(">H", len(wrapped)) + wrapped
    nonce = os.urandom(12)
    return header + nonce + AESGCM(data_key).encrypt(nonce, plaintext, header + canonical_context(context))


async def envelope_decrypt(provider: KeyProvider, envelope: bytes, context: dict[str, str]) -> bytes:
    if len(envelope) < 6 or envelope[:4] != MAGIC:
        raise EnvelopeError("not a wafproxy envelope")
    (n,) = struct.unpack(">H", envelope[4:6])
    header, rest = envelope[: 6 + n], envelope[6 + n :]
    if len(rest) < 12 + 16:
        raise EnvelopeError("truncated envelope")
    data_key = await provider.decrypt_data_key(header[6:], context)
    try:
        return AESGCM(data_key).decrypt(rest[:12], rest[12:], header + canonical_context(context))
    except InvalidTag:
        raise EnvelopeError("envelope was altered or the context differs") from None
