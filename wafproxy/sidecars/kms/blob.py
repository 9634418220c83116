"""The ciphertext blob: versioned, self-describing, AES-256-GCM, encryption context as AAD.

Layout (all integers big-endian)::

    0x01 | len(key_id):u8 | key_id (ASCII) | material version:u32 | nonce (12 random bytes) | GCM ct+tag

The AAD is the header (everything before the nonce) followed by the canonical encoding of the
encryption context, so the key id, the version and every context pair are authenticated: any flipped
bit fails. The context encoding is unambiguous — a count, then length-prefixed UTF-8 key and value
of each pair sorted by key — so ``{"ab": "c"}`` and ``{"a": "bc"}`` never produce the same AAD
(moto joins them and they collide).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_V1 = 0x01
NONCE_BYTES = 12  # 96-bit random nonces, NIST SP 800-38D §8.2.2
TAG_BYTES = 16


class BadCiphertext(Exception):
    """Malformed, tampered, or encrypted under another key/context."""


@dataclass(frozen=True, slots=True)
class BlobHeader:
    key_id: str
    version: int
    header: bytes  # the raw header bytes (part of the AAD)
    body: bytes  # nonce + ciphertext + tag


def canonical_context(context: Mapping[str, str]) -> bytes:
    items = sorted((k.encode(), v.encode()) for k, v in context.items())
    out = [struct.pack(">I", len(items))]
    for k, v in items:
        out += [struct.pack(">I", len(k)), k, struct.pack(">I", len(v)), v]
    return b"".join(out)


def _header(key_id: str, version: int) -> bytes:
    kid = key_id.encode("ascii")
    return bytes((FORMAT_V1, len(kid))) + kid + struct.pack(">I", version)


def seal(material: bytes, key_id: str, version: int, plaintext: bytes, context: Mapping[str, str]) -> bytes:
    header = _header(key_id, version)
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + AESGCM(material).encrypt(nonce, plaintext, header + canonical_context(context))


def parse(blob: bytes) -> BlobHeader:
    if len(blob) < 2 or blob[0] != FORMAT_V1:
        raise BadCiphertext("unknown ciphertext format")
    n = blob[1]
    end = 2 + n + 4
    if len(blob) < end + NONCE_BYTES + TAG_BYTES:
        raise BadCiphertext("truncated ciphertext")
    try:
        key_id = blob[2 : 2 + n].decode("ascii")
    except UnicodeDecodeError:
        raise BadCiphertext("bad key id") from None
    (version,) = struct.unpack(">I", blob[2 + n : end])
    return BlobHeader(key_id, version, blob[:end], blob[end:])


def open_(material: bytes, parsed: BlobHeader, context: Mapping[str, str]) -> bytes:
    nonce, ct = parsed.body[:NONCE_BYTES], parsed.body[NONCE_BYTES:]
    try:
        return AESGCM(material).decrypt(nonce, ct, parsed.header + canonical_context(context))
    except InvalidTag:
        raise BadCiphertext("authentication failed") from None
