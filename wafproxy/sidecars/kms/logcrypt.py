"""Encrypted line files (WAF logs, stored sampled requests): one data key per file, one AEAD per line.

A data key per *line* would cost a KMS call per request; a key per file costs one per rotation.
Format (text, one record per line, so rotation and ``tail`` still work)::

    {"wafproxyEncryptedLog":1,"keyId":ARN,"wrappedKey":B64,"context":{...},"fileId":HEX}
    base64(nonce(12) ‖ AES-256-GCM(line))   # AAD = "wafproxy-log" ‖ fileId ‖ sequence number (u64)

The sequence number in the AAD means a removed, duplicated or reordered line fails to decrypt
(``LogCryptError`` names the line). A truncated tail is not detectable this way. The data key is
bound to the file's encryption context by the KMS, and the context is kept in the header so
``wafproxy logs decrypt`` needs only KMS access. Writers are synchronous (log sinks run in threads);
only opening (one GenerateDataKey) and decrypting (one Decrypt) go through the async ``KeyProvider``.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import threading
from collections.abc import Iterable, Iterator
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wafproxy.ports import KeyProvider

FORMAT = 1


class LogCryptError(Exception):
    """The file is not ours, or a line was altered, removed or reordered; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def _aad(file_id: bytes, seq: int) -> bytes:
    return b"wafproxy-log" + file_id + struct.pack(">Q", seq)


class EncryptedLineWriter:
    """Writes the header once, then one encrypted record per ``write_line``; thread-safe."""

    def __init__(
        self, fh: IO[str], key_id: str, data_key: bytes, wrapped_key: bytes, context: dict[str, str]
    ):
        self._fh = fh
        self._aead = AESGCM(data_key)
        self._file_id = os.urandom(16)
        self._seq = 0
        self._lock = threading.Lock()
        header = {
            "wafproxyEncryptedLog": FORMAT,
            "keyId": key_id,
            "context": context,
            "wrappedKey": base64.b64encode(wrapped_key).decode(),
            "fileId": self._file_id.hex(),
        }
        fh.write(json.dumps(header, sort_keys=True, separators=(",", ":")) + "\n")

    @classmethod
    async def open(
        cls, fh: IO[str], provider: KeyProvider, key_id: str, context: dict[str, str]
    ) -> EncryptedLineWriter:
        data_key, wrapped = await provider.generate_data_key(key_id, context)
        return cls(fh, key_id, data_key, wrapped, context)

    def write_line(self, line: str) -> None:
        with self._lock:
            self._seq += 1
            nonce = os.urandom(12)
            sealed = self._aead.encrypt(nonce, line.encode(), _aad(self._file_id, self._seq))
            self._fh.write(base64.b64encode(nonce + sealed).decode() + "\n")

    def flush(self) -> None:
        self._fh.flush()


async def decrypt_lines(provider: KeyProvider, lines: Iterable[str]) -> Iterator[str]:
    """The plaintext lines of an encrypted file (header first); raises ``LogCryptError`` on tampering."""
    it = iter(lines)
    try:
        header = json.loads(next(it))
        if header.get("wafproxyEncryptedLog") != FORMAT:
            raise ValueError("format")
        file_id = bytes.fromhex(header["fileId"])
        wrapped = base64.b64decode(header["wrappedKey"], validate=True)
        context = {str(k): str(v) for k, v in dict(header["context"]).items()}
    except (StopIteration, ValueError, KeyError, TypeError):
        raise LogCryptError(1, "not a wafproxy encrypted log") from None
    aead = AESGCM(await provider.decrypt_data_key(wrapped, context))
    return _plain(aead, file_id, it)


def _plain(aead: AESGCM, file_id: bytes, it: Iterator[str]) -> Iterator[str]:
    for seq, raw in enumerate(it, start=1):
        try:
            data = base64.b64decode(raw.strip(), validate=True)
            yield aead.decrypt(data[:12], data[12:], _aad(file_id, seq)).decode()
        except (ValueError, InvalidTag):
            raise LogCryptError(seq + 1, "altered, removed or reordered record") from None
