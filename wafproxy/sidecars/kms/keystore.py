"""Durable key storage: SQLite in WAL mode, every key's material wrapped under the root key.

Each change is one transaction with ``synchronous=FULL``: when an API call is acknowledged its key
is on disk, and a process killed mid-write (``kill -9``) leaves either the old or the new state.
Material is wrapped with AES-256-GCM under the root key, the AAD binding it to its key id and
version so wrapped rows cannot be swapped between keys. A canary row detects a wrong root key at
startup instead of failing later on every decrypt. Plaintext material never reaches the file.
"""

from __future__ import annotations

import fcntl
import hmac
import json
import os
import sqlite3
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wafproxy.sidecars.kms.model import KeyRecord, KeyState, KeyUsage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS keys (key_id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS materials (
    key_id TEXT NOT NULL, version INTEGER NOT NULL, wrapped BLOB NOT NULL, created REAL NOT NULL,
    kind TEXT NOT NULL DEFAULT '', PRIMARY KEY (key_id, version));
CREATE TABLE IF NOT EXISTS aliases (name TEXT PRIMARY KEY, key_id TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS grants (grant_id TEXT PRIMARY KEY, key_id TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS usage (key_id TEXT PRIMARY KEY, record TEXT NOT NULL);
"""
_CANARY = b"wafproxy-kms root key canary v1"


class KeyStoreError(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def record_to_json(rec: KeyRecord) -> str:
    d = asdict(rec)
    d["usage"] = rec.usage.value
    d["state"] = rec.state.value
    d["tags"] = [list(t) for t in rec.tags]
    return json.dumps(d, sort_keys=True)


def record_from_json(text: str) -> KeyRecord:
    d: dict[str, Any] = json.loads(text)
    d["usage"] = KeyUsage(d["usage"])
    d["state"] = KeyState(d["state"])
    d["tags"] = tuple((k, v) for k, v in d["tags"])
    d["regions"] = tuple((str(r), bool(p)) for r, p in d.get("regions", ()))
    return KeyRecord(**d)


class KeyStore:
    """The SQLite file under ``data_dir``; all methods are thread-safe and transactional."""

    def __init__(self, data_dir: str | Path, root_key: bytes) -> None:
        self.path = Path(data_dir) / "keys.sqlite3"
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # One process per data dir: state is held in memory and written through, so a second
        # writer would serve stale keys. The kernel drops the lock when the process dies (kill -9).
        self._lock_fd = os.open(self.path.parent / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise KeyStoreError(str(self.path.parent), "another KMS process is using this data dir") from None
        fresh = not self.path.exists()
        self._root = AESGCM(root_key)
        self._lock = threading.Lock()
        if fresh:  # created 0600 before SQLite opens it (it would create it by the umask, then
            # its -wal and -shm files copy the database file's mode)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._check_canary()

    def _wrap(self, aad: bytes, data: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._root.encrypt(nonce, data, aad)

    def _unwrap(self, aad: bytes, wrapped: bytes) -> bytes:
        try:
            return self._root.decrypt(wrapped[:12], wrapped[12:], aad)
        except InvalidTag:
            raise KeyStoreError(
                str(self.path), "cannot unwrap key material: wrong root key or tampered row"
            ) from None

    def _check_canary(self) -> None:
        row = self._db.execute("SELECT v FROM meta WHERE k='canary'").fetchone()
        if row is None:
            with self._tx() as db:
                db.execute("INSERT INTO meta VALUES ('canary', ?)", (self._wrap(b"canary", _CANARY),))
        else:
            try:
                ok = hmac.compare_digest(self._unwrap(b"canary", row[0]), _CANARY)
            except KeyStoreError:
                ok = False
            if not ok:
                self._db.close()
                os.close(self._lock_fd)
                raise KeyStoreError(str(self.path), "root key does not match this keystore")

    def _tx(self) -> _Tx:
        return _Tx(self._db, self._lock)

    @staticmethod
    def _aad(key_id: str, version: int) -> bytes:
        return f"wafproxy-kms material|{key_id}|{version}".encode()

    # -- reads (startup and cache misses) --------------------------------------------------------
    def load_records(self) -> list[KeyRecord]:
        with self._lock:
            return [record_from_json(r) for (r,) in self._db.execute("SELECT record FROM keys")]

    def load_aliases(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT name, key_id FROM aliases").fetchall())

    def load_grants(self) -> list[str]:
        with self._lock:
            return [r for (r,) in self._db.execute("SELECT record FROM grants")]

    def materials(self, key_id: str) -> dict[int, bytes]:
        with self._lock:
            rows = self._db.execute(
                "SELECT version, wrapped FROM materials WHERE key_id=?", (key_id,)
            ).fetchall()
        return {v: self._unwrap(self._aad(key_id, v), w) for v, w in rows}

    # -- writes: one transaction each ------------------------------------------------------------
    def rotations(self, key_id: str) -> list[tuple[int, float, str]]:
        """(version, date, AUTOMATIC|ON_DEMAND) of every rotation — material versions after the first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT version, created, kind FROM materials WHERE key_id=? AND version>1 ORDER BY version",
                (key_id,),
            ).fetchall()
        return [(int(v), float(c), str(k)) for v, c, k in rows]

    def put_key(
        self,
        rec: KeyRecord,
        material: bytes | None = None,
        version: int | None = None,
        *,
        created: float | None = None,
        kind: str = "",
    ) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO keys VALUES (?, ?)", (rec.key_id, record_to_json(rec)))
            if material is not None and version is not None:
                db.execute(
                    "INSERT INTO materials VALUES (?, ?, ?, ?, ?)",
                    (
                        rec.key_id,
                        version,
                        self._wrap(self._aad(rec.key_id, version), material),
                        rec.created if created is None else created,
                        kind,
                    ),
                )

    def delete_materials(self, rec: KeyRecord) -> None:
        """DeleteImportedKeyMaterial and expiry: the key stays (PendingImport), its material goes."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO keys VALUES (?, ?)", (rec.key_id, record_to_json(rec)))
            db.execute("DELETE FROM materials WHERE key_id=?", (rec.key_id,))

    def seal(self, purpose: str, data: bytes) -> bytes:
        """``data`` sealed under the root key for ``purpose`` (import tokens): only this keystore
        opens it, and only for the same purpose."""
        return self._wrap(f"wafproxy-kms {purpose}".encode(), data)

    def open_sealed(self, purpose: str, sealed: bytes) -> bytes | None:
        try:
            return self._root.decrypt(sealed[:12], sealed[12:], f"wafproxy-kms {purpose}".encode())
        except (InvalidTag, ValueError):
            return None

    def load_usage(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT key_id, record FROM usage").fetchall())

    def put_usage(self, rows: dict[str, str]) -> None:
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO usage VALUES (?, ?)", list(rows.items()))

    def delete_key(self, key_id: str) -> None:
        with self._tx() as db:
            for table in ("keys", "materials", "aliases", "grants", "usage"):
                db.execute(f"DELETE FROM {table} WHERE key_id=?", (key_id,))  # noqa: S608 (fixed names)

    def put_alias(self, name: str, key_id: str, created: float) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO aliases VALUES (?, ?, ?)", (name, key_id, created))

    def delete_alias(self, name: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM aliases WHERE name=?", (name,))

    def put_grant(self, grant_id: str, key_id: str, record: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO grants VALUES (?, ?, ?)", (grant_id, key_id, record))

    def delete_grant(self, grant_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM grants WHERE grant_id=?", (grant_id,))

    def get_meta(self, k: str) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT v FROM meta WHERE k=?", (k,)).fetchone()
        return None if row is None else bytes(row[0])

    def put_meta(self, k: str, v: bytes) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (k, v))

    def close(self) -> None:
        with self._lock:
            self._db.close()
            os.close(self._lock_fd)  # releases the flock


class _Tx:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK``) under the store's lock."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self._db, self._lock = db, lock

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            self._db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self._lock.release()
