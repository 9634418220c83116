"""Digests: MD5, SHA256.

AWS computes the hash "in raw binary form". The digest bytes map to ``str`` by the package-wide
rule (``_bytes.from_bytes``: invalid UTF-8 bytes become ``U+DC80..U+DCFF``), so a matcher scanning
``to_bytes(result)`` sees exactly the 16 / 32 raw digest bytes. The input is hashed as
``to_bytes(value)``, i.e. the bytes of the request as received.
"""

from __future__ import annotations

import hashlib

from ._bytes import from_bytes, to_bytes
from ._registry import register


@register("MD5")
def md5(value: str) -> str:
    """Raw MD5 digest. ``to_bytes(md5("a")).hex() == "0cc175b9c0f1b6a831c399e269772661"``."""
    return from_bytes(hashlib.md5(to_bytes(value), usedforsecurity=False).digest())


@register("SHA256")
def sha256(value: str) -> str:
    """Raw SHA-256 digest (32 bytes). ``"" -> to_bytes(...).hex() == "e3b0c442...b855"``."""
    return from_bytes(hashlib.sha256(to_bytes(value)).digest())
