"""Encrypted line files (WAF logs, stored sampled requests): one data key per file, one AEAD per line.

A data key per *line* would cost a KMS call per request; a key per file costs one per rotation.
Format (text, one record per line, so rotation and ``tail`` still work)::

    {"wafproxyEncryptedLog":1,"keyId":ARN,"wrappedKey":B64,"context":{...},"fileId":HEX}
    base64(nonce(12) ‖ AES-256-GCM(line))   # AAD = "wafproxy-log" ‖ fileId ‖ sequence number (u64)

The sequence number in the AAD means a removed, duplicated or reordered line fails to decrypt
(``LogCryptError`` names the line). Format 1 cannot tell a truncated tail; format 2 (``LineSealer``,
what the WAF log sink writes) ends every file with a sealed end record
``end:base64(nonce ‖ AES-GCM(count))`` whose AAD differs from a record's, and its AAD domain
(``wafproxy-log2``) differs from format 1's, so rewriting the header to format 1 to drop the end
requirement makes every record fail. A file without its end record raises ``TruncatedLogError``
(truncated, or still being written / its writer died). The data key is
bound to the file's encryption context by the KMS, and the context is kept in the header so
``wafproxy logs decrypt`` needs only KMS access. Writers are synchronous (log sinks run in threads);
only opening (one GenerateDataKey) and decrypting (one Decrypt) go through the async ``KeyProvider``.
"""

from __future__ import annotations

import asyncio
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
SEALED_FORMAT = 2
_END_PREFIX = "end:"


class LogCryptError(Exception):
    """The file is not ours, or a line was altered, removed or reordered; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


class TruncatedLogError(LogCryptError):
    """Every record present verified, but the end record is missing: truncated, or not closed."""


def _aad(file_id: bytes, seq: int) -> bytes:
    return b"wafproxy-log" + file_id + struct.pack(">Q", seq)


def _aad2(file_id: bytes, seq: int, end: bool) -> bytes:
    return b"wafproxy-log2" + file_id + struct.pack(">QB", seq, 1 if end else 0)


def _header(fmt: int, key_id: str, context: dict[str, str], wrapped: bytes, file_id: bytes) -> str:
    header = {
        "wafproxyEncryptedLog": fmt,
        "keyId": key_id,
        "context": context,
        "wrappedKey": base64.b64encode(wrapped).decode(),
        "fileId": file_id.hex(),
    }
    return json.dumps(header, sort_keys=True, separators=(",", ":")) + "\n"


def sealed_size(n: int) -> int:
    """Bytes a record of ``n`` plaintext bytes takes in a format-2 file (for rotation's size check)."""
    return 4 * ((n + 12 + 16 + 2) // 3) + 1


class LineSealer:
    """Format 2, bytes in → bytes out, no file: the caller (a rotating sink) owns the file.

    ``header()`` first, then ``seal(line)`` per record, then ``end()`` once. Not thread-safe: one
    writer thread owns it. The plaintext data key lives only in the ``AESGCM`` object.
    """

    def __init__(self, key_id: str, data_key: bytes, wrapped_key: bytes, context: dict[str, str]):
        self._aead = AESGCM(data_key)
        self._file_id = os.urandom(16)
        self._seq = 0
        self._head = _header(SEALED_FORMAT, key_id, context, wrapped_key, self._file_id).encode()

    def header(self) -> bytes:
        return self._head

    def seal(self, line: bytes) -> bytes:
        """One record; ``line`` without its newline."""
        self._seq += 1
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, line, _aad2(self._file_id, self._seq, False))
        return base64.b64encode(nonce + sealed) + b"\n"

    def rewind(self, records: int) -> None:
        """The last ``records`` sealed records never reached the file (a full disk cut them back):
        the next ``seal`` reuses their sequence numbers, so the file has no gap. The nonce is
        random per call, so a reused number never reuses a nonce."""
        if not 0 <= records <= self._seq:
            raise ValueError("cannot rewind past the file's first record")
        self._seq -= records

    def end(self) -> bytes:
        seq = self._seq + 1
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, str(self._seq).encode(), _aad2(self._file_id, seq, True))
        return _END_PREFIX.encode() + base64.b64encode(nonce + sealed) + b"\n"


class KmsFraming:
    """``observability.sinks.FramingSource`` over a ``KeyProvider``: one ``GenerateDataKey`` per
    file, called on the WAF log's writer thread (``asyncio.run``: that thread has no loop of its
    own; the in-process KMS takes its state lock, so calling it beside the server loop is safe)."""

    def __init__(self, provider: KeyProvider, key_id: str, context: dict[str, str]) -> None:
        self._provider = provider
        self.key_id = key_id
        self.context = dict(context)

    def open_file(self) -> LineSealer:
        data_key, wrapped = asyncio.run(self._provider.generate_data_key(self.key_id, self.context))
        return LineSealer(self.key_id, data_key, wrapped, self.context)

    def sealed_size(self, n: int) -> int:
        return sealed_size(n)


def split_segments(lines: Iterable[str]) -> list[list[str]]:
    """A file may hold several format-2 segments (a restarted writer appends one): each begins
    with its JSON header (records are base64 and end records ``end:``, never ``{``)."""
    segments: list[list[str]] = []
    for line in lines:
        if line.startswith("{") or not segments:
            segments.append([])
        segments[-1].append(line)
    return segments


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
        fh.write(_header(FORMAT, key_id, context, wrapped_key, self._file_id))

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
    """The plaintext lines of an encrypted file (header first); raises ``LogCryptError`` on tampering
    (lazily, as the iterator reaches the bad line; ``TruncatedLogError`` at the end of a format-2
    file without its end record)."""
    it = iter(lines)
    try:
        header = json.loads(next(it))
        if not isinstance(header, dict):  # JSON, but not our header object (found by fuzzing)
            raise ValueError("header")
        fmt = header.get("wafproxyEncryptedLog")
        if fmt not in (FORMAT, SEALED_FORMAT):
            raise ValueError("format")
        file_id = bytes.fromhex(header["fileId"])
        wrapped = base64.b64decode(header["wrappedKey"], validate=True)
        context = {str(k): str(v) for k, v in dict(header["context"]).items()}
    except (StopIteration, ValueError, KeyError, TypeError):
        raise LogCryptError(1, "not a wafproxy encrypted log") from None
    aead = AESGCM(await provider.decrypt_data_key(wrapped, context))
    return _plain(aead, file_id, it) if fmt == FORMAT else _plain2(aead, file_id, it)


def _plain(aead: AESGCM, file_id: bytes, it: Iterator[str]) -> Iterator[str]:
    for seq, raw in enumerate(it, start=1):
        try:
            data = base64.b64decode(raw.strip(), validate=True)
            yield aead.decrypt(data[:12], data[12:], _aad(file_id, seq)).decode()
        except (ValueError, InvalidTag):
            raise LogCryptError(seq + 1, "altered, removed or reordered record") from None


def _plain2(aead: AESGCM, file_id: bytes, it: Iterator[str]) -> Iterator[str]:
    seq = 0
    for seq, raw in enumerate(it, start=1):
        text = raw.strip()
        end = text.startswith(_END_PREFIX)
        try:
            data = base64.b64decode(text[len(_END_PREFIX) :] if end else text, validate=True)
            plain = aead.decrypt(data[:12], data[12:], _aad2(file_id, seq, end))
        except (ValueError, InvalidTag):
            raise LogCryptError(seq + 1, "altered, removed or reordered record") from None
        if not end:
            yield plain.decode()
            continue
        for _extra in it:
            raise LogCryptError(seq + 2, "lines after the end record")
        return
    raise TruncatedLogError(seq + 2, "no end record: the file was truncated or its writer did not close it")
