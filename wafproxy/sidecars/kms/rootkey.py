"""The root key that wraps every key's material at rest: 32 random bytes, 64 hex characters in a file.

The file must be private (0600, created that way with ``O_EXCL`` so there is no window where it is
readable); a group- or world-readable file is refused rather than trusted. ``WAFPROXY_KMS_ROOT_KEY``
(64 hex chars) is accepted for development only.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

ENV_VAR = "WAFPROXY_KMS_ROOT_KEY"
ROOT_KEY_BYTES = 32


class RootKeyError(Exception):
    """The root key is missing, malformed or exposed; ``path`` names where it came from."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def _decode(text: str, where: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise RootKeyError(where, "must be 64 hexadecimal characters") from None
    if len(key) != ROOT_KEY_BYTES:
        raise RootKeyError(where, f"must be {ROOT_KEY_BYTES} bytes (64 hex characters)")
    return key


def init_root_key(path: str | Path) -> None:
    """Create a new root key file, 0600, refusing to overwrite an existing one."""
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(ROOT_KEY_BYTES) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def load_root_key(path: str | Path | None, *, create: bool = True) -> bytes:
    """The root key from ``path`` (created 0600 if missing and ``create``), else from the env var."""
    if path is None:
        value = os.environ.get(ENV_VAR)
        if not value:
            raise RootKeyError(ENV_VAR, "no --root-key-file given and the variable is unset")
        return _decode(value, ENV_VAR)
    p = Path(path)
    if not p.exists():
        if not create:
            raise RootKeyError(str(p), "does not exist")
        init_root_key(p)
    mode = p.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise RootKeyError(str(p), f"permissions {oct(mode & 0o777)} are too open; chmod 600")
    return _decode(p.read_text(encoding="ascii", errors="replace"), str(p))
